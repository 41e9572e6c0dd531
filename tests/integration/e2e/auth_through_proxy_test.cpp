// LDAP authentication as a client meets it: the real binary, its own slapd (so a test can
// stop it), the fixture PostgreSQL, and curl through the proxy. What reached the
// directory is read off slapd's log (`loglevel stats` logs every bind request).
#include "tollgate/testing/ldap_server.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/static_origin.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <thread>

namespace tollgate::testing {
namespace {

std::string user_dn(const std::string& uid) { return "uid=" + uid + ",ou=people,dc=example,dc=com"; }

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

struct reply {
  std::string status;
  std::string headers;
  std::string body;
};

class AuthThroughProxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_environment::available()) return;
    try {
      ldap_ = ldap_server::start_new();
    } catch (const std::exception& e) {
      ldap_error_ = e.what();
      return;
    }
    origin_ = std::make_unique<static_origin>(std::map<std::string, std::string>{{"index.html", "hello\n"}});
    tollgate_settings settings;
    settings.instance = "auth-e2e";
    settings.ldap_extra =
        "  cache_ttl: 5m\n"
        "  negative_cache_ttl: 30s\n"
        "  stale_if_error: 1h\n"
        "  network_timeout: 1s\n"
        "  operation_timeout: 2s\n"
        "  lockout:\n"
        "    threshold: 4\n"
        "    window: 5m\n"
        "    duration: 10m\n";
    // Only the nested group engineering-all may reach the origin.
    settings.bootstrap_rules_yaml =
        "- priority: 10\n"
        "  action: allow\n"
        "  groups: [engineering-all]\n"
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [" + std::to_string(origin_->port()) + "]\n";
    proxy_ = tollgate_process::start(services_environment::postgres(), *ldap_, settings);
  }
  static void TearDownTestSuite() {
    proxy_.reset();
    origin_.reset();
    ldap_.reset();
  }
  void SetUp() override {
    TOLLGATE_REQUIRE_SERVICES();
    TOLLGATE_REQUIRE_OWN_SERVER(ldap_ != nullptr, ldap_error_);
  }

  static std::string origin_url() { return origin_->url("/index.html"); }

  /// One request through the proxy; `user_password` as curl's -U takes it ("" = none).
  static reply get(const std::string& user_password) {
    std::vector<std::string> args{"-x", proxy_->proxy_url(), "-D", "-", "-w", "\n%{http_code}"};
    if (!user_password.empty()) args.insert(args.end(), {"-U", user_password});
    args.push_back(origin_url());
    const auto r = curl(args);
    reply out;
    const auto last = r.out.rfind('\n');
    out.status = last == std::string::npos ? r.out : r.out.substr(last + 1);
    const auto text = last == std::string::npos ? std::string{} : r.out.substr(0, last);
    const auto split = text.find("\r\n\r\n");
    out.headers = text.substr(0, split);
    out.body = split == std::string::npos ? std::string{} : text.substr(split + 4);
    return out;
  }
  /// Raw Proxy-Authorization value, for headers curl would never build itself.
  static std::string status_with_header(const std::string& proxy_authorization) {
    return curl({"-x", proxy_->proxy_url(), "-H", "Proxy-Authorization: " + proxy_authorization, "-o", "/dev/null",
                 "-w", "%{http_code}", origin_url()})
        .out;
  }
  static void flush(const std::string& user) {
    const auto r = curl({"-u", "carol:carol-pw", "-X", "POST", "-H", "Content-Type: application/json",
                         "--data-binary", "{\"user\": \"" + user + "\"}", "-o", "/dev/null", "-w", "%{http_code}",
                         proxy_->admin_url() + "/api/v1/auth/cache/flush"});
    ASSERT_EQ(r.out.substr(0, 1), "2") << r.out << r.err;
  }
  static std::string audit_rows(const std::string& where) {
    // The writer flushes every 50 ms; wait until the rows are there.
    std::string rows;
    for (int i = 0; i < 100; ++i) {
      rows = services_environment::postgres().psql(
          "SELECT decision || ' ' || coalesce(username, '-') || ' ' || status || ' ' || coalesce(error, '-') "
          "FROM audit_log WHERE " + where + " ORDER BY seq");
      if (!rows.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return rows;
  }

  static inline std::unique_ptr<ldap_server> ldap_;
  static inline std::string ldap_error_;
  static inline std::unique_ptr<static_origin> origin_;
  static inline std::unique_ptr<tollgate_process> proxy_;
};

TEST_F(AuthThroughProxy, NoCredentialsGetAChallengeThatCurlAnswers) {
  const auto r = get("");
  EXPECT_EQ(r.status, "407");
  EXPECT_NE(r.headers.find("Proxy-Authenticate: Basic realm=\"Tollgate test\""), std::string::npos) << r.headers;
  // curl retries with credentials on the same or a new connection and gets through.
  const auto again = curl({"-x", proxy_->proxy_url(), "--proxy-anyauth", "-U", "alice:alice-pw", "-o", "/dev/null",
                           "-w", "%{http_code}", origin_url()});
  EXPECT_EQ(again.out, "200") << proxy_->log_text();
}

TEST_F(AuthThroughProxy, RightPasswordIsForwardedWrongOrUnknownGets407) {
  EXPECT_EQ(get("alice:alice-pw").status, "200");
  const auto wrong = get("alice:not-her-password");
  EXPECT_EQ(wrong.status, "407");
  EXPECT_NE(wrong.headers.find("Proxy-Authenticate: Basic"), std::string::npos) << wrong.headers;
  EXPECT_EQ(get("nobody:whatever").status, "407");
  // Nested groups: erin is in contractors, which is a member of engineering-all.
  EXPECT_EQ(get("erin:erin-pw").status, "200");
  // bob (sales) and mallory (no group) authenticate but the rule is not theirs.
  EXPECT_EQ(get("bob:bob-pw").status, "403");
  EXPECT_EQ(get("mallory:mallory-pw").status, "403");

  const auto rows = audit_rows("username = 'alice' AND decision = 'auth_failed'");
  EXPECT_NE(rows.find("auth_failed alice 407"), std::string::npos) << rows;
  const auto all = services_environment::postgres().psql("SELECT count(*) FROM audit_log WHERE error LIKE "
                                                          "'%not-her-password%' OR path LIKE '%not-her-password%'");
  EXPECT_EQ(all, "0\n") << "a password reached the audit trail";
}

TEST_F(AuthThroughProxy, EmptyPasswordIsRefusedWithoutAskingTheDirectory) {
  const int before = ldap_->bind_attempts(user_dn("carol"));
  EXPECT_EQ(get("carol:").status, "407");
  EXPECT_EQ(status_with_header("Basic Y2Fyb2w6"), "407");  // "carol:"
  EXPECT_EQ(ldap_->bind_attempts(user_dn("carol")), before);
}

TEST_F(AuthThroughProxy, MalformedHeadersGet407NeverACrash) {
  const std::vector<std::string> malformed{"Basic !!!not-base64!!!", "Basic YWxpY2U=" /* no colon */, "Bearer abc",
                                          "Basic", "Basic " + std::string(6000, 'A') /* over 4 KiB */,
                                          "Basic /w==" /* 0xff: not UTF-8 */};
  for (const auto& h : malformed)
    EXPECT_EQ(status_with_header(h), "407") << h.substr(0, 40);
  // Past the head limit (16 KiB by default) it is the head that is refused.
  EXPECT_EQ(status_with_header("Basic " + std::string(20000, 'A')), "431");
  EXPECT_EQ(get("alice:alice-pw").status, "200");  // still serving
}

TEST_F(AuthThroughProxy, FilterMetacharactersNeitherMatchNorCrash) {
  const int before = ldap_->bind_attempts(user_dn("alice"));
  for (const std::string user : {"*)(uid=*))(|(uid=*", "*", "alic*", "alice)(uid=*", "\\2a", "(uid=alice)"})
    EXPECT_EQ(get(user + ":alice-pw").status, "407") << user;
  EXPECT_EQ(ldap_->bind_attempts(user_dn("alice")), before) << "a wildcard reached alice's entry";
  EXPECT_EQ(get("alice:alice-pw").status, "200");
}

TEST_F(AuthThroughProxy, HundredParallelFirstRequestsBindOnce) {
  flush("alice");
  const int before = ldap_->bind_attempts(user_dn("alice"));
  // One curl, a hundred transfers at once: a hundred connections, each with credentials.
  std::vector<std::string> args{"-Z", "--parallel-max", "100", "--parallel-immediate", "-x", proxy_->proxy_url(),
                                "-U", "alice:alice-pw", "-w", "%{http_code}\n"};
  for (int i = 0; i < 100; ++i) args.insert(args.end(), {"-o", "/dev/null", origin_url() + "?n=" + std::to_string(i)});
  const auto r = curl(args);
  EXPECT_EQ(count_of(r.out, "200\n"), 100U) << r.out << r.err;
  EXPECT_EQ(ldap_->bind_attempts(user_dn("alice")) - before, 1);
}

TEST_F(AuthThroughProxy, LockedOutPairGets407WithoutDirectoryTraffic) {
  // Distinct wrong passwords, so the negative cache does not absorb them.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(get("dave:guess-" + std::to_string(i)).status, "407");
  const int before = ldap_->bind_attempts(user_dn("dave"));
  EXPECT_EQ(get("dave:dave-pw").status, "407");  // even the right password, while locked out
  EXPECT_EQ(get("dave:guess-9").status, "407");
  EXPECT_EQ(ldap_->bind_attempts(user_dn("dave")), before);
  const auto rows = audit_rows("username = 'dave' AND error LIKE '%locked%'");
  EXPECT_NE(rows.find("auth_failed dave 407"), std::string::npos) << rows;
  EXPECT_EQ(rows.find("dave-pw"), std::string::npos);
  EXPECT_EQ(rows.find("guess"), std::string::npos);
}

// Last: it stops the directory.
TEST_F(AuthThroughProxy, WithTheDirectoryDownCachedUsersPassUncachedGet503) {
  ASSERT_EQ(get("erin:erin-pw").status, "200");  // erin is cached now
  flush("bob");
  ldap_->stop();
  EXPECT_EQ(get("erin:erin-pw").status, "200");
  const auto uncached = get("bob:bob-pw");
  EXPECT_EQ(uncached.status, "503");
  EXPECT_EQ(uncached.headers.find("Proxy-Authenticate"), std::string::npos) << "a 407 would loop the password prompt";
  EXPECT_NE(uncached.body.find("user directory"), std::string::npos) << uncached.body;
  const auto ready = curl({"-w", "\n%{http_code}", proxy_->admin_url() + "/readyz"});
  EXPECT_NE(ready.out.find("ldap"), std::string::npos) << ready.out;
  ldap_->start();
}

}  // namespace
}  // namespace tollgate::testing
