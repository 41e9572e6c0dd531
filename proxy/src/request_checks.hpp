#pragma once
#include <boost/beast/http/message.hpp>

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

}  // namespace tollgate::proxy::detail
