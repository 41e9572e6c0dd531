#pragma once
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>

#include <cstddef>
#include <string_view>

namespace tollgate::proxy::detail {

/// Most header fields a request may carry; more is answered 431 like an oversized head.
inline constexpr std::size_t max_header_fields = 100;

/// Framing checks on a parsed request head (request smuggling defence, RFC 9112
/// section 6.3 read strictly). Returns an empty view when the head is acceptable,
/// otherwise a short reason for the 400 page and the audit record.
std::string_view check_framing(const boost::beast::http::request_header<>& h);

/// Counts header fields (for the 431 limit).
std::size_t field_count(const boost::beast::http::request_header<>& h);

/// Methods the proxy forwards: 1 to 32 token characters with no lower case (methods
/// are case-sensitive; "get" is not GET, and the policy matches methods as written).
/// Anything else is answered 501.
bool is_forwardable_method(std::string_view method);

/// True when `request_line` (without CRLF) is well formed but names an HTTP version
/// other than 1.0 and 1.1 ("HTTP/2.0", "HTTP/1.2", "HTTP/0.9"): answered 505, where
/// a malformed line is a 400. Beast refuses both alike, so the raw line decides.
bool is_unsupported_version(std::string_view request_line);

/// The answer to a request head larger than `limit` bytes (`raw`: the bytes read so
/// far): 431 when the request line fits and the header fields do not; when the
/// request line itself does not fit, 414 (RFC 9112 section 3), or 501 when not even
/// the method ends (no space).
struct oversized_answer {
  boost::beast::http::status status;
  std::string_view error;  ///< for the audit record
  std::string_view page;
};
oversized_answer answer_oversized_head(std::string_view raw, std::size_t limit);

}  // namespace tollgate::proxy::detail
