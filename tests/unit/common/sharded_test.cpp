#include "tollgate/common/sharded.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tollgate {
namespace {

struct counting_shard {
  int hits = 0;
};

TEST(sharded, splits_the_entry_bound_evenly) {
  const sharded<counting_shard> s(16, 100'000);
  EXPECT_EQ(s.count(), 16u);
  EXPECT_EQ(s.per_shard_max(), 6'250u);
  EXPECT_EQ(s.all().size(), 16u);
}

TEST(sharded, never_has_more_shards_than_entries_nor_none) {
  EXPECT_EQ((sharded<counting_shard>(16, 4).count()), 4u);
  EXPECT_EQ((sharded<counting_shard>(16, 4).per_shard_max()), 1u);
  EXPECT_EQ((sharded<counting_shard>(0, 100).count()), 1u);
  EXPECT_EQ((sharded<counting_shard>(8, 0).count()), 1u);
  EXPECT_EQ((sharded<counting_shard>(8, 0).per_shard_max()), 1u);
}

TEST(sharded, a_key_always_lands_in_the_same_shard_and_keys_spread) {
  const sharded<counting_shard> s(8, 1'000);
  EXPECT_EQ(&s.for_key("alice"), &s.for_key(std::string("alice")));
  std::set<const counting_shard*> used;
  for (int i = 0; i < 200; ++i) used.insert(&s.for_key("user" + std::to_string(i)));
  EXPECT_EQ(used.size(), 8u);
}

TEST(sharded, scans_reach_every_shard) {
  const sharded<counting_shard> s(4, 100);
  for (int i = 0; i < 100; ++i) ++s.for_key("k" + std::to_string(i)).hits;
  int total = 0;
  for (const auto& shard : s.all()) total += shard.hits;
  EXPECT_EQ(total, 100);
}

TEST(string_map, is_searched_by_string_view) {
  string_map<int> m{{"example.com", 1}};
  const std::string_view key = "example.com";
  ASSERT_NE(m.find(key), m.end());
  EXPECT_EQ(m.find(key)->second, 1);
  EXPECT_EQ(m.find(std::string_view("other")), m.end());
}

}  // namespace
}  // namespace tollgate
