// Issue 3 points 1, 3 and 8: plain HTTP forwarding, header hygiene, audit records.
#include "proxy_harness.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/sanitizer_build.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <thread>

namespace tollgate::testing::proxy {
namespace {

std::string get(const std::string& path, const std::string& extra = "", const std::string& method = "GET",
                const std::string& version = "HTTP/1.1") {
  return method + " " + origin_url(path) + " " + version + "\r\nHost: 127.0.0.1:" +
         std::to_string(origin_environment::http_port()) + "\r\nProxy-Authorization: " + basic("alice:alice-pw") +
         "\r\n" + extra + "\r\n";
}

TEST(ProxyForwarding, ForwardsAbsoluteFormGetAndRecordsIt) {
  proxy_process proxy;
  auto r = curl(proxy, {"-A", "test-agent/1", origin_url("/bytes/1000?secret=1")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(1000, 'x'));
  auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u);
  const auto& a = lines[0];
  EXPECT_EQ(json_field(a, "event"), "request");
  EXPECT_EQ(json_field(a, "decision"), "allow");
  EXPECT_EQ(json_field(a, "status"), "200");
  EXPECT_EQ(json_field(a, "username"), "alice");
  EXPECT_EQ(json_field(a, "groups"), "engineering,staff");
  EXPECT_EQ(json_field(a, "method"), "GET");
  EXPECT_EQ(json_field(a, "scheme"), "http");
  EXPECT_EQ(json_field(a, "host"), "127.0.0.1");
  EXPECT_EQ(json_field(a, "path"), "/bytes/1000");  // query stripped by default
  EXPECT_EQ(json_field(a, "rule_id"), "1");
  EXPECT_EQ(json_field(a, "policy_version"), "42");
  EXPECT_EQ(json_field(a, "upstream_ip"), "127.0.0.1");
  EXPECT_EQ(json_field(a, "user_agent"), "test-agent/1");
  EXPECT_EQ(json_field(a, "client_ip"), "127.0.0.1");
  EXPECT_GT(std::stoul(json_field(a, "bytes_down")), 1000u);
  EXPECT_GT(std::stoul(json_field(a, "bytes_up")), 50u);
  EXPECT_GT(std::stoul(json_field(a, "duration_us")), 0u);
}

TEST(ProxyForwarding, StoreQueryKeepsTheQuery) {
  proxy_process proxy({"store_query=1"});
  ASSERT_EQ(curl(proxy, {origin_url("/bytes/10?x=1")}).exit_code, 0);
  auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json_field(lines[0], "path"), "/bytes/10?x=1");
}

TEST(ProxyForwarding, OriginFormRequestIs400) {
  proxy_process proxy;
  raw_client c(proxy.port());
  c.send("GET /bytes/10 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const auto res = c.read_response();
  EXPECT_EQ(status_of(res), 400);
  EXPECT_NE(res.find("absolute"), std::string::npos) << res;
}

TEST(ProxyForwarding, Http10Client) {
  proxy_process proxy;
  auto r = curl(proxy, {"--http1.0", origin_url("/bytes/2000")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), 2000u);
  // A chunked origin response reaches an HTTP/1.0 client close-delimited.
  raw_client c(proxy.port());
  c.send(get("/chunked/5000", "", "GET", "HTTP/1.0"));
  const auto res = c.read_until_close();
  EXPECT_EQ(status_of(res), 200);
  EXPECT_EQ(res.find("chunked"), std::string::npos);
  EXPECT_EQ(res.substr(res.find("\r\n\r\n") + 4).size(), 5000u);
}

TEST(ProxyForwarding, KeepAliveToClientAndUpstreamReuse) {
  proxy_process proxy({"io_threads=1"});
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(get("/conn")));
  const auto first = c.read_response();
  ASSERT_EQ(status_of(first), 200) << first;
  ASSERT_TRUE(c.send(get("/conn")));
  const auto second = c.read_response();
  ASSERT_EQ(status_of(second), 200) << second;
  const auto body = [](const std::string& r) { return r.substr(r.find("\r\n\r\n") + 4); };
  EXPECT_EQ(body(first), body(second)) << "the upstream connection was not reused";
  // A new client connection reuses the pooled upstream connection too.
  raw_client c2(proxy.port());
  ASSERT_TRUE(c2.send(get("/conn")));
  EXPECT_EQ(body(c2.read_response()), body(first));
  EXPECT_EQ(proxy.audit(3).size(), 3u);
}

TEST(ProxyForwarding, PipelinedRequestsAnsweredInOrder) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(get("/bytes/3") + get("/bytes/5")));
  const auto a = c.read_response();
  const auto b = c.read_response();
  EXPECT_EQ(a.substr(a.find("\r\n\r\n") + 4), "xxx");
  EXPECT_EQ(b.substr(b.find("\r\n\r\n") + 4), "xxxxx");
}

