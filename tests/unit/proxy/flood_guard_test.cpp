#include "flood_guard.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <charconv>

namespace tollgate::proxy::detail {
namespace {

using namespace std::chrono_literals;
using clock = flood_guard::clock;
namespace ip = boost::asio::ip;

double metric(prometheus::Registry& r, const std::string& name) {
  for (const auto& f : r.Collect()) {
    if (f.name != name || f.metric.empty()) continue;
    const auto& m = f.metric[0];
    return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return -1;
}

audit::audit_record unauthenticated(int status = 407, std::string decision = "auth_required") {
  audit::audit_record r;
  r.ts = std::chrono::system_clock::now();
  r.client_ip = "192.0.2.7";
  r.client_port = 40000;
  r.method = "GET";
  r.scheme = "http";
  r.host = "example.com";
  r.port = 80;
  r.path = "/x";
  r.user_agent = "curl";
  r.status = status;
  r.decision = std::move(decision);
  r.bytes_up = 100;
  r.bytes_down = 200;
  return r;
}

// The request count an aggregate record stands for ("aggregate of N requests ...").
std::uint64_t count_in(const audit::audit_record& r) {
  const std::string prefix = "aggregate of ";
  if (r.error.rfind(prefix, 0) != 0) return 0;
  std::uint64_t n = 0;
  std::from_chars(r.error.data() + prefix.size(), r.error.data() + r.error.size(), n);
  return n;
}

flood_options limits() {
  flood_options o;
  o.tracked_clients = 1000;
  o.records_per_second = 2;
  o.records_burst = 5;
  o.aggregate_interval = 1s;
  o.challenges_per_second = 2;
  o.challenge_burst = 3;
  return o;
}

class flood_guard_test : public ::testing::Test {
 protected:
  prometheus::Registry registry_;
  flood_guard guard_{registry_};
  clock::time_point t0_ = clock::time_point() + 1000h;
  ip::address a_ = ip::make_address("192.0.2.7");
  ip::address b_ = ip::make_address("198.51.100.9");

  // Sends `n` records from `from` at `now`; returns how many pass on their own.
  int send(int n, const ip::address& from, clock::time_point now, const flood_options& o = limits(),
           bool open = true, int status = 407) {
    int alone = 0;
    for (int i = 0; i < n; ++i) {
      auto r = unauthenticated(status);
      if (guard_.pass_record(r, from, open, o, now)) ++alone;
    }
    return alone;
  }
};

TEST(trim_unauthenticated, cuts_long_fields_and_says_so) {
  auto r = unauthenticated();
  r.path = "/" + std::string(16000, 'p');
  r.user_agent = std::string(9000, 'u');
  r.username = std::string(300, 'n');
  r.error = "malformed request";
  EXPECT_TRUE(trim_unauthenticated(r));
  EXPECT_EQ(r.path.size(), unauthenticated_field_max);
  EXPECT_EQ(r.user_agent.size(), unauthenticated_field_max);
  EXPECT_EQ(r.username.size(), unauthenticated_field_max);
  EXPECT_EQ(r.error, "malformed request; truncated: path (16001 bytes), user_agent (9000 bytes), username (300 bytes)");
  EXPECT_LT(r.path.capacity(), 1024u);  // the long buffer is given back, not just hidden
}

TEST(trim_unauthenticated, leaves_short_records_alone) {
  auto r = unauthenticated();
  EXPECT_FALSE(trim_unauthenticated(r));
  EXPECT_EQ(r.path, "/x");
  EXPECT_EQ(r.error, "");
}

TEST(trim_unauthenticated, never_splits_a_utf8_character) {
  auto r = unauthenticated();
  r.path = "/" + std::string(254, 'a') + "\xC3\xA9" + std::string(100, 'b');  // é spans bytes 255-256
  EXPECT_TRUE(trim_unauthenticated(r));
  EXPECT_EQ(r.path.size(), 255u);
  EXPECT_EQ(r.path.back(), 'a');
}

TEST(client_key, ipv6_counts_by_64_prefix_and_mapped_ipv4_as_ipv4) {
  EXPECT_EQ(key_of(ip::make_address("2001:db8:1:2::1")), key_of(ip::make_address("2001:db8:1:2:ffff::9")));
  EXPECT_NE(key_of(ip::make_address("2001:db8:1:2::1")), key_of(ip::make_address("2001:db8:1:3::1")));
  EXPECT_EQ(key_of(ip::make_address("::ffff:192.0.2.7")), key_of(ip::make_address("192.0.2.7")));
  EXPECT_NE(key_of(ip::make_address("192.0.2.7")), key_of(ip::make_address("192.0.2.8")));
}

TEST_F(flood_guard_test, burst_passes_then_the_rest_is_counted_in_one_aggregate) {
  EXPECT_EQ(send(1000, a_, t0_), 5);
  EXPECT_EQ(metric(registry_, "tollgate_audit_records_aggregated_total"), 995);
  EXPECT_TRUE(guard_.sweep(limits(), t0_ + 999ms, true).empty()) << "written before its interval is over";
  const auto due = guard_.sweep(limits(), t0_ + 1s, true);
  ASSERT_EQ(due.size(), 1u);
  const auto& agg = due[0];
  EXPECT_EQ(count_in(agg), 995u);
  EXPECT_EQ(agg.error, "aggregate of 995 requests over the per-client rate");
  EXPECT_EQ(agg.decision, "auth_required");
  EXPECT_EQ(agg.status, 407);
  EXPECT_EQ(agg.client_ip, "192.0.2.7");
  EXPECT_EQ(agg.bytes_up, 995u * 100);
  EXPECT_EQ(agg.bytes_down, 995u * 200);
  EXPECT_TRUE(agg.path.empty());
  EXPECT_TRUE(agg.user_agent.empty());
  EXPECT_TRUE(guard_.sweep(limits(), t0_ + 5s, true).empty()) << "counted twice";
}

TEST_F(flood_guard_test, the_rate_refills_with_time) {
  EXPECT_EQ(send(10, a_, t0_), 5);
  EXPECT_EQ(send(10, a_, t0_ + 500ms), 1);  // 2 per second
  EXPECT_EQ(send(10, a_, t0_ + 1500ms), 2);
}

TEST_F(flood_guard_test, each_decision_and_status_gets_its_own_aggregate) {
  send(5, a_, t0_);  // the burst
  send(7, a_, t0_, limits(), true, 407);
  send(3, a_, t0_, limits(), true, 400);
  auto r = unauthenticated(407, "auth_failed");
  EXPECT_FALSE(guard_.pass_record(r, a_, true, limits(), t0_));
  auto due = guard_.sweep(limits(), t0_ + 1s, true);
  ASSERT_EQ(due.size(), 3u);
  std::uint64_t total = 0;
  for (const auto& d : due) total += count_in(d);
  EXPECT_EQ(total, 11u);
}

TEST_F(flood_guard_test, clients_do_not_share_a_budget) {
  EXPECT_EQ(send(100, a_, t0_), 5);
  EXPECT_EQ(send(100, b_, t0_), 5);
  const auto due = guard_.sweep(limits(), t0_ + 1s, true);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_NE(due[0].client_ip, due[1].client_ip);
}

TEST_F(flood_guard_test, while_the_queue_is_full_everything_is_counted_and_kept_until_it_opens) {
  EXPECT_EQ(send(50, a_, t0_, limits(), false), 0);
  EXPECT_TRUE(guard_.sweep(limits(), t0_ + 10s, false).empty());
  EXPECT_EQ(send(50, a_, t0_ + 11s, limits(), false), 0);
  const auto due = guard_.sweep(limits(), t0_ + 12s, true);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(count_in(due[0]), 100u);
}

TEST_F(flood_guard_test, a_final_sweep_writes_every_pending_aggregate) {
  send(20, a_, t0_);
  send(20, b_, t0_);
  const auto due = guard_.sweep(limits(), t0_, false, true);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(count_in(due[0]) + count_in(due[1]), 30u);
}

// A client with many addresses cannot grow the table: past tracked_clients they share one
// entry, and every request is still one record or counted in one aggregate.
TEST_F(flood_guard_test, the_table_is_bounded_and_counts_still_add_up) {
  auto o = limits();
  o.tracked_clients = 4;
  int alone = 0;
  for (int i = 0; i < 1000; ++i) alone += send(3, ip::make_address_v4(0x0A000000u + static_cast<unsigned>(i)), t0_, o);
  EXPECT_EQ(guard_.tracked(), 4u);
  std::uint64_t counted = 0;
  bool shared_noted = false;
  for (const auto& d : guard_.sweep(o, t0_ + 1s, true)) {
    counted += count_in(d);
    shared_noted = shared_noted || d.error.find("client table full") != std::string::npos;
  }
  EXPECT_TRUE(shared_noted);
  EXPECT_EQ(static_cast<std::uint64_t>(alone) + counted, 3000u);
  EXPECT_LE(alone, 5 * 5);  // four tracked clients' bursts and the shared entry's
}

TEST_F(flood_guard_test, idle_clients_are_forgotten_once_their_budgets_are_full) {
  send(1, a_, t0_);
  EXPECT_EQ(guard_.tracked(), 1u);
  guard_.sweep(limits(), t0_ + 1s, true);
  EXPECT_EQ(guard_.tracked(), 1u) << "forgotten while its buckets were not full";
  guard_.sweep(limits(), t0_ + 10s, true);
  EXPECT_EQ(guard_.tracked(), 0u);
}

TEST_F(flood_guard_test, a_client_with_pending_counts_is_not_forgotten_before_they_are_written) {
  send(50, a_, t0_, limits(), false);
  guard_.sweep(limits(), t0_ + 1h, false);
  EXPECT_EQ(guard_.tracked(), 1u);
}

TEST_F(flood_guard_test, challenges_run_out_and_come_back_at_their_rate) {
  const auto o = limits();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(guard_.challenge_allowed(a_, o, t0_));
    guard_.charge_challenge(a_, o, t0_);
  }
  EXPECT_FALSE(guard_.challenge_allowed(a_, o, t0_));
  EXPECT_EQ(metric(registry_, "tollgate_auth_throttled_total"), 1);
  EXPECT_TRUE(guard_.challenge_allowed(b_, o, t0_)) << "another client pays for the first";
  EXPECT_TRUE(guard_.challenge_allowed(a_, o, t0_ + 500ms));  // 2 per second
}

TEST_F(flood_guard_test, checks_in_flight_at_once_leave_a_debt) {
  const auto o = limits();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(guard_.challenge_allowed(a_, o, t0_));  // ten checks start
  for (int i = 0; i < 10; ++i) guard_.charge_challenge(a_, o, t0_);                // and all fail
  EXPECT_FALSE(guard_.challenge_allowed(a_, o, t0_ + 1s));  // 3 - 10 (at most -3) + 2
  EXPECT_TRUE(guard_.challenge_allowed(a_, o, t0_ + 2s));
}

TEST_F(flood_guard_test, no_challenge_limit_when_the_rate_is_zero) {
  auto o = limits();
  o.challenges_per_second = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(guard_.challenge_allowed(a_, o, t0_));
    guard_.charge_challenge(a_, o, t0_);
  }
}

}  // namespace
}  // namespace tollgate::proxy::detail
