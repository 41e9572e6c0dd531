#include "header_hygiene.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/container/small_vector.hpp>

#include <array>
#include <string>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_protected(std::string_view name) {
  using boost::beast::iequals;
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "host");
}

void append_list(http::fields& f, std::string_view name, std::string_view value) {
  if (f.find(name) == f.end()) {
    f.set(name, value);
    return;
  }
  std::string joined;
  for (const auto& field : f) {
    if (!boost::beast::iequals(field.name_string(), name)) continue;
    if (!joined.empty()) joined += ", ";
    joined.append(field.value());
  }
  joined += ", ";
  joined.append(value);
  f.set(name, joined);
}

}  // namespace

void strip_hop_by_hop(http::fields& f) {
  // Connection-listed names first: erasing them invalidates the Connection values.
  boost::container::small_vector<std::string, 4> named;
  for (const auto& field : f) {
    if (field.name() != http::field::connection) continue;
    std::string_view v = field.value();
    while (!v.empty()) {
      const auto comma = v.find(',');
      const auto token = trim(v.substr(0, comma));
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      if (token.empty() || is_protected(token)) continue;
      named.emplace_back(token);
    }
  }
  for (const auto& name : named) f.erase(name);
  static constexpr std::array hop{http::field::connection,  http::field::keep_alive,
                                  http::field::proxy_connection, http::field::te,
                                  http::field::trailer,     http::field::upgrade,
                                  http::field::proxy_authorization, http::field::proxy_authenticate};
  for (auto name : hop) f.erase(name);
}

void append_via(http::fields& f, std::string_view value) {
  if (!value.empty()) append_list(f, "Via", value);
}

void append_forwarded_for(http::fields& f, std::string_view client_ip) {
  append_list(f, "X-Forwarded-For", client_ip);
}

}  // namespace tollgate::proxy::detail
