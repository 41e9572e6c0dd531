// Issue 3 point 5: destinations. Private/loopback/metadata refused unless an address
// rule allows them (numeric spellings normalised first); policy denials name the rule;
// upstream failures are 502/504.
#include "proxy_harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace tollgate::testing::proxy {
namespace {

std::string port_text() { return std::to_string(origin_environment::http_port()); }

class ProxyPrivateDestinations : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { proxy_ = new proxy_process({}, /*allow_loopback=*/false); }
  static void TearDownTestSuite() {
    delete proxy_;
    proxy_ = nullptr;
  }
  static void expect_blocked(const std::string& url, const std::string& reason) {
    auto r = curl(*proxy_, {"-w", "\n%{http_code}", url});
    EXPECT_EQ(r.out.substr(r.out.rfind('\n') + 1), "403") << url << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find(reason), std::string::npos) << url << "\n" << r.out;
  }
  static proxy_process* proxy_;
};
proxy_process* ProxyPrivateDestinations::proxy_ = nullptr;

TEST_F(ProxyPrivateDestinations, DottedLoopback) { expect_blocked("http://127.0.0.1:" + port_text() + "/bytes/1", "loopback"); }
TEST_F(ProxyPrivateDestinations, DecimalLoopback) { expect_blocked("http://2130706433:" + port_text() + "/bytes/1", "loopback"); }
TEST_F(ProxyPrivateDestinations, HexShortLoopback) { expect_blocked("http://0x7f.1:" + port_text() + "/bytes/1", "loopback"); }
TEST_F(ProxyPrivateDestinations, OctalLoopback) { expect_blocked("http://0177.0.0.1:" + port_text() + "/bytes/1", "loopback"); }
TEST_F(ProxyPrivateDestinations, MappedV6Loopback) {
  expect_blocked("http://[::ffff:127.0.0.1]:" + port_text() + "/bytes/1", "loopback");
}
TEST_F(ProxyPrivateDestinations, V6Loopback) { expect_blocked("http://[::1]:" + port_text() + "/", "loopback"); }
TEST_F(ProxyPrivateDestinations, LocalhostName) { expect_blocked("http://localhost:" + port_text() + "/", "loopback"); }
TEST_F(ProxyPrivateDestinations, Metadata) { expect_blocked("http://169.254.169.254/latest/meta-data/", "metadata"); }
TEST_F(ProxyPrivateDestinations, MetadataV6) { expect_blocked("http://[fd00:ec2::254]/", "metadata"); }
TEST_F(ProxyPrivateDestinations, Private10) { expect_blocked("http://10.1.2.3/", "private"); }
TEST_F(ProxyPrivateDestinations, Cgnat) { expect_blocked("http://100.64.0.1/", "carrier-grade NAT"); }
TEST_F(ProxyPrivateDestinations, Unspecified) { expect_blocked("http://0.0.0.0:" + port_text() + "/", "unspecified"); }
TEST_F(ProxyPrivateDestinations, ConnectToLoopbackIsBlockedToo) {
  raw_client c(proxy_->port());
  c.send("CONNECT 127.0.0.1:" + std::to_string(origin_environment::tls_port()) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
         std::to_string(origin_environment::tls_port()) + "\r\nProxy-Authorization: " +
         basic("alice:alice-pw") + "\r\n\r\n");
  EXPECT_EQ(status_of(c.read_response()), 403);
}
TEST_F(ProxyPrivateDestinations, RefusalIsAuditedAsDeny) {
  curl(*proxy_, {"http://2130706433:" + port_text() + "/audited-refusal"});
  std::string line;
  for (int i = 0; i < 100 && line.empty(); ++i) {
    for (const auto& l : proxy_->audit()) {
      if (json_field(l, "path") == "/audited-refusal") line = l;
    }
    if (line.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(json_field(line, "decision"), "deny");
  EXPECT_EQ(json_field(line, "status"), "403");
  EXPECT_EQ(json_field(line, "host"), "127.0.0.1");
  EXPECT_NE(json_field(line, "error").find("loopback"), std::string::npos);
}

TEST(ProxyDestinations, AddressRuleOpensLoopbackInAnySpelling) {
  proxy_process proxy;  // allow_cidr=127.0.0.1/32
  for (const std::string host : {"127.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "localhost"}) {
    auto r = curl(proxy, {"http://" + host + ":" + port_text() + "/bytes/3"});
    EXPECT_EQ(r.out, "xxx") << host << ": " << r.err;
  }
}

TEST(ProxyDestinations, BlockingCanBeTurnedOff) {
  proxy_process proxy({"block_private=0"}, /*allow_loopback=*/false);
  EXPECT_EQ(curl(proxy, {"http://127.0.0.1:" + port_text() + "/bytes/2"}).out, "xx");
}

TEST(ProxyDestinations, PolicyDenialNamesRuleAndContact) {
  proxy_process proxy({"deny_host=blocked.example"});
  auto r = curl(proxy, {"-w", "\n%{http_code}", "http://BLOCKED.example./x"});
  EXPECT_EQ(r.out.substr(r.out.rfind('\n') + 1), "403");
  EXPECT_NE(r.out.find("rule 7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("helpdesk@example.com"), std::string::npos) << r.out;
  const auto lines = proxy.audit(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json_field(lines[0], "rule_id"), "7");
  EXPECT_EQ(json_field(lines[0], "host"), "blocked.example");
}

TEST(ProxyDestinations, ConnectRefusedIs502) {
  // A port that was free a moment ago: nothing listens there.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  proxy_process proxy;
  auto r = curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"});
  EXPECT_EQ(r.out, "502");
  EXPECT_NE(proxy.metrics().find("tollgate_upstream_errors_total{kind=\"connect_refused\"} 1"), std::string::npos);
}

TEST(ProxyDestinations, ConnectTimeoutIs504) {
  // A listener with a full accept queue (backlog 0, one queued connection already):
  // Linux drops further SYNs, so a connect to it hangs.
  int l = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l, 0), 0);
  socklen_t len = sizeof a;
  ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(f, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers.push_back(f);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  proxy_process proxy({"connect_timeout_ms=700"});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.out, "504");
  EXPECT_GE(took, std::chrono::milliseconds(600));
  EXPECT_LT(took, std::chrono::seconds(5));
  for (int f : fillers) ::close(f);
  ::close(l);
}

TEST(ProxyDestinations, ResponseTimeoutIs504) {
  proxy_process proxy({"idle_timeout_ms=500"});
  auto r = curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", origin_url("/slow/3000")});
  EXPECT_EQ(r.out, "504");
}

TEST(ProxyDestinations, UnresolvableNameIs502) {
  proxy_process proxy;
  auto r = curl(proxy, {"-w", "%{http_code}", "-o", "/dev/null", "http://no-such-host.invalid/"});
  EXPECT_EQ(r.out, "502");
}

}  // namespace
}  // namespace tollgate::testing::proxy
