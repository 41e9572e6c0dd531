#include "copy_lanes.hpp"

#include "test_records.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>

namespace tollgate::audit {
namespace {

// What the fake sessions did, in order, and what they are told to do. A batch is
// named by its first record's seq.
struct script {
  std::mutex m;
  std::condition_variable changed;
  std::vector<std::string> log;
  std::set<std::int64_t> fail_stage, fail_commit, hold_stage;
  int staging_now = 0;
  int most_staging_at_once = 0;

  void note(const std::string& what) {
    {
      std::lock_guard lock(m);
      log.push_back(what);
    }
    changed.notify_all();
  }
  void release(std::int64_t batch) {
    {
      std::lock_guard lock(m);
      hold_stage.erase(batch);
    }
    changed.notify_all();
  }
  // Waits (bounded: a broken lane must fail the test, not hang it) until `pred` holds.
  template <class Pred>
  bool wait_for(Pred pred) {
    std::unique_lock lock(m);
    return changed.wait_for(lock, std::chrono::seconds(10), pred);
  }
  std::vector<std::string> events() {
    std::lock_guard lock(m);
    return log;
  }
};

class fake_session final : public staged_writer {
 public:
  explicit fake_session(script& s) : s_(s) {}
  pg::result<void> stage(std::span<const audit_record> batch) override {
    const auto id = batch.front().seq;
    {
      std::unique_lock lock(s_.m);
      s_.most_staging_at_once = std::max(s_.most_staging_at_once, ++s_.staging_now);
      s_.changed.notify_all();
      s_.changed.wait(lock, [&] { return !s_.hold_stage.contains(id); });
      --s_.staging_now;
    }
    staged_ = id;
    if (s_.fail_stage.contains(id)) return pg::failure{pg::error::query_failed, "stage failed: " + std::to_string(id)};
    s_.note("stage " + std::to_string(id));
    return {};
  }
  pg::result<void> commit() override {
    if (s_.fail_commit.contains(staged_))
      return pg::failure{pg::error::commit_in_doubt, "connection lost at commit: " + std::to_string(staged_)};
    s_.note("commit " + std::to_string(staged_));
    return {};
  }
  void abort() noexcept override { s_.note("abort " + std::to_string(staged_)); }

 private:
  script& s_;
  std::int64_t staged_ = -1;
};

// Declared after the lanes: a failed assertion must not leave a copy held forever,
// or the lanes' destructor would wait for it.
struct release_on_exit {
  script& s;
  ~release_on_exit() {
    {
      std::lock_guard lock(s.m);
      s.hold_stage.clear();
    }
    s.changed.notify_all();
  }
};

std::vector<std::unique_ptr<staged_writer>> sessions(script& s, int n) {
  std::vector<std::unique_ptr<staged_writer>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<fake_session>(s));
  return out;
}

std::vector<audit_record> batch(std::int64_t first, int size = 3) {
  std::vector<audit_record> b;
  for (int i = 0; i < size; ++i) {
    b.push_back(test::sample_record(static_cast<int>(first) + i));
    b.back().seq = first + i;
  }
  return b;
}

std::vector<std::string> committed(const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    if (e.starts_with("commit ")) out.push_back(e);
  return out;
}

TEST(copy_lanes, stages_at_once_and_commits_in_submission_order) {
  script s;
  s.hold_stage = {1};  // the first batch's copy is slow
  copy_lanes lanes(sessions(s, 2));
  release_on_exit guard{s};
  lanes.submit(batch(1));
  lanes.submit(batch(4));
  // The second copy completes while the first is still held...
  ASSERT_TRUE(s.wait_for([&] {
    return std::find(s.log.begin(), s.log.end(), "stage 4") != s.log.end();
  }));
  // ...but is not committed before it: the table never holds 4-6 without 1-3.
  EXPECT_TRUE(committed(s.events()).empty());
  EXPECT_FALSE(lanes.has_room());
  s.release(1);

  const auto done = lanes.settle();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].batch.front().seq, 1);
  EXPECT_EQ(done[1].batch.front().seq, 4);
  EXPECT_TRUE(done[0].committed);
  EXPECT_TRUE(done[1].committed);
  EXPECT_EQ(committed(s.events()), (std::vector<std::string>{"commit 1", "commit 4"}));
  EXPECT_EQ(lanes.in_flight(), 0u);
  EXPECT_TRUE(lanes.has_room());
}

