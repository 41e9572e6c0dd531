#pragma once
#include "tollgate/common/request_facts.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace tollgate {

/// Why a request path was refused: spellings that origin servers read in different
/// ways, so no single normal form would be what every origin serves.
enum class path_error {
  not_absolute = 1,       ///< does not start with '/'
  bad_percent_encoding,   ///< '%' not followed by two hex digits (also IIS's %uXXXX)
  encoded_nul,            ///< %00: C-based servers end the path there
  encoded_slash,          ///< %2F: one segment to some origins, two to others
  backslash,              ///< '\' or %5C: a separator to Windows origins
  encoded_dot_segment,    ///< ".%2e" and friends: a dot segment only after decoding
  dot_segment_parameter,  ///< "..;x", "..%3F": ".." to Tomcat or to servers that decode first
  dots_only_segment,      ///< "...": Windows trims it to "." or ".."
  double_encoding,        ///< %252e, %252f, %253b...: a dot or delimiter to origins that decode twice
  overlong_utf8,          ///< %C0%AE and friends: invalid UTF-8 that lax decoders turn into '.' or '/'
  control_character,      ///< a raw byte below 0x20 or DEL (a request head never holds one legitimately)
  query_or_fragment,      ///< a raw '?' or '#': the caller passes the path without them
};

const boost::system::error_category& path_error_category() noexcept;
boost::system::error_code make_error_code(path_error e) noexcept;

/// The one spelling of a request path that the policy decides on and the origin is
/// sent, so both see the same path (RFC 3986 section 6.2.2, applied strictly):
/// - percent-encoded unreserved characters are decoded (`%7E` -> `~`, `%41` -> `A`);
///   every other escape is kept, with upper-case hex (`%c3%a9` -> `%C3%A9`), and raw
///   bytes outside ASCII are percent-encoded;
/// - repeated slashes collapse (`//a///b` -> `/a/b`), then dot segments are removed
///   (section 5.2.4; `..` never climbs above the root);
/// - spellings origins disagree about are refused (see path_error).
/// Input: the path of a request target, without query or fragment. Output starts
/// with '/'; normalising it again gives the same string.
boost::system::result<std::string> normalise_request_path(std::string_view path);

/// The path with `;` parameters removed from every segment (`/a;x/b;y` -> `/a/b`):
/// how servlet containers (Tomcat, Jetty) map a path. `%3B` counts as `;` here, as it
/// does to servers that decode before they split. Input is a normalised path.
std::string strip_path_parameters(std::string_view normalised);

/// The path with trailing dots and spaces (`%20`) cut from every segment name
/// (`/admin./x%20/` -> `/admin/x/`): how Windows (IIS) maps a path to a file. Input is
/// a normalised path.
std::string strip_trailing_dots_and_spaces(std::string_view normalised);

/// Sets `facts.path` (and `other_path_readings`) from the path of a request
/// target, as the proxy and the admin API's dry run both do; the error when refused.
boost::system::error_code assign_request_path(request_facts& facts, std::string_view raw_path);

/// True when `path` starts with `prefix`, comparing ASCII letters without case when
/// `ignore_case` (percent escapes are upper-case in normalised paths already).
bool path_has_prefix(std::string_view path, std::string_view prefix, bool ignore_case) noexcept;

}  // namespace tollgate

template <>
struct boost::system::is_error_code_enum<tollgate::path_error> : std::true_type {};
