#pragma once
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string_view>

namespace tollgate::proxy::detail {

/// Names the class of a destination that block_private_destinations refuses
/// (loopback, private, link-local, CGNAT, multicast, unspecified, cloud metadata,
/// reserved), or nullopt for an ordinary public address. IPv4-mapped, IPv4-compatible
/// and NAT64 (64:ff9b::/96) IPv6 addresses are judged by the IPv4 address inside.
std::optional<std::string_view> restricted_reason(const boost::asio::ip::address& a) noexcept;

/// The address to connect to: an IPv4-mapped IPv6 address becomes plain IPv4, so the
/// socket goes to exactly the address that restricted_reason() judged.
boost::asio::ip::address canonical_address(const boost::asio::ip::address& a) noexcept;

}  // namespace tollgate::proxy::detail
