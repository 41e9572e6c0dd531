#pragma once
// Private to the policy engine: host entries of a rule, parsed once for both
// validation and compilation so the two can never disagree.
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace tollgate::policy::detail {

__extension__ typedef unsigned __int128 uint128;

/// An address range: IPv4 as its 32-bit value, IPv6 as 128 bits. IPv4-mapped IPv6
/// networks are stored as IPv4, the way normalise_host() stores such addresses.
struct ip_network {
  bool v6 = false;
  uint128 lo = 0;
  uint128 hi = 0;  ///< inclusive
};

enum class host_pattern_kind {
  exact,                  ///< "example.com"
  subdomains,             ///< "*.example.com": below the domain, not the domain itself
  domain_and_subdomains,  ///< ".example.com"
  network,                ///< "10.0.0.0/8", "2001:db8::/32", "10.1.2.3", "[::1]"
};

struct host_pattern {
  host_pattern_kind kind = host_pattern_kind::exact;
  std::string name;  ///< normalised domain for the three name kinds
  ip_network network;
};

/// Parses one `hosts` entry; on failure the string says why.
std::variant<host_pattern, std::string> parse_host_pattern(std::string_view entry);

/// The address as a key in the index (IPv4-mapped IPv6 becomes IPv4).
ip_network address_key(const boost::asio::ip::address& a);

}  // namespace tollgate::policy::detail
