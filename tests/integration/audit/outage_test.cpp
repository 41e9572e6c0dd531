#include "tollgate/audit/pg_audit_sink.hpp"

#include "audit_fixture.hpp"
#include "tollgate/testing/child_process.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tollgate::audit::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::uintmax_t spool_bytes(const std::string& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".spool") total += e.file_size();
  return total;
}

std::vector<fs::path> spool_files(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".spool") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(audit_pg_test, postgres_outage_under_load_loses_and_duplicates_nothing) {
  prometheus::Registry registry;
  auto sink = make_sink(sink_options(), registry);
  ASSERT_TRUE(sink);
  std::atomic<int> sent{0};
  std::atomic<bool> done{false};
  std::thread load([&] {
    const auto end = std::chrono::steady_clock::now() + 7s;
    while (std::chrono::steady_clock::now() < end) {
      ASSERT_EQ(sink->admit(), admission::open);
      sink->record(request(++sent));
      std::this_thread::sleep_for(500us);
    }
    done = true;
  });
  std::this_thread::sleep_for(1500ms);
  pg().stop();  // pg_ctl stop -m fast, under load
  std::this_thread::sleep_for(2500ms);
  EXPECT_NE(sink->health(), audit_health::ok);
  pg().start();
  load.join();
  ASSERT_TRUE(done);
  EXPECT_TRUE(eventually([&] { return sink->health() == audit_health::ok; }, 60s));
  sink->stop();

  const int n = sent.load();
  EXPECT_EQ(rows(), n);
  EXPECT_EQ(sql("SELECT count(DISTINCT seq) || ' ' || min(seq) || ' ' || max(seq) FROM audit_log WHERE instance = '" +
                instance_ + "'"),
            std::to_string(n) + " 1 " + std::to_string(n));
  EXPECT_GT(metric(registry, "tollgate_audit_records_spooled_total"), 0);
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
  const auto report = verify_mine();
  EXPECT_FALSE(report.broken) << report.broken->reason;
  EXPECT_EQ(report.last_seq, n);
}

TEST_F(audit_pg_test, killed_while_spooling_then_restarted_replays_and_chain_verifies) {
  const auto spool_dir = dir_->file("spool");
  // The child cannot reach PostgreSQL (nothing listens on port 1): it spools.
  testing::spawn_options child_opts;
  child_opts.output_file = dir_->file("child.log");
  auto child = testing::child_process::spawn(
      {AUDIT_CRASH_CHILD, "postgresql://tollgate_writer@127.0.0.1:1/tollgate", spool_dir, instance_}, child_opts);
  ASSERT_TRUE(eventually([&] { return spool_bytes(spool_dir) > 200'000; }, 30s))
      << testing::read_file(dir_->file("child.log"));
  child.kill_hard();
  child.wait(5s);

  prometheus::Registry registry;
  auto sink = make_sink(sink_options(), registry);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(eventually([&] { return sink->health() == audit_health::ok; }, 60s));
  for (int i = 0; i < 10; ++i) sink->record(request(i));
  sink->stop();

  const auto report = verify_mine();
  EXPECT_FALSE(report.broken) << report.broken->reason;
  EXPECT_GT(report.records, 500u);
  EXPECT_EQ(static_cast<long long>(report.records), rows());
  EXPECT_EQ(report.last_seq, rows());
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
  EXPECT_EQ(spool_bytes(spool_dir), 0u);
}

TEST_F(audit_pg_test, torn_spool_tail_is_dropped_and_the_rest_replayed) {
  auto down = sink_options();
  down.dsn = down.admin_dsn = "postgresql://tollgate_writer@127.0.0.1:1/tollgate";
  {
    prometheus::Registry registry;
    auto sink = make_sink(down, registry);
    ASSERT_TRUE(sink);
    for (int i = 1; i <= 300; ++i) sink->record(request(i));
    sink->stop();
    EXPECT_EQ(metric(registry, "tollgate_audit_records_spooled_total"), 300);
  }
  const auto files = spool_files(dir_->file("spool"));
  ASSERT_FALSE(files.empty());
  {
    // What a crash in the middle of a write leaves: a frame header and half a record.
    std::ofstream out(files.back(), std::ios::binary | std::ios::app);
    out << std::string("\x00\x00\x02\x00\xde\xad\xbe\xef", 8) << "half a rec";
  }
  prometheus::Registry registry;
  auto sink = make_sink(sink_options(), registry);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(eventually([&] { return sink->health() == audit_health::ok; }, 60s));
  sink->record(request(301));
  sink->stop();
  EXPECT_EQ(rows(), 301);
  const auto report = verify_mine();
  EXPECT_FALSE(report.broken) << report.broken->reason;
  EXPECT_EQ(report.last_seq, 301);
}

TEST_F(audit_pg_test, replaying_a_partly_written_spool_adds_no_duplicates) {
  // Records that reached PostgreSQL and are also still in the spool (a crash after
  // the COPY committed but before the spool was told) must not be written twice.
  auto down = sink_options();
  down.dsn = down.admin_dsn = "postgresql://tollgate_writer@127.0.0.1:1/tollgate";
  {
    prometheus::Registry registry;
    auto sink = make_sink(down, registry);
    ASSERT_TRUE(sink);
    for (int i = 1; i <= 200; ++i) sink->record(request(i));
    sink->stop();
  }
  // Keep a copy of the spool, replay it, put the copy back, replay again.
  const auto spool_dir = dir_->file("spool");
  const auto copy_dir = dir_->file("spool-copy");
  fs::copy(spool_dir, copy_dir);
  {
    prometheus::Registry registry;
    auto sink = make_sink(sink_options(), registry);
    ASSERT_TRUE(sink);
    ASSERT_TRUE(eventually([&] { return sink->health() == audit_health::ok; }, 60s));
    sink->stop();
    EXPECT_EQ(metric(registry, "tollgate_audit_records_written_total"), 200);
  }
  fs::remove_all(spool_dir);
  fs::copy(copy_dir, spool_dir);
  prometheus::Registry registry;
  auto sink = make_sink(sink_options(), registry);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(eventually([&] { return sink->health() == audit_health::ok; }, 60s));
  sink->stop();
  EXPECT_EQ(metric(registry, "tollgate_audit_records_written_total"), 0);  // every row already there
  EXPECT_EQ(rows(), 200);
  EXPECT_FALSE(verify_mine().broken);
}

}  // namespace
}  // namespace tollgate::audit::test
