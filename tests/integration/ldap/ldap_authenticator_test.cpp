#include "tollgate/auth/ldap_authenticator.hpp"
#include "tollgate/auth/ldap_directory.hpp"

#include "tollgate/testing/services_environment.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

using namespace std::chrono_literals;
using namespace tollgate::auth;
using tollgate::testing::ldap_server;
using tollgate::testing::services_environment;

namespace {

std::string user_dn(const std::string& uid) { return "uid=" + uid + ",ou=people,dc=example,dc=com"; }

int bind_attempts(const ldap_server& server, const std::string& dn) { return server.bind_attempts(dn); }

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

ldap_options fixture_options(const ldap_server& server) {
  ldap_options o;
  o.uris = {server.uri()};
  o.bind_dn = ldap_server::service_dn;
  o.bind_password = ldap_server::service_password;
  o.user_base = ldap_server::people_base;
  o.group_base = ldap_server::groups_base;
  o.workers = 4;
  o.network_timeout = 2s;
  o.operation_timeout = 3s;
  o.lockout_threshold = 3;
  return o;
}

/// Manual time, so cache expiry needs no sleeping.
struct manual_clock {
  std::shared_ptr<std::atomic<std::int64_t>> ns = std::make_shared<std::atomic<std::int64_t>>(1'000'000'000'000);
  void advance(std::chrono::nanoseconds d) const { ns->fetch_add(d.count()); }
  std::function<steady_time()> fn() const {
    auto p = ns;
    return [p] { return steady_time(std::chrono::nanoseconds(p->load())); };
  }
};

class ldap_auth_test : public ::testing::Test {
 protected:
  void SetUp() override {
    TOLLGATE_REQUIRE_SERVICES();
    server_ = &services_environment::ldap();
    build(fixture_options(*server_));
  }

  void build(const ldap_options& o) {
    auth_.reset();
    auth_ = make_ldap_authenticator(o, registry_);
  }

  auth_result check(const std::string& user, const std::string& password, const char* from = "192.0.2.1") {
    const auto client = boost::asio::ip::make_address(from);
    if (auto r = auth_->lookup({user, password}, client)) return *r;
    return verify(*auth_, user, password, client);
  }

  auth_result verify(authenticator& a, const std::string& user, const std::string& password,
                     const boost::asio::ip::address& client) {
    std::optional<auth_result> out;
    a.verify({user, password}, client, io_.get_executor(), [&](auth_result r) { out = std::move(r); });
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!out && std::chrono::steady_clock::now() < deadline) io_.run_one_for(100ms);
    EXPECT_TRUE(out.has_value()) << "verify() never completed";
    return out.value_or(auth_result{});
  }

  ldap_server* server_ = nullptr;
  prometheus::Registry registry_;
  // Before auth_: its workers post into io_, so they are joined before io_ goes.
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ = boost::asio::make_work_guard(io_);
  std::unique_ptr<ldap_authenticator> auth_;
};

}  // namespace

TEST_F(ldap_auth_test, right_password_is_ok_with_direct_and_nested_groups) {
  const auto r = check("alice", "alice-pw");
  ASSERT_EQ(r.status, auth_status::ok) << r.reason;
  EXPECT_EQ(r.who.groups, (std::vector<std::string>{"all-staff", "engineering", "engineering-all"}));
}

TEST_F(ldap_auth_test, nested_group_through_contractors) {
  const auto r = check("erin", "erin-pw");
  ASSERT_EQ(r.status, auth_status::ok) << r.reason;
  EXPECT_EQ(r.who.groups, (std::vector<std::string>{"all-staff", "contractors", "engineering-all"}));
}

TEST_F(ldap_auth_test, nesting_depth_is_bounded) {
  auto o = fixture_options(*server_);
  o.nested_group_depth = 1;
  build(o);
  auto r = check("erin", "erin-pw");
  ASSERT_EQ(r.status, auth_status::ok) << r.reason;
  EXPECT_EQ(r.who.groups, (std::vector<std::string>{"contractors", "engineering-all"}));
  o.nested_group_depth = 0;
  build(o);
  r = check("erin", "erin-pw");
  EXPECT_EQ(r.who.groups, (std::vector<std::string>{"contractors"}));
}

TEST_F(ldap_auth_test, group_membership_loop_terminates) {
  const auto r = check("mallory", "mallory-pw");
  ASSERT_EQ(r.status, auth_status::ok) << r.reason;
  EXPECT_EQ(r.who.groups, (std::vector<std::string>{"loop-a", "loop-b"}));
}

TEST_F(ldap_auth_test, wrong_password_is_bad_credentials) {
  const auto r = check("bob", "not-bobs");
  EXPECT_EQ(r.status, auth_status::bad_credentials);
  EXPECT_TRUE(r.who.groups.empty());
  EXPECT_EQ(r.reason.find("not-bobs"), std::string::npos);
}

