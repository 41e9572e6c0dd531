#include "request_checks.hpp"

#include "message_framing.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <string>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each comma-separated element of every `name` field value.
// (Walks the whole list: Beast's equal_range spans insertion order, not just the name.)
template <class F>
void for_each_token(const http::request_header<>& h, http::field name, F&& f) {
  for (const auto& field : h) {
    if (field.name() != name) continue;
    std::string_view v = field.value();
    for (;;) {
      const auto comma = v.find(',');
      f(trim(v.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
}

// True when `name` is `framing` written with some '_' for '-'.
bool is_underscore_spelling(std::string_view name, std::string_view framing) {
  if (name.find('_') == std::string_view::npos) return false;
  std::string dashed(name);
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  return boost::beast::iequals(dashed, framing);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::size_t field_count(const http::request_header<>& h) {
  std::size_t n = 0;
  for (auto it = h.begin(); it != h.end(); ++it) ++n;
  return n;
}

std::string_view check_framing(const http::request_header<>& h) {
  const bool has_te = h.find(http::field::transfer_encoding) != h.end();
  const bool has_cl = h.find(http::field::content_length) != h.end();
  if (has_te && has_cl) return "both Content-Length and Transfer-Encoding";
  for (const auto& field : h) {
    // "Transfer_Encoding" is no framing header here, but is one to a server that maps
    // '_' to '-' (CGI-style environments): the two would frame the body differently.
    if (field.name() != http::field::unknown) continue;
    if (is_underscore_spelling(field.name_string(), "content-length") ||
        is_underscore_spelling(field.name_string(), "transfer-encoding"))
      return "framing header spelled with an underscore";
  }
  if (h.method() == http::verb::connect) {
    // A CONNECT request has no content (RFC 9110 section 9.3.6); what follows its head
    // is tunnel data, so a length or coding would make the two disagree.
    if (has_te) return "Transfer-Encoding in a CONNECT request";
    if (has_cl && h[http::field::content_length] != "0") return "content in a CONNECT request";
  }
  if (has_te) {
    if (h.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
    if (auto why = check_transfer_encoding(h); !why.empty()) return why;
  }
  if (has_cl) {
    std::string_view first;
    bool bad = false;
    for_each_token(h, http::field::content_length, [&](std::string_view t) {
      if (t.empty() || t.size() > 19) bad = true;
      for (char c : t) bad = bad || c < '0' || c > '9';
      if (first.empty()) first = t;
      else if (t != first) bad = true;
    });
    if (bad) return "invalid or conflicting Content-Length";
  }
  std::size_t hosts = 0;
  for (const auto& field : h) hosts += field.name() == http::field::host ? 1 : 0;
  if (hosts > 1) return "several Host headers";
  return {};
}

bool is_forwardable_method(std::string_view m) {
  if (m.empty() || m.size() > 32) return false;
  constexpr std::string_view punctuation = "!#$%&'*+-.^_`|~";
  for (char c : m) {
    if (!((c >= 'A' && c <= 'Z') || is_digit(c) || punctuation.find(c) != std::string_view::npos)) return false;
  }
  return true;
}

bool is_unsupported_version(std::string_view line) {
  // method SP target SP "HTTP/" DIGIT "." DIGIT, with exactly two spaces.
  if (std::count(line.begin(), line.end(), ' ') != 2) return false;
  const auto v = line.substr(line.rfind(' ') + 1);
  if (v.size() != 8 || !v.starts_with("HTTP/") || !is_digit(v[5]) || v[6] != '.' || !is_digit(v[7])) return false;
  return v != "HTTP/1.1" && v != "HTTP/1.0";
}

oversized_answer answer_oversized_head(std::string_view raw, std::size_t limit) {
  const auto line = raw.substr(0, raw.find('\r'));
  if (line.size() < limit)
    return {http::status::request_header_fields_too_large, "request head too large",
            "The request head is larger than this proxy accepts."};
  if (line.find(' ') == std::string_view::npos)
    return {http::status::not_implemented, "request method too long", "This proxy does not accept that request method."};
  return {http::status::uri_too_long, "request line too long", "The request target is longer than this proxy accepts."};
}

}  // namespace tollgate::proxy::detail
