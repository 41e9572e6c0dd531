// Issue 3 point 7: graceful stop and live reload.
#include "proxy_harness.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <future>
#include <thread>

namespace tollgate::testing::proxy {
namespace {

using namespace std::chrono_literals;

TEST(ProxyLifecycle, StopLetsInFlightRequestsFinish) {
  proxy_process proxy;
  auto pending = std::async(std::launch::async, [&] {
    return curl(proxy, {"-w", " %{http_code}", origin_url("/slow/1500")});
  });
  std::this_thread::sleep_for(400ms);
  raw_client idle(proxy.port(), 100ms);  // an idle connection is closed at once
  std::this_thread::sleep_for(100ms);
  const auto t0 = std::chrono::steady_clock::now();
  const int status = proxy.terminate();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(pending.get().out, "slow 200");
  EXPECT_GE(took, 700ms);
  EXPECT_TRUE(idle.closed_within(100ms));
  const auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json_field(lines[0], "status"), "200");
}

TEST(ProxyLifecycle, GracePeriodBoundsTheStop) {
  proxy_process proxy({"shutdown_grace_ms=300"});
  auto pending = std::async(std::launch::async, [&] { return curl(proxy, {origin_url("/slow/4000")}); });
  std::this_thread::sleep_for(400ms);
  const auto t0 = std::chrono::steady_clock::now();
  const int status = proxy.terminate();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(pending.get().exit_code, 0);
  const auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u) << "the cut request still has its record";
  EXPECT_EQ(json_field(lines[0], "decision"), "error");
}

TEST(ProxyLifecycle, RequestWaitingForTheDirectoryAtStopStillGetsItsRecord) {
  proxy_process proxy({"shutdown_grace_ms=200", "user=slowpoke:pw:staff"});
  raw_client c(proxy.port());
  c.send("GET " + origin_url("/bytes/1") + " HTTP/1.1\r\nHost: 127.0.0.1:" +
         std::to_string(origin_environment::http_port()) + "\r\nProxy-Authorization: " + basic("slowpoke:pw") +
         "\r\n\r\n");
  std::this_thread::sleep_for(300ms);
  const int status = proxy.terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const auto lines = proxy.audit(1, 1s);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json_field(lines[0], "decision"), "error");
  EXPECT_EQ(json_field(lines[0], "username"), "slowpoke");
}

TEST(ProxyLifecycle, ReloadAppliesWithoutDroppingConnections) {
  proxy_process proxy;
  raw_client c(proxy.port());
  const auto req = "GET " + origin_url("/headers") + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                   std::to_string(origin_environment::http_port()) + "\r\nProxy-Authorization: " +
                   basic("alice:alice-pw") + "\r\n\r\n";
  ASSERT_TRUE(c.send(req));
  auto first = c.read_response();
  EXPECT_NE(first.find("Via: 1.1 tollgate"), std::string::npos);
  proxy.reload({"via=1.1 reloaded"});
  ASSERT_TRUE(c.send(req));  // same connection
  auto second = c.read_response();
  EXPECT_EQ(status_of(second), 200);
  EXPECT_NE(second.find("Via: 1.1 reloaded"), std::string::npos) << second;
}

TEST(ProxyLifecycle, ReloadChangesTimeoutsForNewRequests) {
  proxy_process proxy;
  proxy.reload({"idle_timeout_ms=400"});
  auto r = curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", origin_url("/slow/2000")});
  EXPECT_EQ(r.out, "504");
}

TEST(ProxyLifecycle, ListenCannotChangeOnReload) {
  proxy_process proxy;
  proxy.reload({"listen=127.0.0.1:1"});
  EXPECT_NE(proxy.output().find("proxy.listen cannot change"), std::string::npos) << proxy.output();
  EXPECT_EQ(curl(proxy, {origin_url("/bytes/1")}).out, "x");
}

TEST(ProxyLifecycle, BindFailureNamesTheAddress) {
  proxy_process first;
  temp_dir d;
  const auto cfg = d.write("config", "listen=127.0.0.1:" + std::to_string(first.port()) + "\n");
  auto r = run_command({TOLLGATE_PROXY_TESTBED, cfg}, 10s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot bind 127.0.0.1:" + std::to_string(first.port())), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tollgate::testing::proxy
