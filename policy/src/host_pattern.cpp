#include "host_pattern.hpp"

#include "tollgate/common/host_name.hpp"

#include <charconv>

namespace tollgate::policy::detail {
namespace {

uint128 v6_value(const boost::asio::ip::address_v6& a) {
  uint128 v = 0;
  for (auto b : a.to_bytes()) v = (v << 8) | b;
  return v;
}

ip_network single(const boost::asio::ip::address& a) {
  ip_network n = address_key(a);
  n.hi = n.lo;
  return n;
}

std::variant<host_pattern, std::string> parse_network(std::string_view base, std::string_view bits) {
  unsigned prefix = 0;
  const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (ec != std::errc{} || end != bits.data() + bits.size() || bits.empty()) {
    return std::string("prefix length is not a number");
  }
  if (base.size() > 2 && base.front() == '[' && base.back() == ']') base = base.substr(1, base.size() - 2);
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(base, error);
  if (error) return std::string("not an IP address before '/'");
  const unsigned width = address.is_v4() ? 32 : 128;
  if (prefix > width) return "prefix length is more than " + std::to_string(width);
  ip_network n;
  n.v6 = address.is_v6();
  n.lo = address.is_v4() ? uint128{address.to_v4().to_uint()} : v6_value(address.to_v6());
  const unsigned host_bits = width - prefix;
  const uint128 host_mask = host_bits == 0 ? 0 : host_bits == 128 ? ~uint128{0} : (uint128{1} << host_bits) - 1;
  if ((n.lo & host_mask) != 0) return std::string("address has bits set past the prefix length");
  n.hi = n.lo | host_mask;
  // ::ffff:a.b.c.d/96+n is the IPv4 network a.b.c.d/n; below /96 it also covers plain IPv6.
  if (n.v6 && prefix >= 96 && address.to_v6().is_v4_mapped()) {
    n.v6 = false;
    n.lo &= 0xFFFFFFFFu;
    n.hi &= 0xFFFFFFFFu;
  }
  host_pattern p;
  p.kind = host_pattern_kind::network;
  p.network = n;
  return p;
}

}  // namespace

ip_network address_key(const boost::asio::ip::address& a) {
  ip_network n;
  if (a.is_v4()) {
    n.lo = a.to_v4().to_uint();
  } else if (a.to_v6().is_v4_mapped()) {
    n.lo = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_uint();
  } else {
    n.v6 = true;
    n.lo = v6_value(a.to_v6());
  }
  n.hi = n.lo;
  return n;
}

std::variant<host_pattern, std::string> parse_host_pattern(std::string_view entry) {
  if (entry.empty()) return std::string("empty host");
  if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
    return parse_network(entry.substr(0, slash), entry.substr(slash + 1));
  }
  host_pattern p;
  std::string_view name = entry;
  if (entry.starts_with("*.")) {
    p.kind = host_pattern_kind::subdomains;
    name = entry.substr(2);
  } else if (entry.starts_with(".")) {
    p.kind = host_pattern_kind::domain_and_subdomains;
    name = entry.substr(1);
  }
  if (name.find('*') != std::string_view::npos) {
    return std::string("'*' is allowed only as the whole first label (\"*.example.com\")");
  }
  auto normalised = tollgate::normalise_host(name);
  if (!normalised) return std::string("not a valid host name or address");
  if (normalised->literal) {
    if (p.kind != host_pattern_kind::exact) return std::string("a wildcard needs a domain name, not an address");
    p.kind = host_pattern_kind::network;
    p.network = single(*normalised->literal);
    return p;
  }
  p.name = std::move(normalised->name);
  return p;
}

}  // namespace tollgate::policy::detail
