#include "record_queue.hpp"

#include "test_records.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace tollgate::audit {
namespace {

using namespace std::chrono_literals;

TEST(record_queue, takes_a_full_batch_at_once) {
  record_queue q(100);
  for (int i = 0; i < 5; ++i) q.push(test::sample_record(i));
  const auto t0 = std::chrono::steady_clock::now();
  const auto got = q.take(3, 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].host, test::sample_record(0).host);
  EXPECT_EQ(q.size(), 2u);
}

TEST(record_queue, partial_batch_after_the_wait) {
  record_queue q(100);
  q.push(test::sample_record(1));
  const auto got = q.take(10, 20ms);
  EXPECT_EQ(got.size(), 1u);
}

TEST(record_queue, producer_completing_a_batch_wakes_the_consumer) {
  record_queue q(100);
  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);
    for (int i = 0; i < 4; ++i) q.push(test::sample_record(i));
  });
  const auto t0 = std::chrono::steady_clock::now();
  const auto got = q.take(4, 10s);
  producer.join();
  EXPECT_EQ(got.size(), 4u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(record_queue, accepts_past_capacity_and_reports_it) {
  record_queue q(2);
  EXPECT_FALSE(q.at_capacity());
  q.push(test::sample_record(1));
  q.push(test::sample_record(2));
  EXPECT_TRUE(q.at_capacity());
  EXPECT_TRUE(q.push(test::sample_record(3)));  // an admitted request's record is never refused
  EXPECT_EQ(q.size(), 3u);
}

// A record with a 16 KiB path and user agent is not "one record" of 100,000: it counts
// for its size, so a queue of such records reaches its byte bound long before its count.
TEST(record_queue, large_records_count_for_their_size) {
  auto large = test::sample_record(1);
  large.path = "/" + std::string(16 * 1024, 'p');
  large.user_agent = std::string(16 * 1024, 'u');
  EXPECT_GT(record_bytes(large), 32u * 1024);
  EXPECT_LT(record_bytes(test::sample_record(1)), 2u * 1024);

  record_queue q(100'000, 256 * 1024);
  int pushed = 0;
  while (!q.at_capacity() && pushed < 100) {
    q.push(large);
    ++pushed;
  }
  EXPECT_TRUE(q.at_capacity());
  EXPECT_LE(pushed, 8);  // 256 KiB / (32 KiB and change)
  EXPECT_GE(q.bytes(), 256u * 1024);
  EXPECT_TRUE(q.behind());
}

TEST(record_queue, taking_records_gives_their_bytes_back) {
  record_queue q(100'000, 1 << 20);
  for (int i = 0; i < 10; ++i) q.push(test::sample_record(i));
  const auto full = q.bytes();
  EXPECT_GT(full, 10 * sizeof(audit_record) - 1);
  q.take(4, 0s);
  EXPECT_LT(q.bytes(), full);
  EXPECT_GT(q.bytes(), 0u);
  q.take(100, 0s);
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_FALSE(q.at_capacity());
}

TEST(record_queue, close_refuses_pushes_and_ends_waiting) {
  record_queue q(10);
  q.push(test::sample_record(1));
  q.close();
  EXPECT_FALSE(q.push(test::sample_record(2)));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(q.take(10, 10s).size(), 1u);
  EXPECT_TRUE(q.take(10, 10s).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(record_queue, many_producers_lose_nothing) {
  record_queue q(1'000'000);
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t)
    producers.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) q.push(test::sample_record(i));
    });
  std::size_t taken = 0;
  while (taken < 20000) taken += q.take(1000, 50ms).size();
  for (auto& p : producers) p.join();
  EXPECT_EQ(taken, 20000u);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace tollgate::audit
