#include "tollgate/audit/table_upkeep.hpp"

#include "audit_fixture.hpp"
#include "tollgate/audit/checkpoint.hpp"

namespace tollgate::audit::test {
namespace {

TEST_F(audit_pg_test, upkeep_creates_partitions_ahead) {
  std::string in_three;
  month_from_now(3, &in_three);
  const auto report = run_table_upkeep(pg().owner_dsn(), 0, month_from_now(1), nullptr);
  EXPECT_EQ(report.ensured.size(), 3u);
  EXPECT_EQ(report.ensured.back(), "audit_log_" + in_three);
  EXPECT_EQ(sql("SELECT to_regclass('audit_log_" + in_three + "') IS NOT NULL"), "t");
  EXPECT_TRUE(report.dropped.empty());
}

TEST_F(audit_pg_test, retention_drops_old_partitions_records_it_and_chain_still_verifies) {
  std::string last_month;
  const auto old_ts = month_from_now(-1, &last_month);
  ASSERT_EQ(sql("SELECT to_regclass('audit_log_" + last_month + "') IS NOT NULL"), "t");
  {
    prometheus::Registry registry;
    auto sink = make_sink(sink_options(), registry);
    ASSERT_TRUE(sink);
    for (int i = 1; i <= 10; ++i) {
      auto r = request(i);
      if (i <= 5) r.ts = old_ts + std::chrono::seconds(i);
      sink->record(std::move(r));
    }
    sink->stop();
  }
  ASSERT_EQ(rows(), 10);

  // A month from now, keeping one month: last month's partition has expired.
  const auto signer = checkpoint_signer::load(key_file_).value();
  ASSERT_TRUE(signer);
  const auto report = run_table_upkeep(pg().owner_dsn(), 1, month_from_now(1), signer.get());
  ASSERT_EQ(report.dropped, std::vector<std::string>{"audit_log_" + last_month});
  EXPECT_EQ(sql("SELECT to_regclass('audit_log_" + last_month + "') IS NULL"), "t");
  EXPECT_EQ(rows(), 5);
  EXPECT_EQ(sql("SELECT actor || ' ' || role || ' ' || target || ' ' || "
                "(before->'chains'->0->>'max_seq') FROM admin_actions "
                "WHERE action = 'audit.retention.drop_partition' AND before->'chains'->0->>'instance' = '" +
                instance_ + "'"),
            "tollgate system audit_log_" + last_month + " 5");

  const auto r = verify_mine();
  EXPECT_FALSE(r.broken) << r.broken->reason;
  EXPECT_EQ(r.last_seq, 10);
  // Deleting a retained row is still caught.
  sql("DELETE FROM audit_log WHERE instance = '" + instance_ + "' AND seq = 8");
  const auto again = verify_mine();
  ASSERT_TRUE(again.broken);
  EXPECT_EQ(again.broken->seq, 8);
}

}  // namespace
}  // namespace tollgate::audit::test
