#include "tollgate/auth/ldap_authenticator.hpp"

#include "authenticator_fixture.hpp"

#include <optional>
#include <thread>

using namespace std::chrono_literals;
using namespace tollgate::auth;
using tollgate::auth::testing::fake_directory_state;
using tollgate::auth::testing::fake_factory;
using tollgate::testing::manual_clock;
using tollgate::auth::testing::authenticator_test;
using tollgate::auth::testing::metric;

TEST_F(authenticator_test, right_password_is_ok_with_groups) {
  EXPECT_FALSE(lookup("alice", "alice-pw").has_value());
  const auto r = verify("alice", "alice-pw");
  EXPECT_EQ(r.status, auth_status::ok);
  EXPECT_EQ(r.who.user, "alice");
  EXPECT_EQ(r.who.groups, (std::vector<std::string>{"all-staff", "engineering"}));
  EXPECT_EQ(dir->checks, 1);
}

TEST_F(authenticator_test, second_check_is_answered_from_cache) {
  verify("alice", "alice-pw");
  const auto r = lookup("alice", "alice-pw");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, auth_status::ok);
  EXPECT_EQ(r->who.groups, (std::vector<std::string>{"all-staff", "engineering"}));
  EXPECT_EQ(dir->checks, 1);
  EXPECT_EQ(metric(registry, "tollgate_auth_cache_total", "hit"), 1);
  EXPECT_EQ(metric(registry, "tollgate_auth_cache_total", "miss"), 0);
  EXPECT_EQ(metric(registry, "tollgate_auth_total", "ok"), 2);
}

TEST_F(authenticator_test, cache_entry_expires_after_ttl) {
  verify("alice", "alice-pw");
  clock.advance(299s);
  EXPECT_TRUE(lookup("alice", "alice-pw").has_value());
  clock.advance(1s);
  EXPECT_FALSE(lookup("alice", "alice-pw").has_value());
  EXPECT_EQ(metric(registry, "tollgate_auth_cache_total", "miss"), 1);
}

TEST_F(authenticator_test, different_password_for_cached_user_asks_directory) {
  verify("alice", "alice-pw");
  EXPECT_FALSE(lookup("alice", "guess").has_value());
  EXPECT_EQ(verify("alice", "guess").status, auth_status::bad_credentials);
  EXPECT_EQ(dir->checks, 2);
  EXPECT_EQ(lookup("alice", "alice-pw")->status, auth_status::ok);  // the right one still cached
}

TEST_F(authenticator_test, empty_password_refused_without_directory) {
  const auto r = lookup("alice", "");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, auth_status::bad_credentials);
  EXPECT_EQ(r->reason, "empty password");
  EXPECT_EQ(verify("alice", "").status, auth_status::bad_credentials);
  EXPECT_EQ(dir->checks, 0);
}

TEST_F(authenticator_test, unknown_user_is_bad_credentials) {
  const auto r = verify("mallory", "x");
  EXPECT_EQ(r.status, auth_status::bad_credentials);
  EXPECT_TRUE(r.who.groups.empty());
}

TEST_F(authenticator_test, wrong_password_is_negatively_cached) {
  EXPECT_EQ(verify("alice", "wrong").status, auth_status::bad_credentials);
  const auto r = lookup("alice", "wrong");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, auth_status::bad_credentials);
  EXPECT_EQ(dir->checks, 1);
  EXPECT_EQ(metric(registry, "tollgate_auth_cache_total", "negative"), 1);
  clock.advance(30s);
  EXPECT_FALSE(lookup("alice", "wrong").has_value());
}

