#include "dns_cache.hpp"
#include "max_connections.hpp"
#include "upstream_pool.hpp"

#include <boost/asio/io_context.hpp>

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

TEST(UpstreamPool, BoundedPerKeyAndReusedNewestFirst) {
  boost::asio::io_context ioc;
  upstream_pool pool;
  const auto now = upstream_pool::clock::now();
  std::vector<upstream_connection*> raw;
  for (int i = 0; i < 3; ++i) {
    auto c = std::make_unique<upstream_connection>(ioc.get_executor());
    c->key = "h|192.0.2.1|80";
    raw.push_back(c.get());
    pool.put(std::move(c), 2, now);
  }
  EXPECT_EQ(pool.size(), 2u);  // the oldest was dropped
  auto a = pool.take("h|192.0.2.1|80", now, /*probe=*/false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.get(), raw[2]);
  EXPECT_TRUE(a->reused);
  EXPECT_TRUE(pool.take("h|192.0.2.1|80", now, false));
  EXPECT_FALSE(pool.take("h|192.0.2.1|80", now, false));
  EXPECT_EQ(pool.size(), 0u);
}

TEST(UpstreamPool, ProbedOrStaleConnectionsAreNotHandedOut) {
  boost::asio::io_context ioc;
  upstream_pool pool;
  const auto now = upstream_pool::clock::now();
  auto put_one = [&](upstream_pool::clock::time_point when) {
    auto c = std::make_unique<upstream_connection>(ioc.get_executor());
    c->key = "k";
    pool.put(std::move(c), 8, when);
  };
  put_one(now);
  EXPECT_FALSE(pool.take("k", now, /*probe=*/true)) << "a closed socket fails the probe";
  put_one(now - upstream_pool::probe_after);
  EXPECT_FALSE(pool.take("k", now, false)) << "idle past probe_after: always probed";
  put_one(now - upstream_pool::max_idle);
  pool.sweep(now);
  EXPECT_EQ(pool.size(), 0u);
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
