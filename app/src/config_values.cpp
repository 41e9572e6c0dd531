#include "config_values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <string>
#include <vector>

namespace tollgate::app::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct number_and_unit {
  std::uint64_t number = 0;
  std::string_view unit;
};

// Splits "123unit" into digits and unit; fails when there are no leading digits.
result<number_and_unit> split_number(std::string_view text) {
  std::size_t i = 0;
  std::uint64_t number = 0;
  while (i < text.size() && is_digit(text[i])) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (number > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
      return failure{error::bad_number, "number is too large"};
    number = number * 10 + digit;
    ++i;
  }
  if (i == 0) return failure{error::bad_number, "expected a number"};
  return number_and_unit{number, text.substr(i)};
}

bool multiply(std::uint64_t number, std::uint64_t factor, std::uint64_t& out) {
  if (factor != 0 && number > std::numeric_limits<std::uint64_t>::max() / factor) return false;
  out = number * factor;
  return true;
}

bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (label == 0 || name[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
  }
  return name.back() != '-';
}

result<void> parse_port(std::string_view text) {
  const auto split = split_number(text);  // fails on empty text too
  if (!split || !split->unit.empty()) return failure{error::bad_address, "port must be a number"};
  if (split->number > 65535)
    return failure{error::bad_address, "port " + std::to_string(split->number) + " is out of range (0-65535)"};
  return {};
}

}  // namespace

result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const auto split = split_number(text);
  if (!split) return failure{error::bad_duration, "expected a duration such as 10s, 200ms, 5m or 1h"};
  const auto unit = split->unit;
  std::uint64_t factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1000;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  else if (unit.empty()) return failure{error::bad_duration, "a duration needs a unit: ms, s, m, h or d (e.g. 10s)"};
  else return failure{error::bad_duration, "unknown duration unit; use ms, s, m, h or d (e.g. 10s)"};
  std::uint64_t ms = 0;
  if (!multiply(split->number, factor, ms) || ms > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return failure{error::bad_duration, "duration is too long"};
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

result<std::uint64_t> parse_size(std::string_view text) {
  const auto split = split_number(text);
  if (!split) return failure{error::bad_size, "expected a size such as 1GiB, 512MiB, 64KiB or a number of bytes"};
  const auto unit = split->unit;
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "B") factor = 1;
  else if (unit == "KiB") factor = 1ull << 10;
  else if (unit == "MiB") factor = 1ull << 20;
  else if (unit == "GiB") factor = 1ull << 30;
  else if (unit == "TiB") factor = 1ull << 40;
  else return failure{error::bad_size, "unknown size unit; use B, KiB, MiB, GiB or TiB (e.g. 512MiB)"};
  std::uint64_t bytes = 0;
  if (!multiply(split->number, factor, bytes)) return failure{error::bad_size, "size is too large"};
  return bytes;
}

result<std::uint64_t> parse_unsigned(std::string_view text) {
  if (!text.empty() && text[0] == '-') return failure{error::bad_number, "must not be negative"};
  auto split = split_number(text);
  if (!split) {
    if (split.error().detail == "number is too large") return split.error();
    return failure{error::bad_number, "expected a whole number"};
  }
  if (!split->unit.empty()) return failure{error::bad_number, "expected a whole number"};
  return split->number;
}

result<bool> parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return failure{error::bad_bool, "expected true or false"};
}

result<std::string> substitute_env(std::string_view text, const env_lookup& lookup) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const auto close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      return failure{error::bad_env_reference, "unterminated ${ (write $${ for a literal ${)"};
    const std::string name(text.substr(i + 2, close - i - 2));
    const bool valid = !name.empty() && !is_digit(name[0]) &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                       });
    if (!valid) return failure{error::bad_env_reference, "invalid environment variable name in ${" + name + "}"};
    const char* value = lookup(name);
    if (value == nullptr) return failure{error::env_unset, "environment variable " + name + " is not set"};
    out += value;
    i = close + 1;
  }
  return out;
}

result<void> check_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return failure{error::bad_address, "expected [IPv6-address]:port"};
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    in6_addr v6{};
    if (auto checked = parse_port(port); !checked) return checked;
    if (inet_pton(AF_INET6, std::string(host).c_str(), &v6) != 1)
      return failure{error::bad_address, "'" + std::string(host) + "' is not an IPv6 address"};
    return {};
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return failure{error::bad_address, "expected host:port"};
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  if (host.find(':') != std::string_view::npos)
    return failure{error::bad_address, "write an IPv6 address in brackets: [addr]:port"};
  if (auto checked = parse_port(port); !checked) return checked;
  in_addr v4{};
  const bool looks_numeric = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return is_digit(c) || c == '.';
  });
  if (looks_numeric ? inet_pton(AF_INET, std::string(host).c_str(), &v4) != 1 : !valid_dns_name(host))
    return failure{error::bad_address, "'" + std::string(host) + "' is not an IP address or host name"};
  return {};
}

result<void> check_ldap_uri(std::string_view text) {
  for (std::string_view scheme : {"ldap://", "ldaps://", "ldapi://"}) {
    if (text.substr(0, scheme.size()) != scheme) continue;
    const auto rest = text.substr(scheme.size());
    if (scheme == "ldapi://") return {};  // the socket path is URL-encoded; libldap checks it
    const auto end = rest.find('/');
    const auto authority = rest.substr(0, end);
    if (authority.empty())
      return failure{error::bad_ldap_uri, "LDAP URI needs a host, e.g. ldap://ldap.example.com:389"};
    return check_listen_address(authority.find(':') == std::string_view::npos && authority[0] != '['
                                    ? std::string(authority) + ":389"
                                    : std::string(authority));
  }
  return failure{error::bad_ldap_uri, "expected an ldap://, ldaps:// or ldapi:// URI"};
}

std::string strip_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace tollgate::app::detail
