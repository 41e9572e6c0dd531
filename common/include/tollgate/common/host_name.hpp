#pragma once
#include <boost/asio/ip/address.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace tollgate {

/// A request's destination host in canonical form.
struct normalised_host {
  std::string name;  ///< canonical spelling: lower-case DNS name without trailing dot, or the address text
  std::optional<boost::asio::ip::address> literal;  ///< set when the host is an IP literal in any accepted spelling
};

/// Canonicalises a host as written in a request target or CONNECT authority
/// (brackets around IPv6 allowed). IPv4 in the inet_aton spellings that browsers
/// and libc accept (`2130706433`, `0x7f.1`, `0177.0.0.1`) becomes dotted quad;
/// IPv4-mapped IPv6 becomes the IPv4 address; names are lower-cased, lose one
/// trailing dot and are checked for valid DNS characters; UTF-8 names become their
/// IDNA2008 punycode (`xn--`) form (UTS #46 mapping, so case and full-width forms fold).
/// A name whose last label is numeric is taken as an IPv4 address or refused, never
/// kept as a name. Fails (errc::invalid_argument) on anything else.
boost::system::result<normalised_host> normalise_host(std::string_view host);

/// Parses the IPv4 spellings inet_aton accepts (1 to 4 parts, decimal, octal, hex).
std::optional<boost::asio::ip::address_v4> parse_loose_ipv4(std::string_view text);

}  // namespace tollgate
