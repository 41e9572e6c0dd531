#include "tollgate/auth/lockout.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using tollgate::auth::lockout_options;
using tollgate::auth::lockout_tracker;
using tollgate::auth::steady_time;

namespace {

struct lockout_test : ::testing::Test {
  lockout_tracker tracker{lockout_options{.threshold = 3, .window = 60s, .duration = 300s, .max_entries = 1000, .shards = 4}};
  boost::asio::ip::address a = make_address("10.0.0.1");
  boost::asio::ip::address b = make_address("10.0.0.2");
  steady_time t0 = steady_time(1000h);
};

}  // namespace

TEST_F(lockout_test, locks_at_threshold_within_window) {
  EXPECT_FALSE(tracker.record_failure("alice", a, t0));
  EXPECT_FALSE(tracker.record_failure("alice", a, t0 + 1s));
  EXPECT_FALSE(tracker.locked("alice", a, t0 + 2s));
  EXPECT_TRUE(tracker.record_failure("alice", a, t0 + 2s));
  EXPECT_TRUE(tracker.locked("alice", a, t0 + 3s));
}

TEST_F(lockout_test, lock_expires_after_duration) {
  for (int i = 0; i < 3; ++i) tracker.record_failure("alice", a, t0);
  EXPECT_TRUE(tracker.locked("alice", a, t0 + 299s));
  EXPECT_FALSE(tracker.locked("alice", a, t0 + 300s));
}

TEST_F(lockout_test, failures_outside_the_window_do_not_count) {
  tracker.record_failure("alice", a, t0);
  tracker.record_failure("alice", a, t0 + 30s);
  EXPECT_FALSE(tracker.record_failure("alice", a, t0 + 61s));  // the first one has left the window
  EXPECT_FALSE(tracker.locked("alice", a, t0 + 62s));
  EXPECT_TRUE(tracker.record_failure("alice", a, t0 + 62s));
}

TEST_F(lockout_test, pairs_are_independent) {
  for (int i = 0; i < 3; ++i) tracker.record_failure("alice", a, t0);
  EXPECT_FALSE(tracker.locked("alice", b, t0));
  EXPECT_FALSE(tracker.locked("bob", a, t0));
}

TEST_F(lockout_test, user_case_does_not_split_the_count) {
  tracker.record_failure("alice", a, t0);
  tracker.record_failure("ALICE", a, t0);
  tracker.record_failure("Alice", a, t0);
  EXPECT_TRUE(tracker.locked("aLiCe", a, t0));
}

TEST_F(lockout_test, v4_mapped_v6_is_the_same_client) {
  const auto mapped = make_address("::ffff:10.0.0.1");
  for (int i = 0; i < 3; ++i) tracker.record_failure("alice", mapped, t0);
  EXPECT_TRUE(tracker.locked("alice", a, t0));
}

TEST_F(lockout_test, success_clears_failures) {
  tracker.record_failure("alice", a, t0);
  tracker.record_failure("alice", a, t0);
  tracker.record_success("alice", a);
  EXPECT_FALSE(tracker.record_failure("alice", a, t0));
  EXPECT_FALSE(tracker.locked("alice", a, t0));
}

TEST_F(lockout_test, forget_user_unlocks_all_clients_of_that_user_only) {
  for (int i = 0; i < 3; ++i) {
    tracker.record_failure("alice", a, t0);
    tracker.record_failure("alice", b, t0);
    tracker.record_failure("bob", a, t0);
  }
  tracker.forget_user("Alice");
  EXPECT_FALSE(tracker.locked("alice", a, t0));
  EXPECT_FALSE(tracker.locked("alice", b, t0));
  EXPECT_TRUE(tracker.locked("bob", a, t0));
}

TEST(lockout_disabled, threshold_zero_never_locks) {
  lockout_tracker t(lockout_options{.threshold = 0});
  const auto a = make_address("10.0.0.1");
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(t.record_failure("alice", a, steady_time{}));
  EXPECT_FALSE(t.locked("alice", a, steady_time{}));
}

TEST(lockout_bound, entries_stay_bounded) {
  lockout_tracker t(lockout_options{.threshold = 3, .max_entries = 64, .shards = 4});
  const auto a = make_address("10.0.0.1");
  for (int i = 0; i < 10'000; ++i) t.record_failure("user" + std::to_string(i), a, steady_time{});
  EXPECT_LE(t.size(), 64u);
}