TEST(ProxyForwarding, Download200MiBKeepsProxyMemoryFlat) {
  proxy_process proxy({"io_threads=2"});
  constexpr long long size = 200ll * 1024 * 1024;
  auto r = curl(proxy, {"-o", "/dev/null", "-w", "%{size_download} %{http_code}", origin_url("/bytes/" + std::to_string(size))});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(size) + " 200");
  const long peak_kib = peak_rss_kib(proxy.pid());
  std::printf("proxy peak RSS (VmHWM) after a 200 MiB download: %ld KiB\n", peak_kib);
  EXPECT_GT(peak_kib, 0);
  if (!address_sanitizer_build()) {
    EXPECT_LT(peak_kib, 64 * 1024);
  }
  auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_GT(std::stoll(json_field(lines[0], "bytes_down")), size);
}

TEST(ProxyForwarding, ChunkedResponseStreamsThrough) {
  proxy_process proxy;
  auto r = curl(proxy, {"-D", "-", origin_url("/chunked/100000")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(r.out.substr(r.out.find("\r\n\r\n") + 4).size(), 100000u);
}

TEST(ProxyForwarding, ChunkedUploadStreamsThrough) {
  proxy_process proxy;
  temp_dir d;
  const std::string body(3 * 1024 * 1024 + 17, 'b');
  const auto file = d.write("body", body);
  auto r = curl(proxy, {"-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file, origin_url("/echo")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("len=" + std::to_string(body.size())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chunked=1"), std::string::npos) << r.out;
}

TEST(ProxyForwarding, ContentLengthUploadStreamsThrough) {
  proxy_process proxy;
  temp_dir d;
  const auto file = d.write("body", std::string(5 * 1024 * 1024, 'c'));
  auto r = curl(proxy, {"-H", "Expect:", "--data-binary", "@" + file, origin_url("/echo")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("len=5242880 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chunked=0"), std::string::npos) << r.out;
}

TEST(ProxyForwarding, ExpectContinueIsAnsweredWithoutDelay) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send("POST " + origin_url("/echo") + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                     std::to_string(origin_environment::http_port()) + "\r\nProxy-Authorization: " +
                     basic("alice:alice-pw") + "\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = c.read_response();
  ASSERT_EQ(status_of(interim), 100) << interim;
  ASSERT_TRUE(c.send("hello"));
  const auto final_response = c.read_response();
  EXPECT_EQ(status_of(final_response), 200);
  EXPECT_NE(final_response.find("len=5 "), std::string::npos) << final_response;
}

TEST(ProxyForwarding, InterimResponsesReachHttp11Clients) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(get("/early")));
  const auto interim = c.read_response();
  EXPECT_EQ(status_of(interim), 103) << interim;
  const auto final_response = c.read_response();
  EXPECT_EQ(status_of(final_response), 200) << final_response;
  EXPECT_NE(final_response.find("after hints"), std::string::npos);
  // An HTTP/1.0 client never sees a 1xx (RFC 9110 15.2).
  raw_client old(proxy.port());
  ASSERT_TRUE(old.send(get("/early", "", "GET", "HTTP/1.0")));
  EXPECT_EQ(status_of(old.read_response()), 200);
}

TEST(ProxyForwarding, HeadResponseHasNoBodyAndConnectionStaysUsable) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(get("/bytes/12345", "", "HEAD")));
  const auto head = c.read_response(true);
  EXPECT_EQ(status_of(head), 200);
  EXPECT_NE(head.find("Content-Length: 12345"), std::string::npos) << head;
  ASSERT_TRUE(c.send(get("/bytes/4")));
  const auto next = c.read_response();
  EXPECT_EQ(next.substr(next.find("\r\n\r\n") + 4), "xxxx") << "HEAD left stray bytes on the connection";
}

