// Issue 3 point 6: limits and timeouts.
#include "proxy_harness.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <sys/resource.h>

namespace tollgate::testing::proxy {
namespace {

using namespace std::chrono_literals;

TEST(ProxyLimits, SlowHeadIsClosedAtHeadTimeout) {
  proxy_process proxy({"head_timeout_ms=2000"});
  raw_client c(proxy.port(), 100ms);
  const std::string head = "GET " + origin_url("/bytes/1") + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaa\r\n\r\n";
  const auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  // One byte a second, as a slowloris client does.
  for (std::size_t i = 0; i < head.size() && !closed; ++i) {
    if (!c.send(head.substr(i, 1))) break;
    closed = c.closed_within(1s);
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(closed);
  EXPECT_GE(took, 1900ms);
  EXPECT_LT(took, 3500ms);
  const auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json_field(lines[0], "status"), "408");
}

TEST(ProxyLimits, IdleKeepAliveConnectionIsClosedAtIdleTimeout) {
  proxy_process proxy({"idle_timeout_ms=700"});
  raw_client c(proxy.port(), 100ms);
  c.send("GET " + origin_url("/bytes/1") + " HTTP/1.1\r\nHost: 127.0.0.1:" +
         std::to_string(origin_environment::http_port()) + "\r\nProxy-Authorization: " + basic("alice:alice-pw") +
         "\r\n\r\n");
  EXPECT_FALSE(c.closed_within(400ms));  // the response arrives; the connection stays
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(2s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(ProxyLimits, IdleTimeoutBeforeFirstRequestIsTheHeadTimeout) {
  proxy_process proxy({"head_timeout_ms=600"});
  raw_client c(proxy.port(), 100ms);
  EXPECT_TRUE(c.closed_within(2s));
}

TEST(ProxyLimits, MaxConnectionsRefusesQuickly) {
  proxy_process proxy({"max_connections=3"});
  std::vector<std::unique_ptr<raw_client>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<raw_client>(proxy.port()));
  std::this_thread::sleep_for(200ms);
  raw_client extra(proxy.port(), 100ms);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(extra.closed_within(2s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  // The held ones still work, and once one closes a new connection is served again.
  held[0]->send("GET " + origin_url("/bytes/2") + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                std::to_string(origin_environment::http_port()) + "\r\nProxy-Authorization: " + basic("alice:alice-pw") +
                "\r\n\r\n");
  EXPECT_EQ(status_of(held[0]->read_response()), 200);
  held.pop_back();
  std::this_thread::sleep_for(200ms);
  auto r = curl(proxy, {origin_url("/bytes/2")});
  EXPECT_EQ(r.out, "xx");
  EXPECT_NE(proxy.metrics().find("tollgate_connections_rejected_total 1"), std::string::npos);
}

TEST(ProxyLimits, RejectedAtLimitGets503WhenItListens) {
  proxy_process proxy({"max_connections=1"});
  raw_client held(proxy.port());
  std::this_thread::sleep_for(200ms);
  raw_client extra(proxy.port(), 2000ms);
  const auto r = extra.read_until_close();
  EXPECT_TRUE(r.empty() || status_of(r) == 503) << r;
}

TEST(ProxyLimits, RequestBodyLimitIs413) {
  proxy_process proxy({"max_body_bytes=1000"});
  temp_dir d;
  const auto file = d.write("b", std::string(5000, 'z'));
  auto r = curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", "-H", "Expect:", "--data-binary", "@" + file, origin_url("/echo")});
  EXPECT_EQ(r.out, "413");
}

TEST(ProxyLimits, DefaultMaxConnectionsFollowsNofile) {
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur < 1000) GTEST_SKIP() << "unusual RLIMIT_NOFILE";
  proxy_process proxy;  // inherits this process's limit; max_connections=0 in its config
  const auto out = proxy.output();
  EXPECT_NE(out.find("max_connections " + std::to_string((lim.rlim_cur - 256) / 2)), std::string::npos) << out;
}

}  // namespace
}  // namespace tollgate::testing::proxy
