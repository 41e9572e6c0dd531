// The client session's behaviour through proxy::server's public interface: the server,
// an origin and the fakes all run in this process; tests wait on events (a response, a
// record, a close), never on a sleep, and move time with the injected clock.
#include "tollgate/proxy/server.hpp"

#include "tollgate/testing/in_process_origin.hpp"
#include "tollgate/testing/in_process_proxy.hpp"
#include "tollgate/testing/raw_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace tollgate::testing {
namespace {

using namespace std::chrono_literals;

struct session_test : ::testing::Test {
  in_process_origin origin;
  in_process_proxy proxy;

  std::string get(const std::string& path, const std::string& user = "alice:alice-pw",
                  const std::string& extra = "") const {
    return proxy_get(origin.port(), path, user, extra);
  }
  // Sends one request on a fresh connection and reads the answer.
  std::string exchange(const std::string& request) const {
    raw_client c(proxy.port());
    EXPECT_TRUE(c.send(request));
    return c.read_response();
  }
};

bool has_header(const std::string& response, const std::string& name) {
  std::string lower = response.substr(0, response.find("\r\n\r\n"));
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string key = "\r\n" + name + ":";
  for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower.find(key) != std::string::npos;
}

TEST_F(session_test, no_credentials_is_answered_407_with_a_basic_challenge) {
  proxy.start();
  const auto r = exchange(get("/", ""));
  EXPECT_EQ(status_of(r), 407);
  EXPECT_NE(r.find("Proxy-Authenticate: Basic realm=\"Tollgate\""), std::string::npos) << r;
  const auto records = proxy.audit.wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 407);
  EXPECT_EQ(records[0].decision, "auth_required");
  EXPECT_TRUE(origin.wait_for(0, 0ms).empty());
}

TEST_F(session_test, wrong_password_is_answered_407_and_audited_as_auth_failed) {
  proxy.start();
  EXPECT_EQ(status_of(exchange(get("/", "alice:wrong"))), 407);
  const auto records = proxy.audit.wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, "auth_failed");
  EXPECT_EQ(records[0].username, "alice");
  EXPECT_EQ(records[0].error, "bad credentials");
}

TEST_F(session_test, denied_host_is_answered_403_with_one_record_naming_the_rule) {
  proxy.policy.deny_hosts = {"blocked.example"};
  proxy.start();
  const auto r = exchange("GET http://blocked.example/x HTTP/1.1\r\nHost: blocked.example\r\nProxy-Authorization: " +
                          basic("alice:alice-pw") + "\r\n\r\n");
  EXPECT_EQ(status_of(r), 403);
  EXPECT_NE(r.find("helpdesk@example.com"), std::string::npos) << r;
  const auto records = proxy.audit.wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 403);
  EXPECT_EQ(records[0].decision, "deny");
  EXPECT_EQ(records[0].rule_id, 7);
  EXPECT_EQ(records[0].policy_version, 42);
  EXPECT_EQ(records[0].host, "blocked.example");
  EXPECT_EQ(records[0].username, "alice");
}

TEST_F(session_test, allowed_get_is_relayed_without_credentials_or_hop_by_hop_headers) {
  proxy.start();
  const auto r = exchange(get("/hello?q=1", "alice:alice-pw",
                              "Connection: keep-alive, X-Client-Hop\r\nX-Client-Hop: 1\r\nKeep-Alive: timeout=9\r\n"
                              "Proxy-Connection: keep-alive\r\nX-End-To-End: kept\r\n"));
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(r.find("origin saw GET /hello?q=1"), std::string::npos) << r;
  EXPECT_FALSE(has_header(r, "X-Origin-Hop")) << r;

  const auto seen = origin.wait_for(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/hello?q=1");
  EXPECT_FALSE(seen[0].has("Proxy-Authorization"));
  EXPECT_FALSE(seen[0].has("Proxy-Connection"));
  EXPECT_FALSE(seen[0].has("X-Client-Hop"));
  EXPECT_FALSE(seen[0].has("Keep-Alive"));
  EXPECT_EQ(seen[0].field("X-End-To-End"), "kept");
  EXPECT_EQ(seen[0].field("Host"), "127.0.0.1:" + std::to_string(origin.port()));

  const auto records = proxy.audit.wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 200);
  EXPECT_EQ(records[0].decision, "allow");
  EXPECT_EQ(records[0].rule_id, 1);
  EXPECT_EQ(records[0].groups, (std::vector<std::string>{"engineering", "staff"}));
  EXPECT_EQ(records[0].path, "/hello");  // the query is dropped unless store_query
  EXPECT_EQ(records[0].upstream_ip, "127.0.0.1");
  EXPECT_GT(records[0].bytes_down, 0u);
}