TEST_F(authenticator_test, concurrent_first_checks_coalesce_into_one) {
  dir->set_hold(true);
  std::vector<auth_result> results;
  for (int i = 0; i < 100; ++i)
    auth->verify({"alice", "alice-pw"}, client, io.get_executor(), [&](auth_result r) { results.push_back(std::move(r)); });
  ASSERT_TRUE(dir->wait_for_waiting(1));
  dir->set_hold(false);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (results.size() < 100 && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
  ASSERT_EQ(results.size(), 100u);
  for (const auto& r : results) EXPECT_EQ(r.status, auth_status::ok);
  EXPECT_EQ(dir->checks, 1);
}

TEST_F(authenticator_test, different_passwords_do_not_share_a_check) {
  dir->set_hold(true);
  std::vector<auth_result> results;
  auth->verify({"alice", "alice-pw"}, client, io.get_executor(), [&](auth_result r) { results.push_back(r); });
  auth->verify({"alice", "wrong"}, client, io.get_executor(), [&](auth_result r) { results.push_back(r); });
  ASSERT_TRUE(dir->wait_for_waiting(2));
  dir->set_hold(false);
  while (results.size() < 2) io.run_one_for(100ms);
  EXPECT_EQ(dir->checks, 2);
  EXPECT_NE(results[0].status, results[1].status);
}

TEST_F(authenticator_test, directory_down_cached_user_keeps_working_stale) {
  verify("alice", "alice-pw");
  clock.advance(301s);  // past cache_ttl
  dir->set_down(true);
  const auto r = verify("alice", "alice-pw");
  EXPECT_EQ(r.status, auth_status::ok);
  EXPECT_EQ(r.who.groups, (std::vector<std::string>{"all-staff", "engineering"}));
  EXPECT_NE(r.reason.find("cache"), std::string::npos);
  // While the directory is known down, lookup() answers the stale user from memory.
  const auto again = lookup("alice", "alice-pw");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, auth_status::ok);
  EXPECT_EQ(dir->checks, 2);
  EXPECT_GE(metric(registry, "tollgate_ldap_errors_total"), 1);
  EXPECT_FALSE(auth->directory_reachable());
}

TEST_F(authenticator_test, directory_down_uncached_user_is_unavailable) {
  dir->set_down(true);
  const auto r = verify("bob", "bob-pw");
  EXPECT_EQ(r.status, auth_status::unavailable);
  EXPECT_EQ(metric(registry, "tollgate_auth_total", "unavailable"), 1);
}

TEST_F(authenticator_test, directory_down_wrong_password_of_cached_user_is_not_ok) {
  verify("alice", "alice-pw");
  dir->set_down(true);
  EXPECT_EQ(verify("alice", "guess").status, auth_status::unavailable);
}

TEST_F(authenticator_test, stale_entry_ends_after_stale_if_error) {
  verify("alice", "alice-pw");
  dir->set_down(true);
  clock.advance(300s + 3600s);
  EXPECT_EQ(verify("alice", "alice-pw").status, auth_status::unavailable);
}

TEST_F(authenticator_test, directory_known_down_is_not_asked_until_retry_interval) {
  dir->set_down(true);
  EXPECT_EQ(verify("bob", "bob-pw").status, auth_status::unavailable);
  EXPECT_EQ(verify("carol", "x").status, auth_status::unavailable);
  EXPECT_EQ(dir->checks, 1);
  dir->set_down(false);
  clock.advance(2s);
  EXPECT_EQ(verify("bob", "bob-pw").status, auth_status::ok);
  EXPECT_EQ(dir->checks, 2);
  EXPECT_TRUE(auth->directory_reachable());
}

TEST_F(authenticator_test, lockout_after_threshold_without_directory_calls) {
  EXPECT_EQ(verify("alice", "w1").status, auth_status::bad_credentials);
  EXPECT_EQ(verify("alice", "w2").status, auth_status::bad_credentials);
  const auto third = verify("alice", "w3");
  EXPECT_EQ(third.status, auth_status::bad_credentials);
  EXPECT_NE(third.reason.find("locked"), std::string::npos);
  const int checks = dir->checks;
  const auto r = lookup("alice", "alice-pw");  // even the right password
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, auth_status::locked_out);
  EXPECT_FALSE(r->reason.empty());
  EXPECT_EQ(verify("alice", "alice-pw").status, auth_status::locked_out);
  EXPECT_EQ(dir->checks, checks);
  EXPECT_EQ(metric(registry, "tollgate_auth_total", "locked_out"), 2);
}

TEST_F(authenticator_test, lockout_is_per_client_and_ends) {
  for (const char* pw : {"w1", "w2", "w3"}) verify("alice", pw);
  EXPECT_FALSE(lookup("alice", "alice-pw", boost::asio::ip::make_address("192.0.2.99")).has_value());
  clock.advance(600s);
  EXPECT_FALSE(lookup("alice", "alice-pw").has_value());
  EXPECT_EQ(verify("alice", "alice-pw").status, auth_status::ok);
}

