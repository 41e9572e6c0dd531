#pragma once
#include <cstdint>
#include <string_view>

namespace tollgate::proxy::detail {

/// Why a request target or authority was refused.
enum class target_error {
  none,
  origin_form,         ///< "/path": a request meant for an origin server, not a proxy
  unsupported_scheme,  ///< not http:// (https:// must come through CONNECT)
  userinfo,            ///< "user@host" in the authority
  bad_authority,       ///< empty host, stray characters, several colons
  bad_port,            ///< not 1..65535
  fragment,            ///< '#' has no place in a request target
};
std::string_view to_string(target_error e) noexcept;

/// `host[:port]`; host keeps its brackets for IPv6 (normalise_host accepts them).
struct authority {
  std::string_view host;
  std::uint16_t port = 0;
  bool port_given = false;
};

/// Parses an authority. `default_port` applies when none is written; 0 makes it required.
target_error parse_authority(std::string_view text, std::uint16_t default_port, authority& out);

/// An absolute-form target `http://authority[/path][?query]`.
struct absolute_target {
  authority where;
  std::string_view path_and_query;  ///< "/" when the target has no path
  std::string_view path;            ///< path_and_query without the query
};

target_error parse_absolute_target(std::string_view target, absolute_target& out);

}  // namespace tollgate::proxy::detail
