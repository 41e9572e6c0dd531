#include "tollgate/auth/credential_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>

using namespace std::chrono_literals;
using tollgate::auth::cache_answer;
using tollgate::auth::credential_cache;
using tollgate::auth::credential_cache_options;
using tollgate::auth::password_hmac;
using tollgate::auth::steady_time;

namespace {

struct cache_test : ::testing::Test {
  credential_cache_options opts{.ttl = 300s, .negative_ttl = 30s, .stale_if_error = 3600s, .max_entries = 1000, .shards = 4};
  credential_cache cache{opts};
  password_hmac hmac;
  steady_time t0 = steady_time(1000h);
};

}  // namespace

TEST_F(cache_test, unknown_user_misses) {
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0).result, cache_answer::kind::miss);
}

TEST_F(cache_test, stored_password_hits_with_groups) {
  cache.store_positive("alice", "alice", hmac.digest("alice-pw"), {"engineering"}, t0);
  const auto a = cache.lookup("alice", hmac.digest("alice-pw"), t0 + 299s);
  EXPECT_EQ(a.result, cache_answer::kind::hit);
  EXPECT_EQ(a.groups, std::vector<std::string>{"engineering"});
}

TEST_F(cache_test, other_password_misses) {
  cache.store_positive("alice", "alice", hmac.digest("alice-pw"), {"engineering"}, t0);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("guess"), t0).result, cache_answer::kind::miss);
}

TEST_F(cache_test, user_names_are_distinct_keys) {
  cache.store_positive("alice", "alice", hmac.digest("pw"), {}, t0);
  EXPECT_EQ(cache.lookup("bob", hmac.digest("pw"), t0).result, cache_answer::kind::miss);
}

TEST_F(cache_test, expired_entry_is_stale_then_gone) {
  cache.store_positive("alice", "alice", hmac.digest("pw"), {"g"}, t0);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0 + 300s).result, cache_answer::kind::stale);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0 + 300s + 3599s).result, cache_answer::kind::stale);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0 + 300s + 3600s).result, cache_answer::kind::miss);
}

TEST_F(cache_test, stale_needs_the_same_password) {
  cache.store_positive("alice", "alice", hmac.digest("pw"), {"g"}, t0);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("other"), t0 + 400s).result, cache_answer::kind::miss);
}

TEST_F(cache_test, negative_entry_answers_until_its_ttl) {
  cache.store_negative("alice", "", hmac.digest("wrong"), t0);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("wrong"), t0 + 29s).result, cache_answer::kind::negative);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("wrong"), t0 + 30s).result, cache_answer::kind::miss);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("other-wrong"), t0).result, cache_answer::kind::miss);
}

TEST_F(cache_test, negative_entry_does_not_hide_the_right_password) {
  cache.store_positive("alice", "alice", hmac.digest("right"), {"g"}, t0);
  cache.store_negative("alice", "", hmac.digest("wrong"), t0);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("right"), t0).result, cache_answer::kind::hit);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("wrong"), t0).result, cache_answer::kind::negative);
}

TEST_F(cache_test, new_password_replaces_the_old_one) {
  cache.store_positive("alice", "alice", hmac.digest("old"), {"g"}, t0);
  cache.store_positive("alice", "alice", hmac.digest("new"), {"g2"}, t0);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("old"), t0).result, cache_answer::kind::miss);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("new"), t0).groups, std::vector<std::string>{"g2"});
}

TEST_F(cache_test, refused_password_retires_a_matching_positive_entry) {
  cache.store_positive("alice", "alice", hmac.digest("pw"), {"g"}, t0);
  cache.store_negative("alice", "", hmac.digest("pw"), t0 + 1s);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0 + 2s).result, cache_answer::kind::negative);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0 + 100s).result, cache_answer::kind::miss);
}

TEST_F(cache_test, accepted_password_clears_its_negative_entry) {
  cache.store_negative("alice", "", hmac.digest("pw"), t0);
  cache.store_positive("alice", "alice", hmac.digest("pw"), {"g"}, t0 + 1s);
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0 + 2s).result, cache_answer::kind::hit);
}

TEST_F(cache_test, flush_one_user) {
  cache.store_positive("alice", "alice", hmac.digest("pw"), {}, t0);
  cache.store_positive("bob", "bob", hmac.digest("pw"), {}, t0);
  cache.flush("alice");
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0).result, cache_answer::kind::miss);
  EXPECT_EQ(cache.lookup("bob", hmac.digest("pw"), t0).result, cache_answer::kind::hit);
}

TEST_F(cache_test, flush_all) {
  cache.store_positive("alice", "alice", hmac.digest("pw"), {}, t0);
  cache.store_negative("bob", "", hmac.digest("pw"), t0);
  cache.flush_all();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.lookup("bob", hmac.digest("pw"), t0).result, cache_answer::kind::miss);
}

