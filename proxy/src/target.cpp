#include "target.hpp"

#include <algorithm>

namespace tollgate::proxy::detail {
namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

target_error parse_port(std::string_view digits, std::uint16_t& port) {
  if (digits.empty() || digits.size() > 5) return target_error::bad_port;
  unsigned value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return target_error::bad_port;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return target_error::bad_port;
  port = static_cast<std::uint16_t>(value);
  return target_error::none;
}

}  // namespace

std::string_view to_string(target_error e) noexcept {
  switch (e) {
    case target_error::none: return "ok";
    case target_error::origin_form: return "origin-form request target sent to a proxy (use an absolute URL)";
    case target_error::unsupported_scheme: return "unsupported scheme (only http:// is forwarded; use CONNECT for https)";
    case target_error::userinfo: return "user information in the request target";
    case target_error::bad_authority: return "malformed host in the request target";
    case target_error::bad_port: return "malformed port";
    case target_error::fragment: return "fragment in the request target";
  }
  return "bad target";
}

target_error parse_authority(std::string_view text, std::uint16_t default_port, authority& out) {
  if (text.empty()) return target_error::bad_authority;
  if (text.find('@') != std::string_view::npos) return target_error::userinfo;
  std::string_view host;
  std::string_view rest;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close < 2) return target_error::bad_authority;
    host = text.substr(0, close + 1);
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return target_error::bad_authority;
  } else {
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
    if (host.empty()) return target_error::bad_authority;
  }
  for (char c : host) {
    // normalise_host() checks the details; here only what would confuse splitting.
    if (c == '/' || c == '?' || c == '#' || c == '\\' || c == ' ' || c == '\t') return target_error::bad_authority;
  }
  out.host = host;
  out.port_given = false;
  if (rest.empty() || rest == ":") {
    if (default_port == 0) return target_error::bad_port;
    out.port = default_port;
    return target_error::none;
  }
  out.port_given = true;
  return parse_port(rest.substr(1), out.port);
}

target_error parse_absolute_target(std::string_view target, absolute_target& out) {
  if (target.empty() || target.front() == '/' || target == "*") return target_error::origin_form;
  constexpr std::string_view http = "http://";
  if (!iequals_prefix(target, http)) {
    return target.find("://") != std::string_view::npos ? target_error::unsupported_scheme
                                                        : target_error::origin_form;
  }
  if (target.find('#') != std::string_view::npos) return target_error::fragment;
  const std::string_view rest = target.substr(http.size());
  const auto end = rest.find_first_of("/?");
  const std::string_view auth = rest.substr(0, end);
  if (auto e = parse_authority(auth, 80, out.where); e != target_error::none) return e;
  if (end == std::string_view::npos) {
    out.path_and_query = "/";
    out.path = "/";
    return target_error::none;
  }
  out.path_and_query = rest.substr(end);
  if (out.path_and_query.front() == '?') {
    // "http://h?x": the path is empty; it must become "/?x" upstream, so the
    // caller rebuilds it (flagged by a path that does not start with '/').
    out.path = "";
    return target_error::none;
  }
  out.path = out.path_and_query.substr(0, out.path_and_query.find('?'));
  return target_error::none;
}

}  // namespace tollgate::proxy::detail
