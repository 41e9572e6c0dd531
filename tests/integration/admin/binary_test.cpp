// The admin API of the real `tollgate serve`: a rule created through the API is
// enforced by the proxy, the change is on record, and /metrics passes promtool.
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/static_origin.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace tollgate::testing {
namespace {

class AdminBinary : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_environment::available()) return;
    origin_ = std::make_unique<static_origin>(
        std::map<std::string, std::string>{{"index.html", "hello from the origin\n"}});
    tollgate_settings settings;
    settings.instance = "admin-binary";
    proxy_ = tollgate_process::start(services_environment::postgres(), services_environment::ldap(), settings);
  }
  static void TearDownTestSuite() {
    proxy_.reset();
    origin_.reset();
  }
  void SetUp() override { TOLLGATE_REQUIRE_SERVICES(); }

  static std::string through_proxy(const std::string& user) {
    return curl({"-x", proxy_->proxy_url(), "-U", user + ":" + user + "-pw", "-o", "/dev/null", "-w", "%{http_code}",
                 origin_->url("/index.html")})
        .out;
  }

  static inline std::unique_ptr<static_origin> origin_;
  static inline std::unique_ptr<tollgate_process> proxy_;
};

TEST_F(AdminBinary, RuleCreatedThroughTheApiIsEnforcedByTheProxy) {
  EXPECT_EQ(through_proxy("alice"), "403");  // default deny
  const auto rule = "{\"priority\": 1, \"action\": \"allow\", \"groups\": [\"engineering\"], "
                    "\"hosts\": [\"127.0.0.1/32\"], \"ports\": [" + std::to_string(origin_->port()) + "], "
                    "\"comment\": \"created through the admin API\"}";
  const auto created = curl({"-u", "carol:carol-pw", "-H", "Content-Type: application/json", "--data-binary", rule,
                             "-w", "\n%{http_code}", proxy_->admin_url() + "/api/v1/rules"});
  ASSERT_NE(created.out.find("\n201"), std::string::npos) << created.out << proxy_->log_text();
  const auto id = boost::json::parse(created.out.substr(0, created.out.rfind('\n'))).at("id").as_int64();

  // LISTEN/NOTIFY brings the change to the running proxy within a second or so.
  std::string status;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    status = through_proxy("alice");
    if (status == "200") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, "200") << proxy_->log_text();
  std::cout << "rule enforced after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
            << " ms\n";
  EXPECT_EQ(through_proxy("bob"), "403");  // sales: not in the rule's groups

  const auto recorded = services_environment::postgres().psql(
      "SELECT actor || ' ' || role || ' ' || action FROM admin_actions WHERE target = 'rule/" + std::to_string(id) +
      "'");
  EXPECT_EQ(recorded, "carol admin rule.create\n");

  const auto deleted = curl({"-u", "carol:carol-pw", "-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}",
                             proxy_->admin_url() + "/api/v1/rules/" + std::to_string(id)});
  EXPECT_EQ(deleted.out, "204");
}

TEST_F(AdminBinary, DryRunByUserAsksTheDirectoryForNestedGroups) {
  const auto ask = [](const std::string& body) {
    return curl({"-u", "carol:carol-pw", "-H", "Content-Type: application/json", "--data-binary", body, "-w",
                 "\n%{http_code}", proxy_->admin_url() + "/api/v1/policy/test"})
        .out;
  };
  const auto answer = ask(R"({"user": "erin", "url": "http://example.com/"})");
  ASSERT_NE(answer.find("\n200"), std::string::npos) << answer << proxy_->log_text();
  const auto json = boost::json::parse(answer.substr(0, answer.rfind('\n')));
  const auto& groups = json.at("identity").at("groups").as_array();
  std::vector<std::string> names;
  for (const auto& g : groups) names.emplace_back(g.as_string());
  // erin is a contractor; contractors sit in engineering-all, which sits in all-staff.
  EXPECT_EQ(names, (std::vector<std::string>{"all-staff", "contractors", "engineering-all"})) << answer;
  EXPECT_EQ(json.at("identity").at("user").as_string(), "erin");

  const auto unknown = ask(R"({"user": "nobody-here", "url": "http://example.com/"})");
  EXPECT_NE(unknown.find("unknown_user"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("\n404"), std::string::npos) << unknown;
  // A filter metacharacter in the name is escaped: it matches nobody rather than everybody.
  const auto wildcard = ask(R"({"user": "*", "url": "http://example.com/"})");
  EXPECT_NE(wildcard.find("\n404"), std::string::npos) << wildcard;
}

TEST_F(AdminBinary, HealthReadinessAndMetrics) {
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", proxy_->admin_url() + "/healthz"}).out, "200");
  const auto ready = curl({"-w", "\n%{http_code}", proxy_->admin_url() + "/readyz"});
  EXPECT_NE(ready.out.find("\n200"), std::string::npos) << ready.out;
  through_proxy("alice");  // some traffic, so labelled series exist
  temp_dir dir("admin-metrics");
  const auto file = dir.file("metrics.txt");
  EXPECT_EQ(curl({"-o", file, "-w", "%{http_code}", proxy_->admin_url() + "/metrics"}).out, "200");
  const auto text = read_file(file);
  for (const char* name : {"tollgate_requests_total", "tollgate_build_info", "tollgate_audit_records_lost_total"})
    EXPECT_NE(text.find(name), std::string::npos) << name;
  const auto promtool = find_program("promtool");
  if (promtool.empty()) {
    if (std::getenv("CI")) FAIL() << "promtool missing (Debian package prometheus)";
    GTEST_SKIP() << "promtool not installed";
  }
  const auto check = run_command({"sh", "-c", promtool + " check metrics < " + file});
  std::cout << "promtool check metrics: exit " << check.exit_code << " " << check.out << check.err;
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err << text;
}

}  // namespace
}  // namespace tollgate::testing
