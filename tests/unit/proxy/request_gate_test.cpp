#include "request_gate.hpp"

#include "tollgate/testing/fake_authenticator.hpp"
#include "tollgate/testing/fake_policy.hpp"
#include "tollgate/testing/file_audit_sink.hpp"
#include "connection_registry.hpp"
#include "worker.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

namespace tollgate::proxy::detail {
namespace {

using namespace std::chrono_literals;
namespace http = boost::beast::http;

class test_connection final : public tracked_connection {
 public:
  explicit test_connection(connection_registry& r) : tracked_connection(r, "client") {}
  void force_close() override {}
  void on_stopping() override {}
  void abandon() override {}
  std::shared_ptr<tracked_connection> lock_self() override { return nullptr; }
};

// One io thread's worth of proxy (not started: the test runs its io_context), the
// shared fakes, and a gate on it.
class request_gate_test : public ::testing::Test {
 protected:
  request_gate_test() {
    authn_.add("alice", {"secret", {"staff"}});
    policy_.deny_hosts = {"blocked.example"};
  }

  // Runs the gate for `host:port` until it answers (or 5 s pass).
  std::optional<verdict> run(std::string host, std::optional<std::string> address,
                             std::optional<std::string_view> authorization, std::chrono::milliseconds most = 5s) {
    facts_ = {};
    facts_.method = "GET";
    facts_.host = std::move(host);
    if (address) facts_.address = boost::asio::ip::make_address(*address);
    facts_.port = 80;
    facts_.path = "/";
    destination_ = facts_.host + ":80";
    result_.reset();
    gate_.run(hold_, facts_, authorization, destination_, *opts_);
    return wait(most);
  }

  std::optional<verdict> wait(std::chrono::milliseconds most) {
    const auto until = std::chrono::steady_clock::now() + most;
    while (!result_ && std::chrono::steady_clock::now() < until) worker_.context().run_one_for(10ms);
    return std::move(result_);
  }

  static refused refusal(const std::optional<verdict>& v) {
    EXPECT_TRUE(v.has_value());
    EXPECT_FALSE(v->is_allowed());
    return std::get<refused>(v->result);
  }

  testing::fake_authenticator authn_;
  testing::fake_policy policy_;
  testing::file_audit_sink sink_{""};
  prometheus::Registry registry_;
  shared_state shared_{dependencies{authn_, policy_, sink_, registry_}, 100};
  std::shared_ptr<const options> opts_ = std::make_shared<options>();
  worker worker_{shared_, opts_};
  test_connection conn_{worker_.registry()};
  std::shared_ptr<void> hold_ = std::make_shared<int>(0);
  std::optional<verdict> result_;
  request_gate gate_{worker_, conn_, boost::asio::ip::make_address("192.0.2.1"),
                     [this](verdict v) { result_ = std::move(v); }};
  request_facts facts_;
  std::string destination_;
};

constexpr std::string_view alice = "Basic YWxpY2U6c2VjcmV0";  // alice:secret
constexpr std::string_view alice_wrong = "Basic YWxpY2U6d3Jvbmc=";  // alice:wrong

TEST_F(request_gate_test, no_credentials_asks_for_them) {
  const auto v = run("example.com", "93.184.216.34", std::nullopt);
  const auto r = refusal(v);
  EXPECT_EQ(r.status, http::status::proxy_authentication_required);
  EXPECT_EQ(r.outcome, decision::auth_required);
  EXPECT_TRUE(v->username.empty());
  EXPECT_EQ(v->policy.version, 0);  // the policy was not asked
}

TEST_F(request_gate_test, a_wrong_password_fails_under_the_typed_name) {
  const auto v = run("example.com", "93.184.216.34", alice_wrong);
  const auto r = refusal(v);
  EXPECT_EQ(r.status, http::status::proxy_authentication_required);
  EXPECT_EQ(r.outcome, decision::auth_failed);
  EXPECT_EQ(v->username, "alice");
  EXPECT_TRUE(v->who.user.empty());
}

TEST_F(request_gate_test, allowed_names_the_checked_address_the_user_and_the_rule) {
  const auto v = run("example.com", "93.184.216.34", alice);
  ASSERT_TRUE(v.has_value());
  ASSERT_TRUE(v->is_allowed());
  const auto& a = std::get<allowed>(v->result);
  EXPECT_EQ(a.destination.address().to_string(), "93.184.216.34");
  EXPECT_EQ(a.destination.port(), 80);
  EXPECT_EQ(v->who.user, "alice");
  EXPECT_EQ(v->who.groups, std::vector<std::string>{"staff"});
  EXPECT_EQ(v->policy.rule_id, 2);
  EXPECT_EQ(v->policy.version, 42);
}

TEST_F(request_gate_test, a_policy_deny_keeps_user_and_rule) {
  const auto v = run("blocked.example", "93.184.216.34", alice);
  const auto r = refusal(v);
  EXPECT_EQ(r.status, http::status::forbidden);
  EXPECT_EQ(r.outcome, decision::deny);
  EXPECT_EQ(r.error, "denied by rule 7");
  EXPECT_EQ(r.page.view(), "Access to blocked.example:80 is denied by policy (rule 7).");
  EXPECT_EQ(v->who.user, "alice");
  EXPECT_EQ(v->policy.rule_id, 7);
}

TEST_F(request_gate_test, a_private_address_no_address_rule_allows_is_denied) {
  const auto v = run("intranet.example", "10.1.2.3", alice);
  const auto r = refusal(v);
  EXPECT_EQ(r.status, http::status::forbidden);
  EXPECT_EQ(r.outcome, decision::deny);
  EXPECT_EQ(r.error, "blocked private destination 10.1.2.3");
  EXPECT_EQ(v->policy.rule_id, 2);  // the rule that allowed the name is still on record
}

// A full audit pipeline holds the request until the sink says it has room: no polling,
// the answer comes when the room does.
TEST_F(request_gate_test, a_request_told_to_wait_goes_on_when_the_sink_has_room) {
  sink_.set_admission(audit::admission::wait);
  EXPECT_FALSE(run("example.com", "93.184.216.34", alice, 100ms).has_value());
  EXPECT_EQ(worker_.admission().waiting(), 1u);
  sink_.set_admission(audit::admission::open);
  const auto v = wait(5s);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->is_allowed());
}

TEST_F(request_gate_test, a_request_waiting_at_shutdown_gets_the_shutdown_answer) {
  sink_.set_admission(audit::admission::wait);
  EXPECT_FALSE(run("example.com", "93.184.216.34", alice, 100ms).has_value());
  shared_.stopping = true;
  gate_.on_stopping();
  const auto r = refusal(wait(5s));
  EXPECT_EQ(r.status, http::status::service_unavailable);
  EXPECT_EQ(r.error, "audit pipeline full during shutdown");
}

TEST_F(request_gate_test, a_cancelled_run_never_answers) {
  sink_.set_admission(audit::admission::wait);
  EXPECT_FALSE(run("example.com", "93.184.216.34", alice, 50ms).has_value());
  gate_.cancel();
  sink_.set_admission(audit::admission::open);
  EXPECT_FALSE(wait(200ms).has_value());
}

}  // namespace
}  // namespace tollgate::proxy::detail