TEST(credential_cache_bound, size_never_exceeds_max_entries) {
  credential_cache cache({.max_entries = 100, .shards = 8});
  password_hmac hmac;
  const auto d = hmac.digest("pw");
  const steady_time t0{};
  for (int i = 0; i < 5000; ++i) {
    cache.store_positive("user" + std::to_string(i), "", d, {}, t0);
    ASSERT_LE(cache.size(), 100u);
  }
  EXPECT_EQ(cache.lookup("user4999", d, t0).result, cache_answer::kind::hit);
}

TEST(credential_cache_bound, oldest_stored_goes_first) {
  credential_cache cache({.max_entries = 3, .shards = 1});
  password_hmac hmac;
  const auto d = hmac.digest("pw");
  const steady_time t0{};
  cache.store_positive("a", "a", d, {}, t0);
  cache.store_positive("b", "b", d, {}, t0);
  cache.store_positive("c", "c", d, {}, t0);
  cache.store_positive("a", "a", d, {}, t0);  // refreshed: now the newest
  cache.store_positive("d", "d", d, {}, t0);
  EXPECT_EQ(cache.lookup("b", d, t0).result, cache_answer::kind::miss);
  EXPECT_EQ(cache.lookup("a", d, t0).result, cache_answer::kind::hit);
  EXPECT_EQ(cache.lookup("c", d, t0).result, cache_answer::kind::hit);
  EXPECT_EQ(cache.lookup("d", d, t0).result, cache_answer::kind::hit);
}

TEST(password_hmac, same_password_same_digest_within_one_key) {
  password_hmac h;
  EXPECT_EQ(h.digest("secret"), h.digest("secret"));
  EXPECT_NE(h.digest("secret"), h.digest("secreT"));
  EXPECT_NE(h.digest(""), h.digest(std::string_view("\0", 1)));
}

TEST(password_hmac, keys_are_random_per_instance) {
  password_hmac a;
  password_hmac b;
  EXPECT_NE(a.digest("secret"), b.digest("secret"));
}

TEST(password_hmac, digest_equal_is_exact) {
  password_hmac h;
  auto d = h.digest("x");
  auto e = d;
  EXPECT_TRUE(tollgate::auth::digest_equal(d, e));
  e[31] ^= 1;
  EXPECT_FALSE(tollgate::auth::digest_equal(d, e));
}

TEST_F(cache_test, hit_answers_with_the_directory_name_not_the_key) {
  cache.store_positive("ali̇ce", "alice", hmac.digest("pw"), {"g"}, t0);
  const auto a = cache.lookup("ali̇ce", hmac.digest("pw"), t0);
  EXPECT_EQ(a.result, cache_answer::kind::hit);
  EXPECT_EQ(a.user, "alice");
  EXPECT_EQ(a.user_key, "alice");  // differs from the key looked up: the lockout checks both
  EXPECT_EQ(cache.lookup("alice", hmac.digest("pw"), t0).result, cache_answer::kind::miss);
}

TEST_F(cache_test, same_key_and_directory_name_need_no_second_lockout_key) {
  cache.store_positive("alice", "Alice", hmac.digest("pw"), {"g"}, t0);
  const auto a = cache.lookup("alice", hmac.digest("pw"), t0);
  EXPECT_EQ(a.user, "Alice");
  EXPECT_EQ(a.user_key, "");
}

TEST_F(cache_test, a_hit_still_needs_the_password) {
  cache.store_positive("alice", "alice", hmac.digest("alice-pw"), {"g"}, t0);
  const auto a = cache.lookup("alice", hmac.digest("wrong"), t0);
  EXPECT_EQ(a.result, cache_answer::kind::miss);
  EXPECT_TRUE(a.groups.empty());
}

TEST_F(cache_test, flush_by_any_spelling_forgets_every_key_the_directory_named_alike) {
  cache.store_positive("alice", "alice", hmac.digest("pw"), {}, t0);
  cache.store_positive("ali̇ce", "alice", hmac.digest("pw"), {}, t0);
  cache.store_negative("asmith", "alice", hmac.digest("x"), t0);
  cache.store_positive("bob", "bob", hmac.digest("pw"), {}, t0);
  const auto names = cache.flush("alice");
  EXPECT_TRUE(names.empty()) << names.front();
  EXPECT_EQ(cache.lookup("ali̇ce", hmac.digest("pw"), t0).result, cache_answer::kind::miss);
  EXPECT_EQ(cache.lookup("asmith", hmac.digest("x"), t0).result, cache_answer::kind::miss);
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(cache_test, flush_reports_directory_names_that_differ_from_the_key) {
  cache.store_positive("asmith", "alice", hmac.digest("pw"), {}, t0);
  EXPECT_EQ(cache.flush("asmith"), std::vector<std::string>{"alice"});
}
