#include "message_framing.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <charconv>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;
using boost::beast::iequals;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::size_t count_of(const http::fields& f, http::field name) {
  std::size_t n = 0;
  for (const auto& field : f) n += field.name() == name ? 1 : 0;
  return n;
}

bool is_connection_scheme(std::string_view token) { return iequals(token, "NTLM") || iequals(token, "Negotiate"); }

}  // namespace

std::string_view check_transfer_encoding(const http::fields& f) {
  const auto lines = count_of(f, http::field::transfer_encoding);
  if (lines == 0) return {};
  if (lines > 1) return "more than one Transfer-Encoding field";
  if (!iequals(trim(f[http::field::transfer_encoding]), "chunked")) return "Transfer-Encoding other than chunked";
  return {};
}

std::string_view check_response_framing(const http::response_header<>& h) {
  if (auto why = check_transfer_encoding(h); !why.empty()) return why;
  const bool has_te = h.find(http::field::transfer_encoding) != h.end();
  // RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
  if (has_te && h.version() < 11) return "Transfer-Encoding in an HTTP/1.0 response";
  // Beast refuses Content-Length after a chunked Transfer-Encoding and any coding
  // after Content-Length; "gzip" then Content-Length would pass it.
  if (has_te && h.find(http::field::content_length) != h.end()) return "both Content-Length and Transfer-Encoding";
  return {};
}

void set_framing(http::fields& f, body_framing how) {
  f.erase(http::field::transfer_encoding);
  f.erase(http::field::content_length);
  if (how.chunked) {
    f.set(http::field::transfer_encoding, "chunked");
  } else if (how.length) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, *how.length).ptr;
    f.set(http::field::content_length, std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
}

bool framing_agrees(const http::fields& f, body_framing how) {
  const auto te = count_of(f, http::field::transfer_encoding);
  const auto cl = count_of(f, http::field::content_length);
  if (how.chunked) return te == 1 && cl == 0 && f[http::field::transfer_encoding] == "chunked";
  if (te != 0) return false;
  if (!how.length) return cl == 0;
  if (cl != 1) return false;
  const auto v = f[http::field::content_length];
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && end == v.data() + v.size() && n == *how.length;
}

void drop_trailer_fields(http::fields& f, const std::vector<const void*>& head) {
  for (auto it = f.begin(); it != f.end();) {
    if (std::find(head.begin(), head.end(), &*it) == head.end()) {
      it = f.erase(it);
    } else {
      ++it;
    }
  }
}

bool is_idempotent(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
      return true;
    default:
      return false;
  }
}

bool is_connection_auth(std::string_view authorization) {
  const auto v = trim(authorization);
  return is_connection_scheme(v.substr(0, v.find(' ')));
}

bool offers_connection_auth(std::string_view v) {
  // Challenges are a comma list of "scheme [token68 | params]"; a quoted parameter
  // value may hold anything, so it is skipped. Any bare token naming NTLM or
  // Negotiate counts: pinning a connection too often only costs a reuse.
  std::size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == '"') {
      for (++i; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (c == ',' || c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    const auto start = i;
    while (i < v.size() && v[i] != ',' && v[i] != ' ' && v[i] != '\t' && v[i] != '"') ++i;
    if (is_connection_scheme(v.substr(start, i - start))) return true;
  }
  return false;
}

}  // namespace tollgate::proxy::detail