TEST(ProxyForwarding, Status204And304HaveNoBody) {
  proxy_process proxy;
  raw_client c(proxy.port());
  for (const char* path : {"/status/204", "/status/304"}) {
    ASSERT_TRUE(c.send(get(path)));
    const auto r = c.read_response();
    EXPECT_EQ(status_of(r), std::atoi(path + 8)) << r;
    EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");
  }
  ASSERT_TRUE(c.send(get("/bytes/2")));
  const auto next = c.read_response();
  EXPECT_EQ(next.substr(next.find("\r\n\r\n") + 4), "xx");
}

TEST(ProxyForwarding, CloseDelimitedResponseIsRechunkedForHttp11) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(get("/eof/7000")));
  const auto r = c.read_response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("Transfer-Encoding: chunked"), std::string::npos) << r.substr(0, 300);
  ASSERT_TRUE(c.send(get("/bytes/1")));  // still usable
  EXPECT_EQ(status_of(c.read_response()), 200);
}

TEST(ProxyHeaders, ProxyAuthorizationAndHopByHopNeverReachOrigin) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send(get("/headers",
                         "Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
                         "Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: websocket\r\n"
                         "X-End-To-End: yes\r\n")));
  auto r = c.read_response();
  ASSERT_EQ(status_of(r), 200) << r;
  std::string lower = r;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(lower.find("proxy-authorization"), std::string::npos) << r;
  for (const char* h : {"\nx-hop:", "\nkeep-alive:", "\nproxy-connection:", "\nte:", "\ntrailer:", "\nupgrade:",
                        "\nconnection:"}) {
    EXPECT_EQ(lower.find(h), std::string::npos) << h << " reached the origin:\n" << r;
  }
  EXPECT_NE(lower.find("\nx-end-to-end: yes"), std::string::npos);
  EXPECT_NE(lower.find("\nvia: 1.1 tollgate"), std::string::npos) << r;
  EXPECT_EQ(lower.find("x-forwarded-for"), std::string::npos) << "X-Forwarded-For is off by default";
  EXPECT_NE(r.find("TARGET /headers"), std::string::npos) << "origin-form upstream";
  EXPECT_NE(lower.find("\nhost: 127.0.0.1:" + std::to_string(origin_environment::http_port())), std::string::npos);
}

TEST(ProxyHeaders, ProxyAuthorizationNeverReachesOriginViaCurl) {
  proxy_process proxy;
  auto r = curl(proxy, {origin_url("/headers")});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find("Proxy-Authorization"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Basic "), std::string::npos) << r.out;
}

TEST(ProxyHeaders, XForwardedForAndViaAreConfigurable) {
  proxy_process proxy({"x_forwarded_for=1", "via=1.1 gate-7"});
  auto r = curl(proxy, {origin_url("/headers")});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("X-Forwarded-For: 127.0.0.1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Via: 1.1 gate-7"), std::string::npos) << r.out;
}

TEST(ProxyHeaders, ConnectionHeaderCannotRemoveFraming) {
  proxy_process proxy;
  raw_client c(proxy.port());
  ASSERT_TRUE(c.send("POST " + origin_url("/echo") + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                     std::to_string(origin_environment::http_port()) + "\r\nProxy-Authorization: " +
                     basic("alice:alice-pw") + "\r\nConnection: Content-Length\r\nContent-Length: 4\r\n\r\nabcd"));
  const auto r = c.read_response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("len=4 "), std::string::npos) << r;
}

TEST(ProxyAuth, MissingCredentialsGet407WithRealm) {
  proxy_process proxy({"realm=Corp Gate"});
  auto r = curl(proxy, {"-D", "-", "-o", "/dev/null", origin_url("/bytes/1")}, "");
  EXPECT_NE(r.out.find("407"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Proxy-Authenticate: Basic realm=\"Corp Gate\""), std::string::npos) << r.out;
  auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json_field(lines[0], "decision"), "auth_required");
  EXPECT_EQ(json_field(lines[0], "status"), "407");
}

