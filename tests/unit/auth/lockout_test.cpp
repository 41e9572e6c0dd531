#include "tollgate/auth/lockout.hpp"

#include "tollgate/auth/user_name.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using tollgate::auth::fold_user_name;
using tollgate::auth::lockout_options;
using tollgate::auth::lockout_state;
using tollgate::auth::lockout_tracker;
using tollgate::auth::steady_time;

namespace {

boost::asio::ip::address client_n(int n) {
  return make_address("10.1." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1));
}

struct lockout_test : ::testing::Test {
  lockout_tracker tracker{lockout_options{
      .threshold = 3, .user_threshold = 0, .window = 60s, .duration = 300s, .max_entries = 1000, .shards = 4}};
  boost::asio::ip::address a = make_address("10.0.0.1");
  boost::asio::ip::address b = make_address("10.0.0.2");
  steady_time t0 = steady_time(1000h);

  bool fail(lockout_tracker& t, const std::string& user, const boost::asio::ip::address& from, steady_time when) {
    return t.record_failure(user, from, when).locked_now;
  }
  bool fail(const std::string& user, const boost::asio::ip::address& from, steady_time when) {
    return fail(tracker, user, from, when);
  }
};

}  // namespace

TEST_F(lockout_test, locks_at_threshold_within_window) {
  EXPECT_FALSE(fail("alice", a, t0));
  EXPECT_FALSE(fail("alice", a, t0 + 1s));
  EXPECT_FALSE(tracker.locked("alice", a, t0 + 2s));
  EXPECT_TRUE(fail("alice", a, t0 + 2s));
  EXPECT_TRUE(tracker.locked("alice", a, t0 + 3s));
}

TEST_F(lockout_test, lock_expires_after_duration) {
  for (int i = 0; i < 3; ++i) fail("alice", a, t0);
  EXPECT_TRUE(tracker.locked("alice", a, t0 + 299s));
  EXPECT_FALSE(tracker.locked("alice", a, t0 + 300s));
}

TEST_F(lockout_test, failures_outside_the_window_do_not_count) {
  fail("alice", a, t0);
  fail("alice", a, t0 + 30s);
  EXPECT_FALSE(fail("alice", a, t0 + 61s));  // the first one has left the window
  EXPECT_FALSE(tracker.locked("alice", a, t0 + 62s));
  EXPECT_TRUE(fail("alice", a, t0 + 62s));
}

TEST_F(lockout_test, pairs_are_independent) {
  for (int i = 0; i < 3; ++i) fail("alice", a, t0);
  EXPECT_FALSE(tracker.locked("alice", b, t0));
  EXPECT_FALSE(tracker.locked("bob", a, t0));
}

TEST_F(lockout_test, folded_spellings_share_one_count) {
  for (const char* typed : {"alice", "ALICE", "Alice "}) fail(fold_user_name(typed), a, t0);
  EXPECT_TRUE(tracker.locked(fold_user_name("aLiCe"), a, t0));
  EXPECT_TRUE(tracker.locked(fold_user_name("ＡＬＩＣＥ"), a, t0));
}

TEST_F(lockout_test, v4_mapped_v6_is_the_same_client) {
  const auto mapped = make_address("::ffff:10.0.0.1");
  for (int i = 0; i < 3; ++i) fail("alice", mapped, t0);
  EXPECT_TRUE(tracker.locked("alice", a, t0));
}

TEST_F(lockout_test, success_clears_failures) {
  fail("alice", a, t0);
  fail("alice", a, t0);
  tracker.record_success("alice", a);
  EXPECT_FALSE(fail("alice", a, t0));
  EXPECT_FALSE(tracker.locked("alice", a, t0));
}

TEST_F(lockout_test, forget_user_unlocks_all_clients_of_that_user_only) {
  for (int i = 0; i < 3; ++i) {
    fail("alice", a, t0);
    fail("alice", b, t0);
    fail("bob", a, t0);
  }
  tracker.forget_user("alice");
  EXPECT_FALSE(tracker.locked("alice", a, t0));
  EXPECT_FALSE(tracker.locked("alice", b, t0));
  EXPECT_TRUE(tracker.locked("bob", a, t0));
}

TEST(lockout_disabled, threshold_zero_never_locks) {
  lockout_tracker t(lockout_options{.threshold = 0, .user_threshold = 0});
  const auto a = make_address("10.0.0.1");
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(t.record_failure("alice", a, steady_time{}).locked_now);
  EXPECT_EQ(t.state("alice", a, steady_time{}), lockout_state::open);
}

