#include "audit_fixture.hpp"

#include <fstream>

namespace tollgate::audit::test {
namespace {

// 50 records in one chain, with a signed checkpoint at the end.
class tamper_test : public audit_pg_test {
 protected:
  void SetUp() override {
    audit_pg_test::SetUp();
    if (IsSkipped()) return;
    prometheus::Registry registry;
    auto sink = make_sink(sink_options(), registry);
    ASSERT_TRUE(sink);
    for (int i = 1; i <= 50; ++i) sink->record(request(i));
    sink->stop();
    ASSERT_EQ(rows(), 50);
    ASSERT_FALSE(verify_mine().broken);
  }
  std::string where(const std::string& cond) { return " WHERE instance = '" + instance_ + "' AND " + cond; }
};

TEST_F(tamper_test, untouched_chain_is_intact) {
  const auto r = verify_mine();
  EXPECT_FALSE(r.broken);
  EXPECT_EQ(r.records, 50u);
  EXPECT_EQ(r.last_seq, 50);
}

TEST_F(tamper_test, updated_row_is_found_at_its_seq) {
  sql("UPDATE audit_log SET host = 'innocent.example.com'" + where("seq = 17"));
  const auto r = verify_mine();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 17);
  EXPECT_NE(r.broken->reason.find("field was changed"), std::string::npos) << r.broken->reason;
  // The rows past the break are counted (not checked): the report still gives them all.
  EXPECT_EQ(r.records, 50u);
  EXPECT_EQ(r.last_seq, 50);
}

TEST_F(tamper_test, null_turned_into_empty_text_is_found) {
  sql("UPDATE audit_log SET path = ''" + where("seq = 10"));  // seq 10 is a tunnel: path was NULL
  const auto r = verify_mine();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 10);
}

TEST_F(tamper_test, deleted_row_is_found_as_a_gap) {
  sql("DELETE FROM audit_log" + where("seq = 23"));
  const auto r = verify_mine();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 23);
  EXPECT_NE(r.broken->reason.find("missing"), std::string::npos) << r.broken->reason;
}

TEST_F(tamper_test, swapped_pair_is_found_at_the_first_of_them) {
  // Through a free seq: two rows of the same microsecond would collide on (instance, seq, ts).
  sql("BEGIN; UPDATE audit_log SET seq = -30" + where("seq = 30") + "; UPDATE audit_log SET seq = 30" +
      where("seq = 31") + "; UPDATE audit_log SET seq = 31" + where("seq = -30") + "; COMMIT;");
  const auto r = verify_mine();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 30);
}

TEST_F(tamper_test, inserted_row_is_found) {
  sql("INSERT INTO audit_log SELECT ts + interval '1 second', instance, seq, event, client_ip, client_port, "
      "username, groups, method, scheme, 'forged.example.com', port, path, status, decision, rule_id, "
      "would_rule_id, policy_version, bytes_up, bytes_down, duration_us, upstream_ip, user_agent, error, "
      "prev_hash, hash FROM audit_log" + where("seq = 40"));
  const auto r = verify_mine();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 40);
}

TEST_F(tamper_test, newest_rows_deleted_are_found_against_the_checkpoint) {
  sql("DELETE FROM audit_log" + where("seq > 45"));
  const auto r = verify_mine();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 46);
  EXPECT_NE(r.broken->reason.find("cut from the end"), std::string::npos) << r.broken->reason;
}

TEST_F(tamper_test, altered_checkpoint_file_is_found) {
  auto text = testing::read_file(checkpoint_file_);
  const auto at = text.find("\"seq\":50");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 8, "\"seq\":49");
  std::ofstream(checkpoint_file_, std::ios::trunc) << text;
  const auto result = verify_audit_chains({pg().owner_dsn(), checkpoint_file_, key_file_});
  ASSERT_TRUE(result) << result.error().message();
  const auto& report = *result;
  EXPECT_FALSE(report.intact);
  bool found = false;
  for (const auto& i : report.instances)
    if (i.broken && i.broken->reason.find("bad signature") != std::string::npos) found = true;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tollgate::audit::test
