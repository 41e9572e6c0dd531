// Issue 3 point 2: CONNECT tunnels.
#include "proxy_harness.hpp"

#include <gtest/gtest.h>

namespace tollgate::testing::proxy {
namespace {

using namespace std::chrono_literals;

std::string connect_request(std::uint16_t port, const std::string& creds = "alice:alice-pw") {
  return "CONNECT 127.0.0.1:" + std::to_string(port) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nProxy-Authorization: " + basic(creds) + "\r\n\r\n";
}

TEST(ProxyTunnel, HttpsThroughCurl) {
  proxy_process proxy;
  const auto url = "https://127.0.0.1:" + std::to_string(origin_environment::tls_port()) + "/";
  auto r = curl(proxy, {"-k", url});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello over tls\n");
  const auto lines = proxy.audit(2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json_field(lines[0], "event"), "tunnel_open");
  EXPECT_EQ(json_field(lines[0], "method"), "CONNECT");
  EXPECT_EQ(json_field(lines[0], "scheme"), "https");
  EXPECT_EQ(json_field(lines[0], "status"), "200");
  EXPECT_EQ(json_field(lines[0], "username"), "alice");
  EXPECT_EQ(json_field(lines[1], "event"), "tunnel_close");
  EXPECT_GT(std::stoul(json_field(lines[1], "bytes_up")), 100u);
  EXPECT_GT(std::stoul(json_field(lines[1], "bytes_down")), 500u);
  EXPECT_GT(std::stoul(json_field(lines[1], "duration_us")), 0u);
}

TEST(ProxyTunnel, TunnelOpenIsRecordedWhileTheTunnelLasts) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(connect_request(origin_environment::sink_port())));
  const auto r = c.read_response();
  ASSERT_EQ(r, "HTTP/1.1 200 Connection established\r\n\r\n");
  const auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json_field(lines[0], "event"), "tunnel_open");
  const auto m = proxy.metrics();
  EXPECT_NE(m.find("tollgate_active_connections{kind=\"tunnel\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("# connection user=alice"), std::string::npos) << m;
  EXPECT_NE(m.find("kind=tunnel"), std::string::npos) << m;
}

TEST(ProxyTunnel, HalfCloseIsPassedOnAndTheOtherWayStaysOpen) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(connect_request(origin_environment::sink_port())));
  ASSERT_EQ(status_of(c.read_response()), 200);
  ASSERT_TRUE(c.send("hello tunnel"));
  c.shutdown_write();  // the sink answers only after it sees EOF
  EXPECT_EQ(c.read_until_close(), "received 12\n");
  const auto lines = proxy.audit(2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json_field(lines[1], "event"), "tunnel_close");
  EXPECT_EQ(json_field(lines[1], "bytes_up"), "12");
}

TEST(ProxyTunnel, EarlyDataBehindConnectHeadIsForwarded) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(connect_request(origin_environment::sink_port()) + "early"));
  ASSERT_EQ(status_of(c.read_response()), 200);
  c.shutdown_write();
  EXPECT_EQ(c.read_until_close(), "received 5\n");
}

TEST(ProxyTunnel, IdleTunnelIsClosedAtTunnelIdleTimeout) {
  proxy_process proxy({"tunnel_idle_timeout_ms=600"});
  raw_client c(proxy.port(), 100ms);
  ASSERT_TRUE(c.send(connect_request(origin_environment::sink_port())));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(3s));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 2s);
  const auto lines = proxy.audit(2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json_field(lines[1], "error"), "tunnel idle timeout");
}

TEST(ProxyTunnel, ActiveTunnelOutlivesTheIdleTimeout) {
  proxy_process proxy({"tunnel_idle_timeout_ms=500"});
  raw_client c(proxy.port(), 100ms);
  ASSERT_TRUE(c.send(connect_request(origin_environment::sink_port())));
  ASSERT_EQ(status_of(c.read_response()), 200);
  for (int i = 0; i < 8; ++i) {  // 1.6 s of traffic, never 500 ms quiet
    ASSERT_TRUE(c.send("x"));
    EXPECT_FALSE(c.closed_within(200ms));
  }
  c.shutdown_write();
  EXPECT_NE(c.read_until_close().find("received 8"), std::string::npos);
}

TEST(ProxyTunnel, ConnectNeedsCredentials) {
  proxy_process proxy;
  raw_client c(proxy.port());
  const auto authority = "127.0.0.1:" + std::to_string(origin_environment::tls_port());
  c.send("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
  const auto r = c.read_response();
  EXPECT_EQ(status_of(r), 407);
  EXPECT_NE(r.find("Proxy-Authenticate: Basic"), std::string::npos);
}

TEST(ProxyTunnel, ConnectPortsComeFromPolicy) {
  proxy_process proxy({"connect_port=" + std::to_string(origin_environment::tls_port())});
  raw_client c(proxy.port());
  c.send(connect_request(origin_environment::sink_port()));
  EXPECT_EQ(status_of(c.read_response()), 403);
  raw_client ok(proxy.port());
  ok.send(connect_request(origin_environment::tls_port()));
  EXPECT_EQ(status_of(ok.read_response()), 200);
}

TEST(ProxyTunnel, ConnectWithoutPortIs400) {
  proxy_process proxy;
  raw_client c(proxy.port());
  c.send("CONNECT 127.0.0.1 HTTP/1.1\r\nProxy-Authorization: " + basic("alice:alice-pw") + "\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 400);
}

}  // namespace
}  // namespace tollgate::testing::proxy
