#include "destination_guard.hpp"

#include <gtest/gtest.h>

namespace tollgate::proxy::detail {
namespace {

std::string reason(const char* text) {
  auto r = restricted_reason(boost::asio::ip::make_address(text));
  return r ? std::string(*r) : std::string("public");
}

TEST(DestinationGuard, Ipv4Classes) {
  EXPECT_EQ(reason("127.0.0.1"), "loopback");
  EXPECT_EQ(reason("127.255.1.2"), "loopback");
  EXPECT_EQ(reason("10.0.0.1"), "private");
  EXPECT_EQ(reason("172.16.0.1"), "private");
  EXPECT_EQ(reason("172.31.255.255"), "private");
  EXPECT_EQ(reason("172.32.0.1"), "public");
  EXPECT_EQ(reason("192.168.1.1"), "private");
  EXPECT_EQ(reason("100.64.0.1"), "carrier-grade NAT");
  EXPECT_EQ(reason("100.128.0.1"), "public");
  EXPECT_EQ(reason("169.254.1.1"), "link-local");
  EXPECT_EQ(reason("169.254.169.254"), "cloud metadata");
  EXPECT_EQ(reason("224.0.0.1"), "multicast");
  EXPECT_EQ(reason("0.0.0.0"), "unspecified");
  EXPECT_EQ(reason("255.255.255.255"), "reserved");
  EXPECT_EQ(reason("93.184.216.34"), "public");
  EXPECT_EQ(reason("8.8.8.8"), "public");
}

TEST(DestinationGuard, Ipv6Classes) {
  EXPECT_EQ(reason("::1"), "loopback");
  EXPECT_EQ(reason("::"), "unspecified");
  EXPECT_EQ(reason("fe80::1"), "link-local");
  EXPECT_EQ(reason("fc00::1"), "private");
  EXPECT_EQ(reason("fd12:3456::1"), "private");
  EXPECT_EQ(reason("fd00:ec2::254"), "cloud metadata");
  EXPECT_EQ(reason("ff02::1"), "multicast");
  EXPECT_EQ(reason("2606:4700::1111"), "public");
}

TEST(DestinationGuard, EmbeddedIpv4IsJudgedByTheInnerAddress) {
  EXPECT_EQ(reason("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(reason("::ffff:169.254.169.254"), "cloud metadata");
  EXPECT_EQ(reason("::ffff:8.8.8.8"), "public");
  EXPECT_EQ(reason("::127.0.0.1"), "loopback");       // IPv4-compatible
  EXPECT_EQ(reason("64:ff9b::10.0.0.1"), "private");  // NAT64
}

TEST(DestinationGuard, CanonicalAddressUnmapsIpv4) {
  EXPECT_EQ(canonical_address(boost::asio::ip::make_address("::ffff:127.0.0.1")).to_string(), "127.0.0.1");
  EXPECT_EQ(canonical_address(boost::asio::ip::make_address("::1")).to_string(), "::1");
}

}  // namespace
}  // namespace tollgate::proxy::detail
