// One identity per person: the directory's name for the entry is who logged in, and every
// spelling of it shares one cache entry, one lockout budget and one flush.
#include "tollgate/auth/ldap_authenticator.hpp"

#include "authenticator_fixture.hpp"

using namespace std::chrono_literals;
using namespace tollgate::auth;
using tollgate::auth::testing::authenticator_test;
using tollgate::auth::testing::metric;

namespace {

struct identity_test : authenticator_test {
  void SetUp() override {
    authenticator_test::SetUp();
    // As slapd matches uid: case, surrounding spaces, fullwidth forms, U+0130. "al1ce" stands
    // for a spelling the directory matches but fold_user_name() does not bring to "alice".
    for (const char* spelling : {"Alice", "ALICE", "alice ", " Alice", "ＡＬＩＣＥ", "ALİCE", "al1ce"})
      dir->aliases[spelling] = "alice";
  }
};

boost::asio::ip::address client_n(int n) { return boost::asio::ip::make_address("198.51.100." + std::to_string(n)); }

}  // namespace

TEST_F(identity_test, a_spelling_logs_in_as_the_directory_entry) {
  const auto r = verify("Alice", "alice-pw");
  EXPECT_EQ(r.status, auth_status::ok);
  EXPECT_EQ(r.who.user, "alice");
  const auto cached = lookup("ＡＬＩＣＥ", "alice-pw");  // one cache entry for every spelling
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->status, auth_status::ok);
  EXPECT_EQ(cached->who.user, "alice");
  EXPECT_EQ(dir->checks, 1);
}

TEST_F(identity_test, a_spelling_with_a_wrong_password_never_hits_the_cached_entry) {
  ASSERT_EQ(verify("alice", "alice-pw").status, auth_status::ok);
  EXPECT_FALSE(lookup("Alice", "not-her-password").has_value());
  const auto r = verify("Alice", "not-her-password");
  EXPECT_EQ(r.status, auth_status::bad_credentials);
  EXPECT_EQ(r.who.user, "alice");
}

TEST_F(identity_test, spellings_share_one_lockout_budget) {
  EXPECT_EQ(verify("Alice", "w1").status, auth_status::bad_credentials);
  EXPECT_EQ(verify("alice ", "w2").status, auth_status::bad_credentials);
  const auto third = verify("ALİCE", "w3");
  EXPECT_EQ(third.status, auth_status::bad_credentials);
  EXPECT_EQ(third.who.user, "alice");
  const int checks = dir->checks;
  for (const char* spelling : {"alice", "ALICE", " Alice", "ＡＬＩＣＥ"}) {
    const auto r = lookup(spelling, "alice-pw");
    ASSERT_TRUE(r.has_value()) << spelling;
    EXPECT_EQ(r->status, auth_status::locked_out) << spelling;
    EXPECT_EQ(r->who.user, "alice") << spelling;
  }
  EXPECT_EQ(dir->checks, checks) << "a locked-out spelling reached the directory";
}

TEST_F(identity_test, a_spelling_the_fold_misses_is_stopped_before_the_bind) {
  for (const char* pw : {"w1", "w2", "w3"}) verify("alice", pw);
  const int binds = dir->binds;
  const auto r = verify("al1ce", "alice-pw");
  EXPECT_EQ(r.status, auth_status::locked_out);
  EXPECT_EQ(r.who.user, "alice");
  EXPECT_EQ(dir->binds, binds) << "the password was tried while alice was locked out";
}

TEST_F(identity_test, failures_under_a_spelling_the_fold_misses_count_for_the_entry) {
  verify("al1ce", "w1");
  verify("al1ce", "w2");
  verify("alice", "w3");
  const auto r = lookup("alice", "alice-pw");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, auth_status::locked_out);
  // And once the cache knows whose entry "al1ce" is, it is refused from memory.
  const auto again = lookup("al1ce", "w1");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, auth_status::locked_out);
}

