#pragma once
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tollgate::proxy::detail {

/// How the proxy frames a body it forwards: chunked, by one length, or neither
/// (no body, or a body that ends when the connection closes).
struct body_framing {
  bool chunked = false;
  std::optional<std::uint64_t> length;
};

/// How a Beast parser read the framing of the message it parsed.
template <class Parser>
body_framing framing_read_by(const Parser& p) {
  const auto length = p.content_length();
  return {p.chunked(), length ? std::optional<std::uint64_t>(*length) : std::nullopt};
}

/// `Transfer-Encoding` as the proxy accepts it in either direction: absent, or one
/// field line whose value is the single coding `chunked` (any case). More lines or
/// any other coding ("gzip, chunked", "identity") are refused: the proxy does not
/// decode transfer codings, and a list is where parsers disagree. Empty when fine,
/// else the reason.
std::string_view check_transfer_encoding(const boost::beast::http::fields& f);

/// Framing checks on an origin's response head, on top of what Beast's parser
/// refuses itself (RFC 9112 section 6.3 read strictly). Empty when fine, else the
/// reason, which makes the response a 502.
std::string_view check_response_framing(const boost::beast::http::response_header<>& h);

/// Rewrites the framing fields of a message about to be forwarded so that they say
/// exactly how the proxy frames its body: `Transfer-Encoding: chunked`, one
/// `Content-Length`, or neither. Whatever the sender wrote is replaced.
void set_framing(boost::beast::http::fields& f, body_framing how);

/// True when the framing fields say exactly `how` (one `Transfer-Encoding: chunked`
/// line, or one `Content-Length` with that number, and nothing else). Checked right
/// before a head is serialised, together with Beast's own reading of the fields.
bool framing_agrees(const boost::beast::http::fields& f, body_framing how);

/// Beast's parser adds trailer fields to the header it has parsed (a name it already has
/// goes next to it), and a forwarded head is serialised from that header, maybe only
/// after the last chunk was read. Trailer fields must not become header fields (RFC 9110
/// section 6.5.2): every field that is not one of `head` (the addresses of the header's
/// fields, taken before the body was read) is dropped.
void drop_trailer_fields(boost::beast::http::fields& f, const std::vector<const void*>& head);

/// Statuses whose responses never have content (RFC 9112 section 6.3): 1xx, 204, 304.
inline bool is_bodiless_status(unsigned code) { return (code >= 100 && code < 200) || code == 204 || code == 304; }

/// Methods that may be sent again after a reused upstream connection failed
/// (idempotent per RFC 9110 section 9.2.2).
bool is_idempotent(boost::beast::http::verb method);

/// True when `Authorization` names a connection-based scheme (NTLM, Negotiate):
/// the origin then authenticates the connection, not the request.
bool is_connection_auth(std::string_view authorization);

/// True when a `WWW-Authenticate` value offers NTLM or Negotiate among its challenges.
bool offers_connection_auth(std::string_view www_authenticate);

}  // namespace tollgate::proxy::detail
