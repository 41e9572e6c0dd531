#include "request_checks.hpp"

#include <boost/beast/core/string.hpp>

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
  if (has_te) {
    if (h.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
    std::size_t chunked = 0;
    std::string_view last;
    bool empty_token = false;
    for_each_token(h, http::field::transfer_encoding, [&](std::string_view t) {
      if (t.empty()) empty_token = true;
      if (boost::beast::iequals(t, "chunked")) ++chunked;
      last = t;
    });
    if (empty_token || chunked != 1 || !boost::beast::iequals(last, "chunked"))
      return "Transfer-Encoding other than a final chunked";
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

}  // namespace tollgate::proxy::detail
