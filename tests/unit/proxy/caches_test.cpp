#include "dns_cache.hpp"
#include "max_connections.hpp"
#include "upstream_pool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

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

// Loopback connections for the pool: the proxy's end goes into the pool, the test keeps
// the origin's end to write to or close.
struct loopback_pair {
  explicit loopback_pair(boost::asio::io_context& ioc)
      : acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}), origin(ioc) {}
  std::unique_ptr<upstream_connection> connect(const std::string& key) {
    auto c = std::make_unique<upstream_connection>(acceptor.get_executor());
    c->key = key;
    c->stream.socket().connect(acceptor.local_endpoint());
    origin = acceptor.accept();
    return c;
  }
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::ip::tcp::socket origin;
};

TEST(UpstreamPool, BoundedPerKeyAndReusedNewestFirst) {
  boost::asio::io_context ioc;
  loopback_pair net(ioc);
  std::vector<boost::asio::ip::tcp::socket> origins;
  upstream_pool pool;
  const auto now = upstream_pool::clock::now();
  std::vector<upstream_connection*> raw;
  for (int i = 0; i < 3; ++i) {
    auto c = net.connect("h|192.0.2.1|80");
    origins.push_back(std::move(net.origin));
    raw.push_back(c.get());
    pool.put(std::move(c), 2, now);
  }
  EXPECT_EQ(pool.size(), 2u);  // the oldest was dropped
  auto a = pool.take("h|192.0.2.1|80", now);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.get(), raw[2]);
  EXPECT_TRUE(a->reused);
  EXPECT_TRUE(pool.take("h|192.0.2.1|80", now));
  EXPECT_FALSE(pool.take("h|192.0.2.1|80", now));
  EXPECT_EQ(pool.size(), 0u);
}

// Bytes the origin sent after the response would be read as the next request's answer:
// such a connection is never handed out, even one pooled a moment ago.
TEST(UpstreamPool, ConnectionWithStrayBytesIsNotHandedOut) {
  boost::asio::io_context ioc;
  loopback_pair net(ioc);
  upstream_pool pool;
  const auto now = upstream_pool::clock::now();
  pool.put(net.connect("k"), 8, now);
  boost::asio::write(net.origin, boost::asio::buffer(std::string_view("HTTP/1.1 200 OK\r\n")));
  EXPECT_FALSE(pool.take("k", now));
  EXPECT_EQ(pool.size(), 0u);
}

TEST(UpstreamPool, ClosedOrStaleConnectionsAreNotHandedOut) {
  boost::asio::io_context ioc;
  loopback_pair net(ioc);
  upstream_pool pool;
  const auto now = upstream_pool::clock::now();
  auto never_opened = std::make_unique<upstream_connection>(ioc.get_executor());
  never_opened->key = "k";
  pool.put(std::move(never_opened), 8, now);
  EXPECT_FALSE(pool.take("k", now)) << "a closed socket fails the probe";
  pool.put(net.connect("k"), 8, now);
  net.origin.close();
  EXPECT_FALSE(pool.take("k", now)) << "the origin closed it";
  pool.put(net.connect("k"), 8, now - upstream_pool::max_idle);
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