TEST_F(session_test, keep_alive_connection_carries_a_second_request) {
  proxy.start();
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(get("/one")));
  EXPECT_EQ(status_of(c.read_response()), 200);
  ASSERT_TRUE(c.send(get("/two")));
  const auto r = c.read_response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("origin saw GET /two"), std::string::npos) << r;
  EXPECT_EQ(proxy.audit.wait_for(2).size(), 2u);
}

TEST_F(session_test, connect_tunnel_writes_open_and_close_records) {
  proxy.start();
  raw_client c(proxy.port());
  const auto authority = "127.0.0.1:" + std::to_string(origin.port());
  ASSERT_TRUE(c.send("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority +
                     "\r\nProxy-Authorization: " + basic("bob:bob-pw") + "\r\n\r\n"));
  EXPECT_EQ(status_of(c.read_response()), 200);
  const auto opened = proxy.audit.wait_for(1);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].event, audit::audit_event::tunnel_open);
  EXPECT_EQ(opened[0].username, "bob");

  // Through the tunnel the origin is spoken to directly, in origin form.
  ASSERT_TRUE(c.send("GET /inside HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n\r\n"));
  const auto inner = c.read_response();
  EXPECT_EQ(status_of(inner), 200);
  EXPECT_NE(inner.find("origin saw GET /inside"), std::string::npos) << inner;
  c.shutdown_write();
  c.read_until_close();

  const auto records = proxy.audit.wait_for(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].event, audit::audit_event::tunnel_close);
  EXPECT_EQ(records[1].method, "CONNECT");
  EXPECT_GT(records[1].bytes_up, 0u);
  EXPECT_GT(records[1].bytes_down, 0u);
}

TEST_F(session_test, connect_to_a_denied_port_is_one_request_record) {
  proxy.policy.connect_ports = {443};
  proxy.start();
  const auto authority = "127.0.0.1:" + std::to_string(origin.port());
  EXPECT_EQ(status_of(exchange("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority +
                               "\r\nProxy-Authorization: " + basic("bob:bob-pw") + "\r\n\r\n")),
            403);
  const auto records = proxy.audit.wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].event, audit::audit_event::request);
  EXPECT_EQ(records[0].decision, "deny");
}

TEST_F(session_test, oversized_header_is_answered_431) {
  auto opts = in_process_proxy::test_options();
  opts.max_header_bytes = 2048;
  proxy.start(opts);
  const auto r = exchange(get("/", "alice:alice-pw", "X-Big: " + std::string(4096, 'a') + "\r\n"));
  EXPECT_EQ(status_of(r), 431) << r;
  const auto records = proxy.audit.wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 431);
  EXPECT_TRUE(origin.wait_for(0, 0ms).empty());
}

TEST_F(session_test, overlong_request_line_is_answered_414) {
  auto opts = in_process_proxy::test_options();
  opts.max_header_bytes = 2048;
  proxy.start(opts);
  const auto r = exchange(get("/" + std::string(4096, 'p')));
  EXPECT_EQ(status_of(r), 414) << r;
  EXPECT_EQ(proxy.audit.wait_for(1).at(0).status, 414);
}

