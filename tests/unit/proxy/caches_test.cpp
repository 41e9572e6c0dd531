#include "dns_cache.hpp"
#include "max_connections.hpp"

#include <gtest/gtest.h>

namespace tollgate::proxy::detail {
namespace {

TEST(DnsCache, PositiveAndNegativeEntriesExpire) {
  dns_cache c;
  const auto t0 = dns_cache::clock::now();
  const auto a = boost::asio::ip::make_address("192.0.2.1");
  EXPECT_EQ(c.find("a.example", t0).state, dns_cache::status::miss);
  c.store("a.example", a, t0);
  c.store_failure("b.example", t0);
  EXPECT_EQ(c.find("a.example", t0).state, dns_cache::status::hit);
  EXPECT_EQ(c.find("a.example", t0).address, a);
  EXPECT_EQ(c.find("b.example", t0).state, dns_cache::status::negative);
  EXPECT_EQ(c.find("b.example", t0 + dns_cache::negative_ttl).state, dns_cache::status::miss);
  EXPECT_EQ(c.find("a.example", t0 + dns_cache::positive_ttl).state, dns_cache::status::miss);
}

TEST(DnsCache, StaysBounded) {
  dns_cache c;
  const auto t0 = dns_cache::clock::now();
  const auto a = boost::asio::ip::make_address("192.0.2.1");
  for (std::size_t i = 0; i < dns_cache::max_entries + 10; ++i) c.store("h" + std::to_string(i), a, t0);
  EXPECT_LE(c.size(), dns_cache::max_entries);
}

TEST(MaxConnections, DerivedFromNofileWithHeadroom) {
  EXPECT_EQ(derive_max_connections(20000), (20000u - 256) / 2);
  EXPECT_EQ(derive_max_connections(1024), 384u);
  EXPECT_EQ(derive_max_connections(100), 16u);
  EXPECT_EQ(effective_max_connections(5), 5u);
  EXPECT_GE(effective_max_connections(0), 16u);
}

}  // namespace
}  // namespace tollgate::proxy::detail
