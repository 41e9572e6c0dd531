#include "tollgate/common/host_name.hpp"

#include <idn2.h>

#include <boost/system/errc.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace tollgate {
namespace {

constexpr std::size_t max_name_length = 253;
constexpr std::size_t max_label_length = 63;

boost::system::error_code invalid() {
  return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// One inet_aton part: "0x.." hex, "0.." octal, else decimal. Values past 2^32 fail
// (the caller checks the exact limit for the part's position).
std::optional<std::uint64_t> parse_ipv4_part(std::string_view part) {
  if (part.empty()) return std::nullopt;
  std::uint64_t value = 0;
  constexpr std::uint64_t limit = 0xFFFFFFFFull;
  if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    // "0x" alone is 0 for browsers; treating it as a number keeps it inside address rules.
    for (char c : part.substr(2)) {
      if (!is_hex_digit(c)) return std::nullopt;
      value = value * 16 + static_cast<std::uint64_t>(hex_value(c));
      if (value > limit) return std::nullopt;
    }
    return value;
  }
  const bool octal = part.size() > 1 && part[0] == '0';
  for (char c : part) {
    if (!is_digit(c) || (octal && c > '7')) return std::nullopt;
    value = value * (octal ? 8 : 10) + static_cast<std::uint64_t>(c - '0');
    if (value > limit) return std::nullopt;
  }
  return value;
}

// A name whose last label looks like a number is meant as an address (the URL standard's
// rule); such a name is never accepted as a DNS name, so it cannot dodge an address rule.
bool ends_in_number(std::string_view host) {
  const auto dot = host.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && is_digit(c);
  if (all_digits) return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    for (char c : last.substr(2)) {
      if (!is_hex_digit(c)) return false;
    }
    return true;
  }
  return false;
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Lower-cases and checks an ASCII DNS name (letters, digits, '-', '_'; labels 1..63).
boost::system::result<std::string> checked_ascii_name(std::string_view name) {
  if (name.empty() || name.size() > max_name_length) return invalid();
  std::string out;
  out.reserve(name.size());
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return invalid();
      label = 0;
      out.push_back(c);
      continue;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
    if (!ok || ++label > max_label_length) return invalid();
    out.push_back(c);
  }
  if (label == 0) return invalid();
  return out;
}

struct idn2_deleter {
  void operator()(char* p) const { idn2_free(p); }
};

// UTF-8 name to its IDNA2008 (UTS #46 non-transitional) ASCII form.
boost::system::result<std::string> to_punycode(std::string_view name) {
  const std::string input(name);
  char* raw = nullptr;
  const int rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(input.c_str()),
                                reinterpret_cast<std::uint8_t**>(&raw), IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  std::unique_ptr<char, idn2_deleter> owned(raw);
  if (rc != IDN2_OK || raw == nullptr) return invalid();
  return std::string(raw);
}

std::optional<boost::asio::ip::address> parse_ipv6(std::string_view text) {
  if (text.find('%') != std::string_view::npos) return std::nullopt;  // zone ids name no destination
  boost::system::error_code ec;
  auto v6 = boost::asio::ip::make_address_v6(text, ec);
  if (ec) return std::nullopt;
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::address{boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6)};
  }
  return boost::asio::ip::address{v6};
}

normalised_host from_address(const boost::asio::ip::address& a) { return {a.to_string(), a}; }

}  // namespace

std::optional<boost::asio::ip::address_v4> parse_loose_ipv4(std::string_view text) {
  std::uint64_t parts[4] = {0, 0, 0, 0};
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    if (count == 4) return std::nullopt;
    const auto dot = text.find('.', start);
    const auto piece = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    const auto value = parse_ipv4_part(piece);
    if (!value) return std::nullopt;
    parts[count++] = *value;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // All parts but the last are single bytes; the last fills the remaining bytes.
  std::uint64_t result = 0;
  for (std::size_t i = 0; i + 1 < count; ++i) {
    if (parts[i] > 0xFF) return std::nullopt;
    result |= parts[i] << (8 * (3 - i));
  }
  const std::uint64_t last_limit = (std::uint64_t{1} << (8 * (5 - count))) - 1;
  if (parts[count - 1] > last_limit) return std::nullopt;
  result |= parts[count - 1];
  return boost::asio::ip::address_v4{static_cast<std::uint32_t>(result)};
}

boost::system::result<normalised_host> normalise_host(std::string_view host) {
  if (host.empty() || host.size() > 1024) return invalid();
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return invalid();
    auto a = parse_ipv6(host.substr(1, host.size() - 2));
    if (!a) return invalid();
    return from_address(*a);
  }
  if (host.find(':') != std::string_view::npos) {
    auto a = parse_ipv6(host);
    if (!a) return invalid();
    return from_address(*a);
  }
  if (host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return invalid();
  if (is_ascii(host) && ends_in_number(host)) {
    auto v4 = parse_loose_ipv4(host);
    if (!v4) return invalid();
    return from_address(boost::asio::ip::address{*v4});
  }
  std::string ascii;
  if (is_ascii(host)) {
    ascii = std::string(host);
  } else {
    auto converted = to_punycode(host);
    if (!converted) return converted.error();
    ascii = std::move(*converted);
    // Full-width digits and dots map to ASCII ones: the result may now spell an address.
    if (!ascii.empty() && ascii.back() == '.') ascii.pop_back();
    if (ends_in_number(ascii)) {
      auto v4 = parse_loose_ipv4(ascii);
      if (!v4) return invalid();
      return from_address(boost::asio::ip::address{*v4});
    }
  }
  auto name = checked_ascii_name(ascii);
  if (!name) return name.error();
  return normalised_host{std::move(*name), std::nullopt};
}

}  // namespace tollgate