TEST(copy_lanes, a_failed_copy_rolls_back_every_batch_behind_it) {
  script s;
  s.fail_stage = {4};
  s.hold_stage = {1, 4, 7};
  copy_lanes lanes(sessions(s, 3));
  release_on_exit guard{s};
  lanes.submit(batch(1));
  lanes.submit(batch(4));
  lanes.submit(batch(7));
  s.release(7);  // the newest copy finishes first and must still not commit
  ASSERT_TRUE(s.wait_for([&] { return std::find(s.log.begin(), s.log.end(), "stage 7") != s.log.end(); }));
  s.release(4);
  s.release(1);

  const auto done = lanes.settle();
  ASSERT_EQ(done.size(), 3u);
  EXPECT_TRUE(done[0].committed);
  EXPECT_FALSE(done[1].committed);
  EXPECT_EQ(done[1].error, "stage failed: 4");
  EXPECT_FALSE(done[2].committed);
  EXPECT_EQ(done[2].error, "rolled back because an earlier batch failed");
  EXPECT_EQ(done[2].batch.size(), 3u);  // handed back whole, for the spool
  const auto events = s.events();
  EXPECT_EQ(committed(events), (std::vector<std::string>{"commit 1"}));
  EXPECT_NE(std::find(events.begin(), events.end(), "abort 7"), events.end());
}

TEST(copy_lanes, a_commit_of_unknown_fate_also_stops_the_batches_behind_it) {
  script s;
  s.fail_commit = {1};
  copy_lanes lanes(sessions(s, 2));
  release_on_exit guard{s};
  lanes.submit(batch(1));
  lanes.submit(batch(4));
  const auto done = lanes.settle();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_FALSE(done[0].committed);
  EXPECT_EQ(done[0].error, "connection lost at commit: 1");
  EXPECT_FALSE(done[1].committed);
  EXPECT_TRUE(committed(s.events()).empty());
}

TEST(copy_lanes, once_the_failed_batches_are_collected_the_next_one_commits) {
  script s;
  s.fail_stage = {1};
  copy_lanes lanes(sessions(s, 2));
  release_on_exit guard{s};
  lanes.submit(batch(1));
  lanes.submit(batch(4));
  auto done = lanes.settle();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_FALSE(done[1].committed);

  // The caller spooled them; PostgreSQL is back.
  lanes.submit(batch(7));
  done = lanes.settle();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].committed);
  EXPECT_EQ(committed(s.events()), (std::vector<std::string>{"commit 7"}));
}

TEST(copy_lanes, collect_returns_only_the_decided_prefix) {
  script s;
  s.hold_stage = {1};
  copy_lanes lanes(sessions(s, 2));
  release_on_exit guard{s};
  lanes.submit(batch(1));
  lanes.submit(batch(4));
  ASSERT_TRUE(s.wait_for([&] { return std::find(s.log.begin(), s.log.end(), "stage 4") != s.log.end(); }));
  EXPECT_TRUE(lanes.collect(false).empty());  // 4 is staged but waits for 1
  EXPECT_EQ(lanes.in_flight(), 2u);
  s.release(1);
  const auto first = lanes.collect(true);
  ASSERT_GE(first.size(), 1u);
  EXPECT_EQ(first[0].batch.front().seq, 1);
  const auto rest = lanes.settle();
  EXPECT_EQ(first.size() + rest.size(), 2u);
}

TEST(copy_lanes, one_lane_is_one_batch_at_a_time) {
  script s;
  copy_lanes lanes(sessions(s, 1));
  release_on_exit guard{s};
  lanes.submit(batch(1));
  const auto done = lanes.collect(true);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].committed);
  EXPECT_TRUE(lanes.has_room());
  EXPECT_EQ(s.most_staging_at_once, 1);
}

TEST(copy_lanes, submit_without_room_is_refused) {
  script s;
  s.hold_stage = {1};
  copy_lanes lanes(sessions(s, 1));
  release_on_exit guard{s};
  lanes.submit(batch(1));
  EXPECT_FALSE(lanes.has_room());
  EXPECT_THROW(lanes.submit(batch(4)), std::logic_error);
  s.release(1);
  EXPECT_EQ(lanes.settle().size(), 1u);
}

TEST(copy_lanes, destruction_lets_batches_in_flight_land) {
  script s;
  {
    copy_lanes lanes(sessions(s, 2));
  release_on_exit guard{s};
    lanes.submit(batch(1));
    lanes.submit(batch(4));
  }
  EXPECT_EQ(committed(s.events()), (std::vector<std::string>{"commit 1", "commit 4"}));
}

TEST(copy_lanes, needs_a_writer) {
  EXPECT_THROW(copy_lanes({}), std::invalid_argument);
}

}  // namespace
}  // namespace tollgate::audit