TEST_F(ldap_auth_test, unknown_user_is_bad_credentials) {
  EXPECT_EQ(check("zoe", "zoe-pw").status, auth_status::bad_credentials);
}

TEST_F(ldap_auth_test, empty_password_never_reaches_the_directory) {
  const int before = bind_attempts(*server_, user_dn("carol"));
  const auto client = boost::asio::ip::make_address("192.0.2.1");
  EXPECT_EQ(check("carol", "").status, auth_status::bad_credentials);
  EXPECT_EQ(verify(*auth_, "carol", "", client).status, auth_status::bad_credentials);
  // The directory itself refuses it too, whoever calls it.
  EXPECT_EQ(make_ldap_directory(fixture_options(*server_))->check({"carol", ""}, {}).status,
            directory_status::bad_credentials);
  EXPECT_EQ(bind_attempts(*server_, user_dn("carol")), before);
}

// slapd matches uid case-insensitively, ignoring surrounding spaces: every spelling binds as
// alice's entry, and the answer names the entry, not the spelling.
TEST_F(ldap_auth_test, the_directory_names_the_entry_whatever_the_spelling) {
  auto dir = make_ldap_directory(fixture_options(*server_));
  for (const std::string s : {"alice", "Alice", "alice ", "ＡＬＩＣＥ", "ALİCE"}) {
    const auto a = dir->check({s, "alice-pw"}, {});
    EXPECT_EQ(a.status, directory_status::ok) << s << ": " << a.reason;
    EXPECT_EQ(a.user, "alice") << s;
  }
  const auto wrong = dir->check({"Alice", "wrong"}, {});
  EXPECT_EQ(wrong.status, directory_status::bad_credentials);
  EXPECT_EQ(wrong.user, "alice");
  EXPECT_EQ(check("ALİCE", "alice-pw").who.user, "alice");
}

TEST_F(ldap_auth_test, the_bind_gate_stops_the_check_before_the_password_is_tried) {
  const int before = bind_attempts(*server_, user_dn("alice"));
  std::string asked;
  const auto a = make_ldap_directory(fixture_options(*server_))->check({"ALİCE", "alice-pw"}, [&](const std::string& u) {
    asked = u;
    return false;
  });
  EXPECT_EQ(a.status, directory_status::not_tried);
  EXPECT_EQ(asked, "alice");
  EXPECT_EQ(bind_attempts(*server_, user_dn("alice")), before);
}

TEST_F(ldap_auth_test, a_password_with_a_nul_never_reaches_the_directory) {
  const int before = bind_attempts(*server_, user_dn("alice"));
  const std::string pw("alice-pw\0x", 10);
  EXPECT_EQ(check("alice", pw).status, auth_status::bad_credentials);
  EXPECT_EQ(make_ldap_directory(fixture_options(*server_))->check({"alice", pw}, {}).status,
            directory_status::bad_credentials);
  EXPECT_EQ(bind_attempts(*server_, user_dn("alice")), before);
}

TEST_F(ldap_auth_test, filter_metacharacters_neither_match_nor_crash) {
  const int before = bind_attempts(*server_, user_dn("alice"));
  const std::vector<std::string> names = {
      "*",        "*)(uid=*))(|(uid=*", "alice)(|(uid=*", "al*",   "*lice", "alice)", "(alice",
      "alice\\",  "alice\\2a",          "al\\2aice",      "a*e",   std::string("alice\0x", 7),
      "alice)(objectClass=*", "*)(&", "\xc3\xa9*", ")(", "\\",
  };
  for (const auto& name : names) {
    const auto r = check(name, "alice-pw", "192.0.2.77");
    EXPECT_EQ(r.status, auth_status::bad_credentials) << "user name: " << name;
    auth_->flush("");  // keep the lockout from answering instead of the directory
  }
  EXPECT_EQ(bind_attempts(*server_, user_dn("alice")), before) << "a wildcard reached alice's entry";
  EXPECT_EQ(check("alice", "alice-pw").status, auth_status::ok);  // still healthy afterwards
}

TEST_F(ldap_auth_test, hundred_concurrent_first_checks_bind_once) {
  const int before = bind_attempts(*server_, user_dn("dave"));
  auto& io = io_;
  std::atomic<int> ok{0};
  std::atomic<int> done{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        auth_->verify({"dave", "dave-pw"}, boost::asio::ip::make_address("192.0.2.5"), io.get_executor(),
                      [&](auth_result r) {
                        if (r.status == auth_status::ok) ++ok;
                        ++done;
                      });
    });
  for (auto& c : callers) c.join();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (done < 100 && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(bind_attempts(*server_, user_dn("dave")) - before, 1);
}

TEST_F(ldap_auth_test, cached_check_reaches_no_server) {
  ASSERT_EQ(check("carol", "carol-pw").status, auth_status::ok);
  const auto searches = count_of(server_->log_text(), " SRCH ");
  for (int i = 0; i < 20; ++i) ASSERT_EQ(check("carol", "carol-pw").status, auth_status::ok);
  EXPECT_EQ(count_of(server_->log_text(), " SRCH "), searches);
}