TEST(ProxyAuth, WrongPasswordAndMalformedHeaderGet407) {
  proxy_process proxy;
  auto r = curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", origin_url("/bytes/1")}, "alice:wrong");
  EXPECT_EQ(r.out, "407");
  raw_client c(proxy.port());
  c.send("GET " + origin_url("/bytes/1") + " HTTP/1.1\r\nHost: 127.0.0.1:" +
         std::to_string(origin_environment::http_port()) + "\r\nProxy-Authorization: Basic !!!notbase64\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 407);
  auto lines = proxy.audit(2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json_field(lines[0], "decision"), "auth_failed");
  EXPECT_EQ(json_field(lines[0], "username"), "alice");
  EXPECT_EQ(json_field(lines[1], "decision"), "auth_failed");
}

TEST(ProxyAuth, DirectoryUnavailableIs503) {
  proxy_process proxy({"auth_unavailable=1"});
  auto r = curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", origin_url("/bytes/1")});
  EXPECT_EQ(r.out, "503");
}

TEST(ProxyAudit, AuditRejectFailsClosedWith503) {
  proxy_process proxy({"audit_admit=reject"});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = curl(proxy, {"-D", "-", "-w", "%{http_code}", "-o", "/dev/null", origin_url("/bytes/1")});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.out.substr(r.out.size() - 3), "503") << r.out;
  EXPECT_NE(r.out.find("Retry-After: 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Connection: close"), std::string::npos) << r.out;
  // Each 503 is a record too: answered no faster than once a second per connection.
  EXPECT_GE(took, std::chrono::milliseconds(900));
}

TEST(ProxyAudit, AuditWaitHoldsTheRequestUntilAdmitted) {
  proxy_process proxy({"audit_admit=wait"});
  auto pending = std::async(std::launch::async, [&] {
    return curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", origin_url("/bytes/1")});
  });
  EXPECT_EQ(pending.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);
  proxy.reload({"audit_admit=open"});
  EXPECT_EQ(pending.get().out, "200");
}

TEST(ProxyAudit, EveryRequestEndsInExactlyOneRecord) {
  proxy_process proxy({"deny_host=blocked.example"});
  curl(proxy, {origin_url("/bytes/1")});                     // allow 200
  curl(proxy, {origin_url("/bytes/1")}, "");                 // 407 auth_required
  curl(proxy, {origin_url("/bytes/1")}, "bob:nope");         // 407 auth_failed
  curl(proxy, {"http://blocked.example/"});                  // 403 deny
  curl(proxy, {"http://127.0.0.1:1/"});                      // 502 error
  {
    raw_client c(proxy.port());
    c.send("GET / HTTP/1.1\r\n\r\n");                      // 400
    c.read_response();
  }
  const auto lines = proxy.audit(6);
  ASSERT_EQ(lines.size(), 6u);
  std::vector<std::string> statuses;
  for (const auto& l : lines) statuses.push_back(json_field(l, "status") + "/" + json_field(l, "decision"));
  std::sort(statuses.begin(), statuses.end());
  EXPECT_EQ(statuses, (std::vector<std::string>{"200/allow", "400/error", "403/deny", "407/auth_failed",
                                                "407/auth_required", "502/error"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(proxy.audit().size(), 6u) << "no duplicate records afterwards";
}

TEST(ProxyMetrics, RequestsAreCounted) {
  proxy_process proxy;
  curl(proxy, {origin_url("/bytes/1")});
  curl(proxy, {origin_url("/bytes/1")}, "");
  // The counters move when the answer has been written, which the client may see
  // a moment before; wait for both requests to be counted.
  std::string m;
  for (int i = 0; i < 100; ++i) {
    m = proxy.metrics();
    if (m.find("tollgate_request_duration_seconds_count 2") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(m.find("tollgate_requests_total{decision=\"allow\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("tollgate_requests_total{decision=\"auth_required\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("tollgate_request_duration_seconds_count 2"), std::string::npos) << m;
  EXPECT_NE(m.find("tollgate_bytes_total{direction=\"down\"}"), std::string::npos) << m;
}

}  // namespace
}  // namespace tollgate::testing::proxy
