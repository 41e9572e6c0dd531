#include "destination_guard.hpp"

#include <array>
#include <cstdint>

namespace tollgate::proxy::detail {
namespace {

using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

bool in_v4(std::uint32_t a, std::uint32_t net, unsigned prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (a & mask) == (net & mask);
}

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

std::optional<std::string_view> v4_reason(const address_v4& addr) {
  const std::uint32_t a = addr.to_uint();
  if (a == v4(169, 254, 169, 254)) return "cloud metadata";
  if (in_v4(a, v4(0, 0, 0, 0), 8)) return "unspecified";
  if (in_v4(a, v4(127, 0, 0, 0), 8)) return "loopback";
  if (in_v4(a, v4(10, 0, 0, 0), 8) || in_v4(a, v4(172, 16, 0, 0), 12) || in_v4(a, v4(192, 168, 0, 0), 16))
    return "private";
  if (in_v4(a, v4(100, 64, 0, 0), 10)) return "carrier-grade NAT";
  if (in_v4(a, v4(169, 254, 0, 0), 16)) return "link-local";
  if (in_v4(a, v4(224, 0, 0, 0), 4)) return "multicast";
  if (in_v4(a, v4(240, 0, 0, 0), 4)) return "reserved";  // includes 255.255.255.255
  if (in_v4(a, v4(192, 0, 0, 0), 24)) return "reserved";  // IETF protocol assignments
  if (in_v4(a, v4(198, 18, 0, 0), 15)) return "reserved";  // benchmarking
  return std::nullopt;
}

std::optional<address_v4> embedded_v4(const address_v6& a) {
  const auto b = a.to_bytes();
  if (a.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a);
  bool zero96 = true;
  for (int i = 0; i < 12; ++i) zero96 = zero96 && b[i] == 0;
  // IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks); not :: or ::1.
  if (zero96 && (b[12] | b[13]) != 0) return address_v4({b[12], b[13], b[14], b[15]});
  // NAT64 well-known prefix 64:ff9b::/96.
  static constexpr std::array<unsigned char, 12> nat64{0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  bool is_nat64 = true;
  for (int i = 0; i < 12; ++i) is_nat64 = is_nat64 && b[i] == nat64[i];
  if (is_nat64) return address_v4({b[12], b[13], b[14], b[15]});
  return std::nullopt;
}

std::optional<std::string_view> v6_reason(const address_v6& a) {
  if (auto inner = embedded_v4(a)) return v4_reason(*inner);
  const auto b = a.to_bytes();
  if (a.is_unspecified()) return "unspecified";
  if (a.is_loopback()) return "loopback";
  // fd00:ec2::254 (AWS IMDS over IPv6) sits inside fc00::/7; name it for the 403 page.
  static const address_v6 imds_v6 = boost::asio::ip::make_address_v6("fd00:ec2::254");
  if (a == imds_v6) return "cloud metadata";
  if ((b[0] & 0xfe) == 0xfc) return "private";                      // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "private";     // fec0::/10 site-local (deprecated)
  if (b[0] == 0xff) return "multicast";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "reserved";  // documentation
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> restricted_reason(const boost::asio::ip::address& a) noexcept {
  return a.is_v4() ? v4_reason(a.to_v4()) : v6_reason(a.to_v6());
}

boost::asio::ip::address canonical_address(const boost::asio::ip::address& a) noexcept {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace tollgate::proxy::detail
