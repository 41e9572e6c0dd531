// End-to-end acceptance: the real binary with the fixture PostgreSQL and slapd,
// driven by curl through the user journeys of an employee and an analyst.
#include "tollgate/testing/services_environment.hpp"

#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/static_origin.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace tollgate::testing {
namespace {

class Acceptance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_environment::available()) return;
    origin_ = std::make_unique<static_origin>(
        std::map<std::string, std::string>{{"intranet/index.html", "engineering intranet\n"}});
    const auto& origin_dir = origin_->dir();

    // A TLS origin for CONNECT: openssl's own test server, with a throwaway certificate.
    tls_port_ = free_port();
    ASSERT_EQ(run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                           "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout",
                           origin_dir.file("key.pem"), "-out", origin_dir.file("cert.pem")})
                  .exit_code,
              0);
    tls_origin_ = std::make_unique<child_process>(child_process::spawn(
        {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(tls_port_), "-cert",
         origin_dir.file("cert.pem"), "-key", origin_dir.file("key.pem"), "-www", "-quiet"},
        spawn_options{.output_file = origin_dir.file("tls.log"), .env = {}, .run_as_user = {}, .working_dir = {}}));
    ASSERT_TRUE(wait_for_port(tls_port_, std::chrono::seconds(20)));

    tollgate_settings settings;
    settings.instance = "e2e";
    settings.bootstrap_rules_yaml =
        "- priority: 10\n"
        "  action: allow\n"
        "  groups: [engineering-all]\n"
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [" + std::to_string(origin_->port()) + ", " + std::to_string(tls_port_) + "]\n"
        "  comment: engineering reaches the local origins\n"
        "- priority: 20\n"
        "  action: deny\n"
        "  groups: [sales]\n"
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [" + std::to_string(origin_->port()) + "]\n"
        "  comment: sales may not reach the intranet\n";
    proxy_ = tollgate_process::start(services_environment::postgres(), services_environment::ldap(), settings);
  }
  static void TearDownTestSuite() {
    proxy_.reset();
    tls_origin_.reset();
    origin_.reset();
  }
  void SetUp() override { TOLLGATE_REQUIRE_SERVICES(); }

  static std::string origin_url(const std::string& path) {
    return origin_->url(path);
  }
  static boost::json::value admin_get(const std::string& user, const std::string& path) {
    const auto r = curl({"-u", user + ":" + user + "-pw", proxy_->admin_url() + path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return boost::json::parse(r.out);
  }
  // The audit writer flushes every 50 ms; give it a moment.
  static boost::json::array audit_items(const std::string& query, std::size_t want) {
    boost::json::array items;
    for (int i = 0; i < 100; ++i) {
      items = admin_get("dave", "/api/v1/audit?" + query).at("items").as_array();
      if (items.size() >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return items;
  }

  static inline std::unique_ptr<static_origin> origin_;
  static inline std::unique_ptr<child_process> tls_origin_;
  static inline std::uint16_t tls_port_ = 0;
  static inline std::unique_ptr<tollgate_process> proxy_;
};

TEST_F(Acceptance, EmployeeJourneysAndTheAnalystFindsEveryOne) {
  // Allowed over plain HTTP.
  auto r = curl({"-x", proxy_->proxy_url(), "-U", "alice:alice-pw", "-w", "%{http_code}", "-o", "/dev/null",
                 origin_url("/intranet/")});
  EXPECT_EQ(r.out, "200") << r.err << proxy_->log_text();
  r = curl({"-x", proxy_->proxy_url(), "-U", "alice:alice-pw", origin_url("/intranet/")});
  EXPECT_EQ(r.out, "engineering intranet\n");

  // Allowed over HTTPS through a CONNECT tunnel (erin: contractors, nested in engineering-all).
  r = curl({"-k", "-x", proxy_->proxy_url(), "-U", "erin:erin-pw", "-w", "\n%{http_code}",
            "https://127.0.0.1:" + std::to_string(tls_port_) + "/"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\n200"), std::string::npos) << r.out;

  // Denied by a group rule.
  r = curl({"-x", proxy_->proxy_url(), "-U", "bob:bob-pw", "-w", "\n%{http_code}", origin_url("/intranet/")});
  EXPECT_NE(r.out.find("\n403"), std::string::npos) << r.out;

  // No credentials, then a wrong password: 407 with a challenge.
  r = curl({"-i", "-x", proxy_->proxy_url(), origin_url("/intranet/")});
  EXPECT_NE(r.out.find(" 407 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Proxy-Authenticate: Basic realm=\"Tollgate test\""), std::string::npos) << r.out;
  r = curl({"-x", proxy_->proxy_url(), "-U", "alice:wrong", "-w", "%{http_code}", "-o", "/dev/null",
            origin_url("/intranet/")});
  EXPECT_EQ(r.out, "407");

  // The analyst finds each of them.
  auto items = audit_items("user=alice&decision=allow", 2);
  ASSERT_GE(items.size(), 2u);
  EXPECT_EQ(items[0].at("status").as_int64(), 200);
  EXPECT_EQ(items[0].at("host").as_string(), "127.0.0.1");

  items = audit_items("user=erin", 1);
  ASSERT_GE(items.size(), 1u);
  EXPECT_EQ(items.back().at("method").as_string(), "CONNECT");

  items = audit_items("user=bob&decision=deny", 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("status").as_int64(), 403);
  EXPECT_FALSE(items[0].at("rule_id").is_null());

  items = audit_items("decision=auth_required", 1);
  EXPECT_GE(items.size(), 1u);
  items = audit_items("user=alice&decision=auth_failed", 1);
  ASSERT_GE(items.size(), 1u);
  EXPECT_EQ(items[0].at("status").as_int64(), 407);

  // Nothing in the trail holds a password.
  const auto everything = curl({"-u", "dave:dave-pw", proxy_->admin_url() + "/api/v1/audit/export?format=ndjson"});
  EXPECT_EQ(everything.out.find("alice-pw"), std::string::npos);
  EXPECT_EQ(everything.out.find("wrong"), std::string::npos);

  // And the chain verifies, through the API and the CLI.
  const auto verify = admin_get("dave", "/api/v1/audit/verify");
  EXPECT_TRUE(verify.at("intact").as_bool()) << boost::json::serialize(verify);
  const auto cli = run_command({tollgate_binary(), "audit", "verify", "--config", proxy_->config_file()});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
}

}  // namespace
}  // namespace tollgate::testing
