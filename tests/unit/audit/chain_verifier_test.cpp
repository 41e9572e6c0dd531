#include "tollgate/audit/verify.hpp"

#include "test_records.hpp"
#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/chain.hpp"

#include <gtest/gtest.h>

namespace tollgate::audit {
namespace {

std::vector<audit_record> chain_of(int n) {
  chain_head head;
  std::vector<audit_record> out;
  for (int i = 1; i <= n; ++i) {
    auto r = test::sample_record(i);
    sanitize(r);
    chain_append(head, "proxy-a", r);
    out.push_back(std::move(r));
  }
  return out;
}

chain_report walk(const std::vector<audit_record>& rows, std::vector<checkpoint> cps = {},
                  std::vector<dropped_range> dropped = {}) {
  chain_verifier v("proxy-a", std::move(cps), std::move(dropped));
  for (const auto& r : rows) v.feed(r.seq, canonical_encoding(r), r.prev_hash, r.hash);
  return v.finish();
}

checkpoint at(const audit_record& r) { return {"proxy-a", r.seq, r.hash, {}, {}}; }

TEST(chain_verifier, intact_chain) {
  const auto rep = walk(chain_of(10));
  EXPECT_FALSE(rep.broken);
  EXPECT_EQ(rep.records, 10u);
  EXPECT_EQ(rep.last_seq, 10);
}

TEST(chain_verifier, changed_field_breaks_at_that_row) {
  auto rows = chain_of(10);
  rows[4].status = 500;
  const auto rep = walk(rows);
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 5);
  EXPECT_NE(rep.broken->reason.find("field was changed"), std::string::npos);
}

TEST(chain_verifier, deleted_row_is_a_gap) {
  auto rows = chain_of(10);
  rows.erase(rows.begin() + 6);
  const auto rep = walk(rows);
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 7);
  EXPECT_NE(rep.broken->reason.find("missing"), std::string::npos);
}

TEST(chain_verifier, deleted_first_row_is_a_gap) {
  auto rows = chain_of(3);
  rows.erase(rows.begin());
  const auto rep = walk(rows);
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 1);
}

TEST(chain_verifier, swapped_seq_pair_breaks_at_the_first) {
  auto rows = chain_of(10);
  std::swap(rows[3].seq, rows[4].seq);  // rows stay in seq order as read: swap them back in place
  std::swap(rows[3], rows[4]);
  const auto rep = walk(rows);
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 4);
}

TEST(chain_verifier, swapped_contents_break_at_the_first) {
  auto rows = chain_of(10);
  std::swap(rows[3], rows[4]);
  std::swap(rows[3].seq, rows[4].seq);  // seq column kept, everything else swapped
  const auto rep = walk(rows);
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 4);
}

TEST(chain_verifier, inserted_duplicate_seq_is_found) {
  auto rows = chain_of(10);
  auto forged = rows[5];
  forged.host = "innocent.example.com";
  rows.insert(rows.begin() + 6, forged);
  const auto rep = walk(rows);
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 6);
  EXPECT_NE(rep.broken->reason.find("inserted"), std::string::npos);
}

TEST(chain_verifier, rewritten_chain_with_fresh_hashes_fails_the_checkpoint) {
  auto rows = chain_of(10);
  const auto cp = at(rows[7]);
  // An attacker who rewrites a row and recomputes every hash after it.
  rows[2].status = 404;
  std::vector<std::uint8_t> prev = rows[2].prev_hash;
  for (std::size_t i = 2; i < rows.size(); ++i) {
    rows[i].prev_hash = prev;
    rows[i].hash = chain_hash(prev, canonical_encoding(rows[i]));
    prev = rows[i].hash;
  }
  EXPECT_FALSE(walk(rows).broken);
  const auto rep = walk(rows, {cp});
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 8);
}

TEST(chain_verifier, rows_cut_from_the_end_fail_against_the_checkpoint) {
  auto rows = chain_of(10);
  const auto cp = at(rows[9]);
  rows.resize(7);
  EXPECT_FALSE(walk(rows).broken);
  const auto rep = walk(rows, {cp});
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 8);
  EXPECT_NE(rep.broken->reason.find("cut from the end"), std::string::npos);
}

dropped_range drop(const std::vector<audit_record>& rows, std::int64_t from, std::int64_t to) {
  return {from, to, rows[static_cast<std::size_t>(to - 1)].hash, to - from + 1, {}, "audit_log_202401"};
}

TEST(chain_verifier, retention_gap_is_not_a_break) {
  auto rows = chain_of(10);
  const auto d = drop(rows, 1, 4);
  rows.erase(rows.begin(), rows.begin() + 4);
  EXPECT_FALSE(walk(rows, {}, {d}).broken);
  // A deletion after the retained range still is one.
  rows.erase(rows.begin() + 2);
  const auto rep = walk(rows, {}, {d});
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 7);
}