TEST_F(identity_test, flush_by_any_spelling_lifts_the_lock_and_forgets_the_cache) {
  ASSERT_EQ(verify("alice", "alice-pw").status, auth_status::ok);
  for (const char* pw : {"w1", "w2", "w3"}) verify("Alice", pw, client_n(7));
  ASSERT_EQ(lookup("alice", "alice-pw", client_n(7))->status, auth_status::locked_out);
  auth->flush("ALİCE");
  EXPECT_FALSE(lookup("alice", "alice-pw", client_n(7)).has_value());  // neither locked nor cached
  EXPECT_EQ(verify("alice", "alice-pw", client_n(7)).status, auth_status::ok);
}

TEST_F(identity_test, flush_by_a_spelling_the_fold_misses_lifts_the_entrys_lock) {
  for (const char* pw : {"w1", "w2", "w3"}) verify("al1ce", pw);
  ASSERT_EQ(lookup("alice", "alice-pw")->status, auth_status::locked_out);
  auth->flush("al1ce");
  EXPECT_FALSE(lookup("alice", "alice-pw").has_value());
}

TEST_F(identity_test, password_with_a_nul_is_refused_without_the_directory) {
  const std::string pw("alice-pw\0tail", 13);
  const auto r = lookup("alice", pw);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, auth_status::bad_credentials);
  EXPECT_EQ(verify("alice", pw).status, auth_status::bad_credentials);
  EXPECT_EQ(verify("alice", std::string("\0", 1)).status, auth_status::bad_credentials);
  EXPECT_EQ(dir->checks, 0);
}

TEST_F(identity_test, a_name_of_only_spaces_is_refused_without_the_directory) {
  EXPECT_EQ(verify("   ", "pw").status, auth_status::bad_credentials);
  EXPECT_EQ(dir->checks, 0);
}

TEST_F(identity_test, spraying_from_many_clients_locks_the_user_everywhere) {
  opts.lockout_user_threshold = 5;
  make();
  // Two guesses from each address: every pair stays under its threshold of 3.
  for (int i = 0; i < 5; ++i) verify(i % 2 ? "Alice" : "alice", "guess-" + std::to_string(i), client_n(i / 2));
  const int checks = dir->checks;
  const auto r = lookup("alice", "alice-pw", client_n(99));  // an address that never failed
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, auth_status::locked_out);
  EXPECT_EQ(verify("alice", "alice-pw", client_n(99)).status, auth_status::locked_out);
  EXPECT_EQ(dir->checks, checks);
  EXPECT_EQ(verify("bob", "bob-pw", client_n(99)).status, auth_status::ok);
  clock.advance(600s);
  EXPECT_EQ(verify("alice", "alice-pw", client_n(99)).status, auth_status::ok);
}

TEST_F(identity_test, a_lockout_table_full_of_locks_refuses_new_names_but_keeps_cached_users) {
  opts.lockout_max_entries = 1;
  make();
  ASSERT_EQ(verify("alice", "alice-pw").status, auth_status::ok);  // cached before the table fills
  for (const char* pw : {"w1", "w2", "w3"}) verify("bob", pw);
  ASSERT_EQ(lookup("bob", "bob-pw")->status, auth_status::locked_out);
  const int checks = dir->checks;
  const auto r = verify("carol", "carol-pw");
  EXPECT_EQ(r.status, auth_status::locked_out);
  EXPECT_NE(r.reason.find("full"), std::string::npos) << r.reason;
  EXPECT_EQ(dir->checks, checks) << "a name the lockout cannot count reached the directory";
  EXPECT_GE(metric(registry, "tollgate_auth_lockout_full_total"), 1);
  EXPECT_EQ(lookup("alice", "alice-pw")->status, auth_status::ok);
  EXPECT_EQ(lookup("bob", "bob-pw")->status, auth_status::locked_out);  // the lock was kept
}
