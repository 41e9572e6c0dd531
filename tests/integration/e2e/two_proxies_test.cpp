// Scaling out: two `tollgate serve` processes on one PostgreSQL. A rule created through
// one instance's admin API is enforced by the other within a second (LISTEN/NOTIFY),
// and so is its removal; curl through the second proxy before and after.
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/static_origin.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <thread>

namespace tollgate::testing {
namespace {

using clock_type = std::chrono::steady_clock;

class TwoProxies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_environment::available()) return;
    origin_ = std::make_unique<static_origin>(std::map<std::string, std::string>{{"index.html", "hello\n"}});
    tollgate_settings a;
    a.instance = "proxy-a";
    first_ = tollgate_process::start(services_environment::postgres(), services_environment::ldap(), a);
    tollgate_settings b;
    b.instance = "proxy-b";
    second_ = tollgate_process::start(services_environment::postgres(), services_environment::ldap(), b);
  }
  static void TearDownTestSuite() {
    second_.reset();
    first_.reset();
    origin_.reset();
  }
  void SetUp() override { TOLLGATE_REQUIRE_SERVICES(); }

  static std::string status_through(const tollgate_process& proxy, const std::string& user) {
    return curl({"-x", proxy.proxy_url(), "-U", user + ":" + user + "-pw", "-o", "/dev/null", "-w", "%{http_code}",
                 origin_->url("/index.html")})
        .out;
  }
  /// Polls the second proxy until it answers `want`; how long that took, or nullopt.
  static std::optional<std::chrono::milliseconds> until_second_answers(const std::string& want,
                                                                       clock_type::time_point since) {
    while (clock_type::now() - since < std::chrono::seconds(10)) {
      if (status_through(*second_, "alice") == want)
        return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - since);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }

  static inline std::unique_ptr<static_origin> origin_;
  static inline std::unique_ptr<tollgate_process> first_;
  static inline std::unique_ptr<tollgate_process> second_;
};

TEST_F(TwoProxies, RuleCreatedOnOneIsEnforcedByTheOtherWithinASecond) {
  EXPECT_EQ(status_through(*first_, "alice"), "403");
  EXPECT_EQ(status_through(*second_, "alice"), "403");

  const auto rule = "{\"priority\": 5, \"action\": \"allow\", \"groups\": [\"engineering\"], "
                    "\"hosts\": [\"127.0.0.1/32\"], \"ports\": [" + std::to_string(origin_->port()) + "]}";
  const auto created = curl({"-u", "carol:carol-pw", "-H", "Content-Type: application/json", "--data-binary", rule,
                             "-w", "\n%{http_code}", first_->admin_url() + "/api/v1/rules"});
  const auto t_created = clock_type::now();
  ASSERT_NE(created.out.find("\n201"), std::string::npos) << created.out << first_->log_text();
  const auto json = boost::json::parse(created.out.substr(0, created.out.rfind('\n')));
  const auto id = json.at("id").as_int64();

  const auto allowed_after = until_second_answers("200", t_created);
  ASSERT_TRUE(allowed_after.has_value()) << second_->log_text();
  std::cout << "rule created on proxy-a, enforced by proxy-b after " << allowed_after->count() << " ms\n";
  EXPECT_LT(allowed_after->count(), 1000);
  EXPECT_EQ(status_through(*second_, "bob"), "403");  // sales: not in the rule's groups

  const auto removed = curl({"-u", "carol:carol-pw", "-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}",
                             first_->admin_url() + "/api/v1/rules/" + std::to_string(id)});
  const auto t_removed = clock_type::now();
  ASSERT_EQ(removed.out, "204");
  const auto denied_after = until_second_answers("403", t_removed);
  ASSERT_TRUE(denied_after.has_value()) << second_->log_text();
  std::cout << "rule removed on proxy-a, proxy-b denies again after " << denied_after->count() << " ms\n";
  EXPECT_LT(denied_after->count(), 1000);
}

}  // namespace
}  // namespace tollgate::testing
