#include "spool.hpp"

#include "test_records.hpp"
#include "tollgate/audit/canonical.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tollgate::audit {
namespace {

namespace fs = std::filesystem;

class spool_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tollgate-spool-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<spool> open(std::uint64_t max = 1 << 20, std::uint64_t rotate = 64ull << 20) {
    auto r = spool::open(dir_.string(), "proxy/a", max, rotate);
    EXPECT_TRUE(r) << r.error().message();
    return r ? std::move(*r) : nullptr;
  }

  std::vector<audit_record> batch(int from, int count, std::size_t pad = 0) {
    std::vector<audit_record> out;
    for (int i = 0; i < count; ++i) {
      auto r = test::sample_record(from + i);
      r.user_agent += std::string(pad, 'x');
      sanitize(r);
      chain_append(head_, "proxy/a", r);
      out.push_back(std::move(r));
    }
    return out;
  }

  std::vector<fs::path> spool_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".spool") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  chain_head head_;
};

TEST_F(spool_test, replays_what_was_appended_in_order) {
  auto s = open();
  const auto b1 = batch(1, 3);
  const auto b2 = batch(4, 2);
  ASSERT_FALSE(s->append(b1));
  ASSERT_FALSE(s->append(b2));
  EXPECT_EQ(s->pending_records(), 5u);
  auto got = s->peek(4);
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].seq, b1[i].seq);
    EXPECT_EQ(got[i].hash, b1[i].hash);
    EXPECT_EQ(got[i].prev_hash, b1[i].prev_hash);
    EXPECT_EQ(canonical_encoding(got[i]), canonical_encoding(b1[i]));
  }
  s->consume();
  got = s->peek(10);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, 5);
  s->consume();
  EXPECT_FALSE(s->has_pending());
  EXPECT_EQ(s->bytes(), 0u);
  EXPECT_TRUE(spool_files().empty());
}

TEST_F(spool_test, survives_reopening) {
  {
    auto s = open();
    ASSERT_FALSE(s->append(batch(1, 4)));
  }
  auto s = open();
  EXPECT_EQ(s->pending_records(), 4u);
  EXPECT_EQ(s->head().seq, 4);
  EXPECT_EQ(s->head().hash, head_.hash);
  EXPECT_EQ(s->peek(10).size(), 4u);
}

TEST_F(spool_test, unconsumed_peek_is_replayed_again) {
  auto s = open();
  ASSERT_FALSE(s->append(batch(1, 3)));
  EXPECT_EQ(s->peek(2).size(), 2u);  // e.g. the PostgreSQL write failed: no consume()
  const auto again = s->peek(10);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].seq, 1);
}

TEST_F(spool_test, torn_tail_is_dropped_and_logged) {
  {
    auto s = open();
    ASSERT_FALSE(s->append(batch(1, 3)));
  }
  const auto file = spool_files().at(0);
  const auto good_size = fs::file_size(file);
  {
    // A crash in the middle of the next batch: a header and half a payload.
    std::ofstream out(file, std::ios::binary | std::ios::app);
    const std::string partial("\x00\x00\x01\x00\x12\x34\x56\x78partial-payload", 23);
    out << partial;
  }
  auto s = open();
  EXPECT_EQ(s->pending_records(), 3u);
  EXPECT_EQ(s->dropped_bytes(), 23u);
  EXPECT_EQ(fs::file_size(file), good_size);
  EXPECT_EQ(s->head().seq, 3);
  EXPECT_EQ(s->peek(10).size(), 3u);
}

TEST_F(spool_test, checksum_catches_a_corrupt_last_record) {
  {
    auto s = open();
    ASSERT_FALSE(s->append(batch(1, 3)));
  }
  const auto file = spool_files().at(0);
  {
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file)) - 40);
    f.put('\x5a');
  }
  auto s = open();
  EXPECT_EQ(s->pending_records(), 2u);
  EXPECT_GT(s->dropped_bytes(), 0u);
  EXPECT_EQ(s->head().seq, 2);
}

// Where each frame of a spool file starts.
std::vector<std::uint64_t> frame_offsets(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::uint64_t> out;
  std::uint64_t at = 0;
  unsigned char hdr[8];
  while (in.read(reinterpret_cast<char*>(hdr), 8)) {
    out.push_back(at);
    const std::uint64_t len = std::uint64_t{hdr[0]} << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
    at += 8 + len;
    in.seekg(static_cast<std::streamoff>(at));
  }
  return out;
}

void flip_byte(const fs::path& file, std::uint64_t at) {
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(static_cast<std::streamoff>(at));
  const char c = static_cast<char>(f.get());
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x5a));
}

std::vector<std::int64_t> seqs(const std::vector<audit_record>& records) {
  std::vector<std::int64_t> out;
  for (const auto& r : records) out.push_back(r.seq);
  return out;
}