TEST_F(session_test, idle_keep_alive_connection_is_closed_after_the_idle_timeout) {
  auto opts = in_process_proxy::test_options();
  opts.idle_timeout = 100ms;
  proxy.start(opts);
  raw_client c(proxy.port(), 5s);
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_EQ(status_of(c.read_response()), 200);
  // Blocks in recv() until the proxy closes; the 5 s bound only ends a broken test.
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(session_test, unavailable_directory_is_answered_503) {
  proxy.authenticator.set_unavailable(true);
  proxy.start();
  EXPECT_EQ(status_of(exchange(get("/"))), 503);
  const auto records = proxy.audit.wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 503);
  EXPECT_EQ(records[0].decision, "error");
}

TEST_F(session_test, full_audit_queue_refuses_with_503_fail_closed) {
  proxy.audit.set_admission(audit::admission::reject);
  proxy.start();
  EXPECT_EQ(status_of(exchange(get("/"))), 503);
  EXPECT_TRUE(origin.wait_for(0, 0ms).empty());
}

TEST_F(session_test, reloaded_realm_is_used_by_the_next_challenge) {
  proxy.start();
  auto next = in_process_proxy::test_options();
  next.realm = "Reloaded";
  EXPECT_TRUE(proxy.server().apply(next).empty());
  const auto r = exchange(get("/", ""));
  EXPECT_NE(r.find("Basic realm=\"Reloaded\""), std::string::npos) << r;
}

TEST_F(session_test, stop_hands_every_record_to_the_sink) {
  proxy.start();
  EXPECT_EQ(status_of(exchange(get("/a"))), 200);
  EXPECT_EQ(status_of(exchange(get("/b", ""))), 407);
  proxy.stop();
  EXPECT_EQ(proxy.audit.records().size(), 2u);
}

TEST_F(session_test, challenges_past_the_flood_budget_get_429_until_the_clock_refills_it) {
  auto opts = in_process_proxy::test_options();
  opts.flood.challenges_per_second = 1;
  opts.flood.challenge_burst = 2;
  proxy.start(opts);
  EXPECT_EQ(status_of(exchange(get("/", ""))), 407);
  EXPECT_EQ(status_of(exchange(get("/", ""))), 407);
  const auto throttled = exchange(get("/", ""));
  EXPECT_EQ(status_of(throttled), 429);
  EXPECT_TRUE(has_header(throttled, "Retry-After")) << throttled;
  EXPECT_EQ(status_of(exchange(get("/", ""))), 429);  // no real time refills it
  proxy.clock.advance(1s);
  EXPECT_EQ(status_of(exchange(get("/", ""))), 407);
}

TEST_F(session_test, records_past_the_flood_rate_are_aggregated_when_the_interval_has_passed) {
  auto opts = in_process_proxy::test_options();
  opts.flood.challenges_per_second = 0;  // no 429s: every request is a 407
  opts.flood.records_per_second = 1;
  opts.flood.records_burst = 1;
  opts.flood.aggregate_interval = 400ms;  // the sweeper looks every 100 ms of real time
  proxy.start(opts);
  // One connection: the session reads a request only after the previous one's record was
  // passed or counted, so once alice's answer is in, all three 407s are accounted for.
  raw_client c(proxy.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get("/", "")));
    EXPECT_EQ(status_of(c.read_response()), 407);
  }
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_EQ(status_of(c.read_response()), 200);
  ASSERT_EQ(proxy.audit.wait_for(2).size(), 2u);  // the first 407 and alice's request

  proxy.clock.advance(1s);
  const auto records = proxy.audit.wait_for(3);
  ASSERT_EQ(records.size(), 3u);
  const auto aggregate = std::find_if(records.begin(), records.end(),
                                      [](const auto& r) { return r.error.starts_with("aggregate of"); });
  ASSERT_NE(aggregate, records.end());
  EXPECT_EQ(aggregate->error, "aggregate of 2 requests over the per-client rate");
  EXPECT_EQ(aggregate->status, 407);
}

}  // namespace
}  // namespace tollgate::testing
