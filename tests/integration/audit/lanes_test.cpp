// Several writer connections (audit.writer_connections) against the real PostgreSQL:
// batches are copied at once but committed in seq order, so the table always holds
// a gap-free start of the chain, and a batch PostgreSQL refuses holds back every
// batch behind it until it can be written.
#include "audit_fixture.hpp"

#include <atomic>
#include <functional>
#include <set>
#include <utility>
#include <thread>

namespace tollgate::audit::test {
namespace {

using namespace std::chrono_literals;

class audit_lanes_test : public audit_pg_test {
 protected:
  options lane_options() const {
    auto o = sink_options();
    o.writer_connections = 4;
    o.batch_max = 10;  // many small batches: several in flight at once
    o.flush_interval = 5ms;
    return o;
  }
  static std::pair<long long, long long> rows_up_to(long long n) { return {n, n}; }
  // One snapshot: how many rows this chain has and its highest seq.
  std::pair<long long, long long> count_and_max() {
    const auto line = sql("SELECT count(*) || ' ' || coalesce(max(seq), 0) FROM audit_log WHERE instance = '" +
                          instance_ + "'");
    const auto space = line.find(' ');
    return {std::stoll(line.substr(0, space)), std::stoll(line.substr(space + 1))};
  }
};

TEST_F(audit_lanes_test, the_table_holds_a_gap_free_prefix_at_every_moment) {
  prometheus::Registry registry;
  auto sink = make_sink(lane_options(), registry);
  ASSERT_TRUE(sink);
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread load([&] {
    while (!stop) {
      sink->record(request(++sent));
      if (sent % 5 == 0) std::this_thread::sleep_for(1ms);
    }
  });
  // Samples until the table has been seen at 20 different lengths (each psql call
  // takes long under a sanitizer), or a minute has passed.
  std::set<long long> lengths;
  int gaps = 0;
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (lengths.size() < 20 && std::chrono::steady_clock::now() < give_up) {
    const auto [count, max] = count_and_max();
    if (count != max) ++gaps;
    lengths.insert(max);
  }
  stop = true;
  load.join();
  sink->stop();

  EXPECT_EQ(lengths.size(), 20u) << "the table was seen at too few lengths to show anything";
  EXPECT_EQ(gaps, 0) << "a later batch was visible before an earlier one";
  EXPECT_EQ(count_and_max(), rows_up_to(sent.load()));
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
  const auto report = verify_mine();
  EXPECT_FALSE(report.broken) << report.broken->seq << ": " << report.broken->reason;
}

TEST_F(audit_lanes_test, a_refused_batch_holds_back_the_batches_behind_it_until_it_is_written) {
  // The owner makes PostgreSQL refuse one row of this chain, as a failing disk or a
  // constraint would.
  const std::string fn = "test_refuse_poisoned_row";
  sql("CREATE OR REPLACE FUNCTION " + fn +
      "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.host = 'poisoned.example' THEN RAISE EXCEPTION 'refused for the test'; END IF; "
      "RETURN NEW; END $$");
  sql("CREATE TRIGGER refuse_poisoned_row BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION " + fn + "()");
  struct drop_on_exit {
    std::function<void()> undo;
    void drop() {
      if (undo) std::exchange(undo, nullptr)();
    }
    ~drop_on_exit() { drop(); }
  } trigger{[this, fn] {
    sql("DROP TRIGGER IF EXISTS refuse_poisoned_row ON audit_log; DROP FUNCTION IF EXISTS " + fn + "()");
  }};

  prometheus::Registry registry;
  auto sink = make_sink(lane_options(), registry);
  ASSERT_TRUE(sink);
  constexpr int poisoned = 25;
  for (int n = 1; n <= 60; ++n) {
    auto r = request(n);
    if (n == poisoned) r.host = "poisoned.example";
    sink->record(std::move(r));
  }
  ASSERT_TRUE(eventually([&] { return metric(registry, "tollgate_audit_records_spooled_total") >= 60 - poisoned; }));
  // Nothing at or behind the refused row reached the table, however many batches
  // were copied alongside it; what did is a prefix.
  auto [count, max] = count_and_max();
  EXPECT_EQ(count, max);
  EXPECT_LT(max, poisoned);
  EXPECT_NE(sink->health(), audit_health::ok);

  // More records while the spool is replaying and failing: they queue behind it.
  for (int n = 61; n <= 80; ++n) sink->record(request(n));
  std::this_thread::sleep_for(300ms);
  std::tie(count, max) = count_and_max();
  EXPECT_EQ(count, max);
  EXPECT_LT(max, poisoned);

  trigger.drop();
  EXPECT_TRUE(eventually([&] { return sink->health() == audit_health::ok; }, 60s));
  sink->stop();
  EXPECT_EQ(count_and_max(), rows_up_to(80));
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE instance = '" + instance_ + "' AND host = 'poisoned.example'"),
            "1");
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
  const auto report = verify_mine();
  EXPECT_FALSE(report.broken) << report.broken->seq << ": " << report.broken->reason;
  EXPECT_EQ(report.last_seq, 80);
}

TEST_F(audit_lanes_test, one_connection_still_writes_everything_in_order) {
  prometheus::Registry registry;
  auto o = lane_options();
  o.writer_connections = 1;
  auto sink = make_sink(o, registry);
  ASSERT_TRUE(sink);
  for (int n = 1; n <= 500; ++n) sink->record(request(n));
  sink->stop();
  EXPECT_EQ(count_and_max(), rows_up_to(500));
  EXPECT_FALSE(verify_mine().broken);
}

}  // namespace
}  // namespace tollgate::audit::test