TEST_F(spool_test, a_bad_frame_in_the_middle_quarantines_the_file_and_keeps_every_good_frame) {
  {
    auto s = open();
    ASSERT_FALSE(s->append(batch(1, 3)));
    ASSERT_FALSE(s->append(batch(4, 3)));
  }
  const auto file = spool_files().at(0);
  const auto original = fs::file_size(file);
  const auto frames = frame_offsets(file);
  ASSERT_EQ(frames.size(), 6u);
  flip_byte(file, frames[1] + 40);  // inside seq 2's payload: good frames before and after it

  auto s = open();
  EXPECT_EQ(s->quarantined_files(), 1u);
  ASSERT_TRUE(fs::exists(file.string() + ".quarantined"));
  EXPECT_EQ(fs::file_size(file.string() + ".quarantined"), original);  // kept whole for an operator
  EXPECT_EQ(s->pending_records(), 5u);
  EXPECT_EQ(s->head().seq, 6);
  EXPECT_EQ(seqs(s->peek(10)), (std::vector<std::int64_t>{1, 3, 4, 5, 6}));
}

TEST_F(spool_test, salvaged_frames_are_replayed_once_and_the_quarantine_is_still_counted) {
  {
    auto s = open();
    ASSERT_FALSE(s->append(batch(1, 6)));
  }
  const auto file = spool_files().at(0);
  flip_byte(file, frame_offsets(file)[2] + 40);
  {
    auto s = open();
    EXPECT_EQ(s->peek(10).size(), 5u);
    s->consume();
    EXPECT_FALSE(s->has_pending());
  }
  auto s = open();  // nothing comes back, and the quarantined file is not read as a spool file
  EXPECT_FALSE(s->has_pending());
  EXPECT_TRUE(s->peek(10).empty());
  EXPECT_EQ(s->quarantined_files(), 1u);
  EXPECT_TRUE(fs::exists(file.string() + ".quarantined"));
}

TEST_F(spool_test, a_frame_gone_bad_during_replay_quarantines_the_file_and_replays_the_rest) {
  auto s = open();
  ASSERT_FALSE(s->append(batch(1, 6)));
  ASSERT_EQ(seqs(s->peek(2)), (std::vector<std::int64_t>{1, 2}));
  s->consume();  // 1 and 2 are in PostgreSQL
  const auto file = spool_files().at(0);
  flip_byte(file, frame_offsets(file)[3] + 40);  // seq 4 goes bad on disk
  EXPECT_EQ(seqs(s->peek(10)), (std::vector<std::int64_t>{3}));
  s->consume();
  EXPECT_EQ(seqs(s->peek(10)), (std::vector<std::int64_t>{5, 6}));  // not 1 and 2 again
  s->consume();
  EXPECT_FALSE(s->has_pending());
  EXPECT_EQ(s->quarantined_files(), 1u);
  EXPECT_TRUE(fs::exists(file.string() + ".quarantined"));
  // Appends go on in a file of their own.
  ASSERT_FALSE(s->append(batch(7, 1)));
  EXPECT_EQ(seqs(s->peek(10)), (std::vector<std::int64_t>{7}));
}

TEST_F(spool_test, refuses_past_max_bytes_unless_told) {
  auto s = open(1 << 20);
  std::error_code ec;
  int appended = 0;
  while (!(ec = s->append(batch(1 + appended * 10, 10, 8000)))) ++appended;
  EXPECT_EQ(ec, std::make_error_code(std::errc::no_space_on_device));
  EXPECT_LE(s->bytes(), s->max_bytes());
  EXPECT_EQ(s->pending_records(), static_cast<std::uint64_t>(appended) * 10);
  EXPECT_FALSE(s->append(batch(1000, 10, 8000), /*ignore_limit=*/true));
  EXPECT_GT(s->bytes(), s->max_bytes());
}

TEST_F(spool_test, rotates_files_and_removes_delivered_ones) {
  auto s = open(64ull << 20, 64 << 10);
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(s->append(batch(1 + i * 10, 10, 1000)));
  const auto files = spool_files().size();
  EXPECT_GE(files, 2u);
  std::int64_t expect = 1;
  while (s->has_pending()) {
    const auto got = s->peek(7);
    ASSERT_FALSE(got.empty());
    for (const auto& r : got) EXPECT_EQ(r.seq, expect++);
    s->consume();
  }
  EXPECT_EQ(expect, 101);
  EXPECT_TRUE(spool_files().empty());
  EXPECT_EQ(s->bytes(), 0u);
}

TEST_F(spool_test, second_process_for_the_same_instance_is_refused) {
  auto s = open();
  auto again = spool::open(dir_.string(), "proxy/a", 1 << 20);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, error::spool_in_use);
  EXPECT_NE(again.error().message().find("in use"), std::string::npos);
}

TEST_F(spool_test, saved_head_round_trips) {
  auto s = open();
  batch(1, 2);
  s->save_head(head_);
  EXPECT_EQ(s->saved_head().seq, 2);
  EXPECT_EQ(s->saved_head().hash, head_.hash);
}

TEST(crc32c, known_answer) {
  // The CRC-32C check value (RFC 3720, iSCSI).
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
}

}  // namespace
}  // namespace tollgate::audit