TEST(lockout_bound, entries_stay_bounded) {
  lockout_tracker t(lockout_options{.threshold = 3, .user_threshold = 20, .max_entries = 64, .shards = 4});
  const auto a = make_address("10.0.0.1");
  for (int i = 0; i < 10'000; ++i) t.record_failure("user" + std::to_string(i), a, steady_time{});
  EXPECT_LE(t.pairs_tracked(), 64u);
  EXPECT_LE(t.users_tracked(), 64u);
}

// Password spraying: one user, many addresses, each staying under the per-pair threshold.
struct user_lockout_test : lockout_test {
  lockout_tracker spray{lockout_options{
      .threshold = 3, .user_threshold = 5, .window = 60s, .duration = 300s, .max_entries = 1000, .shards = 4}};
};

TEST_F(user_lockout_test, failures_from_many_clients_lock_the_user_everywhere) {
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(fail(spray, "alice", client_n(i), t0)) << i;
  EXPECT_EQ(spray.state("alice", client_n(99), t0), lockout_state::open);
  EXPECT_TRUE(fail(spray, "alice", client_n(4), t0 + 1s));
  EXPECT_EQ(spray.state("alice", client_n(99), t0 + 2s), lockout_state::locked);  // a client that never failed
  EXPECT_EQ(spray.state("bob", client_n(0), t0 + 2s), lockout_state::open);
  EXPECT_EQ(spray.state("alice", client_n(99), t0 + 1s + 300s), lockout_state::open);
}

TEST_F(user_lockout_test, the_per_user_window_slides) {
  for (int i = 0; i < 4; ++i) fail(spray, "alice", client_n(i), t0);
  EXPECT_FALSE(fail(spray, "alice", client_n(4), t0 + 60s));  // the first four have left the window
  EXPECT_EQ(spray.state("alice", client_n(99), t0 + 60s), lockout_state::open);
}

TEST_F(user_lockout_test, a_success_does_not_reset_a_spray) {
  for (int i = 0; i < 4; ++i) fail(spray, "alice", client_n(i), t0);
  spray.record_success("alice", client_n(50));  // alice herself logs in meanwhile
  spray.record_success("alice", client_n(0));
  EXPECT_TRUE(fail(spray, "alice", client_n(5), t0 + 1s));
}

TEST_F(user_lockout_test, forget_user_lifts_the_user_lock) {
  for (int i = 0; i < 5; ++i) fail(spray, "alice", client_n(i), t0);
  spray.forget_user("alice");
  EXPECT_EQ(spray.state("alice", client_n(99), t0), lockout_state::open);
}

// A flood of other names must not push a lock out of the bounded table.
struct lockout_flood_test : lockout_test {
  lockout_tracker small{lockout_options{
      .threshold = 3, .user_threshold = 6, .window = 60s, .duration = 300s, .max_entries = 8, .shards = 1}};
};

TEST_F(lockout_flood_test, a_flood_of_names_evicts_counters_never_a_lock) {
  for (int i = 0; i < 3; ++i) fail(small, "alice", a, t0);
  ASSERT_TRUE(small.locked("alice", a, t0));
  for (int i = 0; i < 100'000; ++i) fail(small, "flood" + std::to_string(i), b, t0 + 1s);
  EXPECT_TRUE(small.locked("alice", a, t0 + 2s));
  EXPECT_LE(small.pairs_tracked(), 8u);
  EXPECT_LE(small.users_tracked(), 8u);
}

TEST_F(lockout_flood_test, unlocked_counters_go_oldest_first) {
  fail(small, "early", a, t0);
  fail(small, "early", a, t0);
  for (int i = 0; i < 8; ++i) fail(small, "n" + std::to_string(i), a, t0 + 1s);
  // "early" was the least recently failed: it made room for the eighth name and starts again.
  EXPECT_FALSE(fail(small, "early", a, t0 + 2s));
  EXPECT_FALSE(small.locked("early", a, t0 + 2s));
}

TEST_F(lockout_flood_test, a_table_full_of_locks_refuses_new_names_and_keeps_every_lock) {
  for (int u = 0; u < 8; ++u)
    for (int i = 0; i < 3; ++i) fail(small, "locked" + std::to_string(u), a, t0);
  for (int u = 0; u < 8; ++u) ASSERT_TRUE(small.locked("locked" + std::to_string(u), a, t0)) << u;
  // No slot is free and none may be taken: a new name cannot be counted, so it is refused.
  EXPECT_EQ(small.state("newcomer", a, t0 + 1s), lockout_state::full);
  EXPECT_TRUE(small.record_failure("newcomer", a, t0 + 1s).untracked);
  for (int u = 0; u < 8; ++u) EXPECT_TRUE(small.locked("locked" + std::to_string(u), a, t0 + 1s)) << u;
  // Once the locks expire the table takes names again.
  EXPECT_EQ(small.state("newcomer", a, t0 + 300s), lockout_state::open);
  EXPECT_FALSE(small.record_failure("newcomer", a, t0 + 300s).untracked);
}

TEST_F(lockout_flood_test, an_expired_lock_goes_before_a_live_counter) {
  for (int i = 0; i < 3; ++i) fail(small, "old-lock", a, t0);
  for (int u = 0; u < 7; ++u) fail(small, "counter" + std::to_string(u), a, t0 + 299s);
  fail(small, "newcomer", a, t0 + 300s);  // the lock has just expired: its slot is taken
  EXPECT_EQ(small.pairs_tracked(), 8u);
  for (int u = 0; u < 7; ++u) {
    // every counter kept its first failure: two more lock it
    fail(small, "counter" + std::to_string(u), a, t0 + 301s);
    EXPECT_TRUE(fail(small, "counter" + std::to_string(u), a, t0 + 301s)) << u;
  }
}