TEST_F(authenticator_test, repeated_cached_wrong_password_counts_towards_lockout) {
  verify("alice", "wrong");
  lookup("alice", "wrong");
  lookup("alice", "wrong");
  EXPECT_EQ(lookup("alice", "alice-pw")->status, auth_status::locked_out);
  EXPECT_EQ(dir->checks, 1);
}

TEST_F(authenticator_test, flush_user_forgets_cache_and_lockout) {
  verify("alice", "alice-pw");
  verify("bob", "bob-pw");
  for (const char* pw : {"w1", "w2", "w3"}) verify("bob", pw, boost::asio::ip::make_address("192.0.2.50"));
  auth->flush("alice");
  EXPECT_FALSE(lookup("alice", "alice-pw").has_value());
  EXPECT_TRUE(lookup("bob", "bob-pw").has_value());
  auth->flush("bob");
  EXPECT_FALSE(lookup("bob", "bob-pw", boost::asio::ip::make_address("192.0.2.50")).has_value());
}

TEST_F(authenticator_test, flush_all) {
  verify("alice", "alice-pw");
  verify("bob", "bob-pw");
  auth->flush("");
  EXPECT_FALSE(lookup("alice", "alice-pw").has_value());
  EXPECT_FALSE(lookup("bob", "bob-pw").has_value());
}

TEST_F(authenticator_test, reasons_never_contain_the_password) {
  const std::string secret = "Sup3r-Secret-Passw0rd";
  std::vector<auth_result> all;
  all.push_back(verify("alice", secret));
  all.push_back(*lookup("alice", secret));
  all.push_back(verify("alice", secret + "1"));
  all.push_back(*lookup("alice", secret));
  dir->set_down(true);
  all.push_back(verify("nobody", secret));
  for (const auto& r : all) EXPECT_EQ(r.reason.find(secret), std::string::npos) << r.reason;
}

TEST_F(authenticator_test, queue_full_answers_unavailable) {
  opts.workers = 1;
  opts.max_pending_checks = 1;
  make();
  dir->set_hold(true);
  std::vector<auth_result> results;
  auto collect = [&](auth_result r) { results.push_back(std::move(r)); };
  auth->verify({"alice", "alice-pw"}, client, io.get_executor(), collect);  // running
  ASSERT_TRUE(dir->wait_for_waiting(1));
  auth->verify({"bob", "bob-pw"}, client, io.get_executor(), collect);  // queued
  auth->verify({"carol", "x"}, client, io.get_executor(), collect);     // no room
  while (results.empty()) io.run_one_for(100ms);
  EXPECT_EQ(results[0].who.user, "carol");
  EXPECT_EQ(results[0].status, auth_status::unavailable);
  dir->set_hold(false);
  while (results.size() < 3) io.run_one_for(100ms);
}

TEST_F(authenticator_test, stop_answers_queued_checks_unavailable) {
  opts.workers = 1;
  make();
  dir->set_hold(true);
  std::vector<auth_result> results;
  auto collect = [&](auth_result r) { results.push_back(std::move(r)); };
  auth->verify({"alice", "alice-pw"}, client, io.get_executor(), collect);
  ASSERT_TRUE(dir->wait_for_waiting(1));
  auth->verify({"bob", "bob-pw"}, client, io.get_executor(), collect);
  std::thread stopper([&] { auth->stop(); });
  std::this_thread::sleep_for(50ms);  // let stop() begin while alice's check is held
  dir->set_hold(false);
  stopper.join();
  while (results.size() < 2) io.run_one_for(100ms);
  std::map<std::string, auth_status> by_user;
  for (const auto& r : results) by_user[r.who.user] = r.status;
  EXPECT_EQ(by_user["alice"], auth_status::ok);
  EXPECT_EQ(by_user["bob"], auth_status::unavailable);
  EXPECT_EQ(verify("carol", "x").status, auth_status::unavailable);  // after stop
}

TEST_F(authenticator_test, ldap_duration_is_observed) {
  verify("alice", "alice-pw");
  EXPECT_EQ(metric(registry, "tollgate_ldap_request_duration_seconds"), 1);
}