TEST_F(ldap_auth_test, lockout_stops_directory_traffic) {
  const std::string dn = user_dn("bob");
  const int start = bind_attempts(*server_, dn);
  for (const char* pw : {"guess-1", "guess-2", "guess-3"})
    EXPECT_EQ(check("bob", pw, "198.51.100.9").status, auth_status::bad_credentials);
  const auto log = server_->log_text();
  const int binds = bind_attempts(*server_, dn);
  const int searches = count_of(log, " SRCH ");
  EXPECT_EQ(binds - start, 3);  // each wrong guess went to the directory
  const auto r = check("bob", "bob-pw", "198.51.100.9");
  EXPECT_EQ(r.status, auth_status::locked_out);
  EXPECT_FALSE(r.reason.empty());
  EXPECT_EQ(check("bob", "guess-4", "198.51.100.9").status, auth_status::locked_out);
  const auto after = server_->log_text();
  EXPECT_EQ(bind_attempts(*server_, dn), binds);
  EXPECT_EQ(count_of(after, " SRCH "), searches);
  EXPECT_EQ(check("bob", "bob-pw", "198.51.100.10").status, auth_status::ok);  // another client is not locked
}

TEST_F(ldap_auth_test, unreachable_first_uri_fails_over_to_the_next) {
  auto o = fixture_options(*server_);
  o.uris = {"ldap://127.0.0.1:1", server_->uri()};
  build(o);
  const auto r = check("alice", "alice-pw");
  EXPECT_EQ(r.status, auth_status::ok) << r.reason;
}

TEST_F(ldap_auth_test, wrong_service_password_is_unavailable_not_bad_credentials) {
  auto o = fixture_options(*server_);
  o.bind_password = "wrong-service-secret";
  build(o);
  const auto r = check("alice", "alice-pw");
  EXPECT_EQ(r.status, auth_status::unavailable);
  EXPECT_NE(r.reason.find("service account"), std::string::npos) << r.reason;
}

TEST_F(ldap_auth_test, metrics_are_registered_and_counted) {
  check("alice", "alice-pw");
  check("alice", "alice-pw");
  bool saw_duration = false;
  double ok = 0;
  for (const auto& f : registry_.Collect()) {
    if (f.name == "tollgate_ldap_request_duration_seconds") saw_duration = f.metric.at(0).histogram.sample_count >= 1;
    if (f.name == "tollgate_auth_total")
      for (const auto& m : f.metric)
        if (m.label.at(0).value == "ok") ok = m.counter.value;
  }
  EXPECT_TRUE(saw_duration);
  EXPECT_EQ(ok, 2);
}

// Its own slapd: this test stops and restarts it.
TEST(ldap_outage, cached_user_keeps_working_uncached_gets_unavailable_then_recovers) {
  std::unique_ptr<ldap_server> server;
  try {
    server = ldap_server::start_new();
  } catch (const std::exception& e) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::strcmp(ci, "true") == 0) FAIL() << e.what();
    GTEST_SKIP() << e.what();
  }
  auto o = fixture_options(*server);
  o.cache_ttl = 60s;
  o.stale_if_error = 3600s;
  o.down_retry_interval = 5s;
  o.network_timeout = 1s;
  manual_clock clock;
  prometheus::Registry registry;
  boost::asio::io_context io;  // outlives `auth`, whose workers post into it
  auto guard = boost::asio::make_work_guard(io);
  ldap_authenticator auth(o, registry, [o] { return make_ldap_directory(o); }, clock.fn());
  const auto client = boost::asio::ip::make_address("192.0.2.1");
  auto check = [&](const std::string& u, const std::string& p) {
    if (auto r = auth.lookup({u, p}, client)) return *r;
    std::optional<auth_result> out;
    auth.verify({u, p}, client, io.get_executor(), [&](auth_result r) { out = std::move(r); });
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!out && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
    return out.value_or(auth_result{});
  };

  ASSERT_EQ(check("carol", "carol-pw").status, auth_status::ok);
  clock.advance(61s);  // carol's entry is now past cache_ttl
  server->stop();

  const auto stale = check("carol", "carol-pw");
  EXPECT_EQ(stale.status, auth_status::ok) << stale.reason;
  EXPECT_EQ(stale.who.groups, (std::vector<std::string>{"all-staff", "proxy-admins"}));
  EXPECT_EQ(check("carol", "wrong").status, auth_status::unavailable);
  const auto uncached = check("dave", "dave-pw");
  EXPECT_EQ(uncached.status, auth_status::unavailable);
  EXPECT_FALSE(auth.directory_reachable());

  server->start();
  clock.advance(6s);  // past down_retry_interval: the workers reconnect
  const auto back = check("dave", "dave-pw");
  EXPECT_EQ(back.status, auth_status::ok) << back.reason;
  EXPECT_TRUE(auth.directory_reachable());
}