TEST(chain_verifier, two_drops_that_join_up_make_one_prefix) {
  auto rows = chain_of(10);
  const auto jan = drop(rows, 1, 3);
  const auto feb = drop(rows, 4, 6);
  rows.erase(rows.begin(), rows.begin() + 6);
  EXPECT_FALSE(walk(rows, {}, {feb, jan}).broken);
}

TEST(chain_verifier, a_dropped_range_in_the_middle_excuses_nothing) {
  auto rows = chain_of(10);
  const auto middle = drop(rows, 4, 6);  // even one the key signed: retention only takes a chain's start
  rows.erase(rows.begin() + 3, rows.begin() + 6);
  const auto rep = walk(rows, {}, {middle});
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 4);
  EXPECT_NE(rep.broken->reason.find("missing"), std::string::npos) << rep.broken->reason;
}

TEST(chain_verifier, a_gap_reaching_past_the_dropped_prefix_is_a_deletion_from_its_end) {
  auto rows = chain_of(10);
  const auto d = drop(rows, 1, 4);
  rows.erase(rows.begin(), rows.begin() + 6);  // 5 and 6 went too
  const auto rep = walk(rows, {}, {d});
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 5);
  EXPECT_NE(rep.broken->reason.find("rows 5..6 missing"), std::string::npos) << rep.broken->reason;
}

TEST(chain_verifier, the_row_after_a_drop_must_link_to_the_hash_the_drop_recorded) {
  auto rows = chain_of(10);
  auto d = drop(rows, 1, 4);
  d.last_hash = rows[2].hash;  // the drop recorded another head than the row after it links to
  rows.erase(rows.begin(), rows.begin() + 4);
  const auto rep = walk(rows, {}, {d});
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 5);
}

TEST(chain_verifier, a_drop_that_held_fewer_rows_than_its_range_shows_an_earlier_deletion) {
  auto rows = chain_of(10);
  auto d = drop(rows, 1, 4);
  d.rows = 3;  // seq 2 had been deleted before the month expired
  rows.erase(rows.begin(), rows.begin() + 4);
  const auto rep = walk(rows, {}, {d});
  ASSERT_TRUE(rep.broken);
  EXPECT_NE(rep.broken->reason.find("account for 3 row(s)"), std::string::npos) << rep.broken->reason;
}

TEST(chain_verifier, a_row_of_a_kept_month_inside_a_dropped_range_is_counted_not_missing) {
  // Seq 4 was sealed a moment after seq 5 crossed into the next month: the drop of
  // the old month took 1..5 except 4, which stays with the next month.
  auto rows = chain_of(10);
  const dropped_range d{1, 5, rows[4].hash, 4, {}, "audit_log_202401"};
  rows.erase(rows.begin() + 4);
  rows.erase(rows.begin(), rows.begin() + 3);
  EXPECT_FALSE(walk(rows, {}, {d}).broken);
}

TEST(chain_verifier, checkpoint_newer_than_the_cutoff_inside_a_dropped_range_is_a_break) {
  auto rows = chain_of(10);
  auto d = drop(rows, 1, 6);
  const auto now = std::chrono::system_clock::now();
  d.cutoff = now - std::chrono::hours(24 * 90);
  auto cp = at(rows[5]);
  cp.time = now - std::chrono::hours(1);  // seq 6 was on record an hour ago, not months ago
  rows.erase(rows.begin(), rows.begin() + 6);
  const auto rep = walk(rows, {cp}, {d});
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 6);
  EXPECT_NE(rep.broken->reason.find("newer than the retention cutoff"), std::string::npos) << rep.broken->reason;
  // The same checkpoint signed before the cutoff is what an honest drop looks like.
  cp.time = d.cutoff - std::chrono::hours(1);
  EXPECT_FALSE(walk(rows, {cp}, {d}).broken);
}

TEST(chain_verifier, a_chain_retention_emptied_is_intact_up_to_its_newest_checkpoint) {
  const auto rows = chain_of(6);
  const auto d = drop(rows, 1, 6);
  EXPECT_FALSE(walk({}, {at(rows[5])}, {d}).broken);
  checkpoint later = at(rows[5]);
  later.seq = 8;  // two more were written after the drop, and are gone
  const auto rep = walk({}, {later}, {d});
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->seq, 7);
  EXPECT_NE(rep.broken->reason.find("cut from the end"), std::string::npos) << rep.broken->reason;
}

TEST(verify_report, json_shape) {
  verify_report r;
  r.intact = false;
  r.instances.push_back({"a", 3, 3, std::nullopt});
  r.instances.push_back({"b", 2, 5, chain_break{4, "x"}});
  EXPECT_EQ(to_json(r),
            R"({"intact":false,"instances":[{"instance":"a","records":3,"last_seq":3,"break":null},)"
            R"({"instance":"b","records":2,"last_seq":5,"break":{"seq":4,"reason":"x"}}]})");
}

}  // namespace
}  // namespace tollgate::audit
