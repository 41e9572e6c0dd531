#include "tollgate/audit/pg_audit_sink.hpp"

#include "spool.hpp"
#include "test_records.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tollgate::audit {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

double metric(prometheus::Registry& r, const std::string& name) {
  for (const auto& f : r.Collect()) {
    if (f.name != name || f.metric.empty()) continue;
    const auto& m = f.metric[0];
    return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return -1;
}

// PostgreSQL unreachable (nothing listens on port 1): everything must go to the spool.
class admission_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tollgate-admission-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  options opts(spool_full_mode mode) {
    options o;
    o.dsn = "postgresql://tollgate_writer@127.0.0.1:1/tollgate";
    o.admin_dsn = o.dsn;
    o.instance = "unit";
    o.spool_dir = dir_.string();
    o.spool_max_bytes = 1 << 20;
    o.queue_capacity = 20;
    o.batch_max = 10;
    o.flush_interval = 5ms;
    o.on_spool_full = mode;
    return o;
  }

  // Records big enough that a 1 MiB spool fills after ~100 of them.
  static audit_record big(int n) {
    auto r = test::sample_record(n);
    r.user_agent = std::string(10000, 'u');
    return r;
  }

  // Records until admit() stops saying open; returns the answer then.
  static admission fill(pg_audit_sink& sink, int& pushed) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto a = sink.admit();
      if (a != admission::open) return a;
      sink.record(big(++pushed));
      std::this_thread::sleep_for(100us);
    }
    return admission::open;
  }

  fs::path dir_;
};

TEST_F(admission_test, open_while_the_spool_has_room) {
  prometheus::Registry registry;
  auto made = pg_audit_sink::create(opts(spool_full_mode::block), registry);
  ASSERT_TRUE(made) << made.error().message();
  auto& sink = **made;
  EXPECT_EQ(sink.admit(), admission::open);
  for (int i = 0; i < 30; ++i) sink.record(test::sample_record(i));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (metric(registry, "tollgate_audit_records_spooled_total") < 30 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(metric(registry, "tollgate_audit_records_spooled_total"), 30);
  EXPECT_EQ(sink.health(), audit_health::degraded);
  EXPECT_EQ(sink.admit(), admission::open);
}

TEST_F(admission_test, block_mode_says_wait_when_queue_and_spool_are_full) {
  prometheus::Registry registry;
  auto made = pg_audit_sink::create(opts(spool_full_mode::block), registry);
  ASSERT_TRUE(made) << made.error().message();
  auto& sink = **made;
  int pushed = 0;
  EXPECT_EQ(fill(sink, pushed), admission::wait);
  EXPECT_EQ(sink.health(), audit_health::down);
  // An admitted request's record is still taken, and stop() keeps every record.
  sink.record(big(++pushed));
  sink.stop();
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
  EXPECT_EQ(metric(registry, "tollgate_audit_records_spooled_total"), pushed);
  auto reopened = spool::open(dir_.string(), "unit", 1 << 20);
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ((*reopened)->pending_records(), static_cast<std::uint64_t>(pushed));
  EXPECT_EQ((*reopened)->head().seq, pushed);
}

// The queue's record count is no bound on memory when records are large: 100,000 records
// of 10 KiB would be 1 GB. Its byte bound closes admission after about 1 MiB instead.
TEST_F(admission_test, large_records_close_admission_at_the_byte_bound) {
  prometheus::Registry registry;
  auto o = opts(spool_full_mode::block);
  o.queue_capacity = 100'000;
  o.queue_max_bytes = 1 << 20;
  auto made = pg_audit_sink::create(o, registry);
  ASSERT_TRUE(made) << made.error().message();
  auto& sink = **made;
  int pushed = 0;
  EXPECT_EQ(fill(sink, pushed), admission::wait);
  // About 1 MiB in the spool and 1 MiB in the queue, 10 KiB each.
  EXPECT_LT(pushed, 400);
  EXPECT_GE(metric(registry, "tollgate_audit_queue_bytes"), 1 << 20);
  EXPECT_EQ(sink.health(), audit_health::down);
  sink.stop();
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
}

// A request told to wait is told again (once) instead of polling: when the writer makes
// room, or at the latest when the sink stops. An admitted one's callback is never kept.
TEST_F(admission_test, a_waiting_request_is_told_once) {
  prometheus::Registry registry;
  auto made = pg_audit_sink::create(opts(spool_full_mode::block), registry);
  ASSERT_TRUE(made) << made.error().message();
  auto& sink = **made;
  std::atomic<int> told_open{0};
  EXPECT_EQ(sink.admit_or_notify([&] { ++told_open; }), admission::open);
  int pushed = 0;
  EXPECT_EQ(fill(sink, pushed), admission::wait);
  std::atomic<int> told{0};
  const auto first = sink.admit_or_notify([&] { ++told; });
  sink.stop();
  EXPECT_EQ(told, first == admission::wait ? 1 : 0);
  EXPECT_EQ(told_open, 0);
}

TEST_F(admission_test, reject_mode_says_reject_when_full) {
  prometheus::Registry registry;
  auto made = pg_audit_sink::create(opts(spool_full_mode::reject), registry);
  ASSERT_TRUE(made) << made.error().message();
  auto& sink = **made;
  int pushed = 0;
  EXPECT_EQ(fill(sink, pushed), admission::reject);
  sink.stop();
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
}

TEST_F(admission_test, chain_continues_from_the_spool_after_restart) {
  {
    prometheus::Registry registry;
    auto made = pg_audit_sink::create(opts(spool_full_mode::block), registry);
    ASSERT_TRUE(made);
    auto& sink = **made;
    for (int i = 0; i < 7; ++i) sink.record(test::sample_record(i));
    sink.stop();
  }
  prometheus::Registry registry;
  auto made = pg_audit_sink::create(opts(spool_full_mode::block), registry);
  ASSERT_TRUE(made);
  auto& sink = **made;
  sink.record(test::sample_record(8));
  sink.stop();
  auto reopened = spool::open(dir_.string(), "unit", 1 << 20);
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->head().seq, 8);
  std::vector<audit_record> all;
  while ((*reopened)->has_pending()) {
    for (auto& r : (*reopened)->peek(100)) all.push_back(std::move(r));
    (*reopened)->consume();
  }
  ASSERT_EQ(all.size(), 8u);
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, all[i - 1].seq + 1);
    EXPECT_EQ(all[i].prev_hash, all[i - 1].hash);
  }
}

TEST_F(admission_test, a_spool_folder_that_cannot_be_made_is_named_with_its_key) {
  prometheus::Registry registry;
  auto o = opts(spool_full_mode::block);
  fs::create_directories(dir_);
  std::ofstream(dir_ / "plain-file") << "x";
  o.spool_dir = (dir_ / "plain-file" / "spool").string();
  auto made = pg_audit_sink::create(o, registry);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, std::errc::not_a_directory);
  EXPECT_EQ(made.error().message().rfind("audit.spool_dir: cannot create spool folder " + o.spool_dir, 0), 0u)
      << made.error().message();
}

}  // namespace
}  // namespace tollgate::audit
