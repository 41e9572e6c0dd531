#pragma once
#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tollgate {

/// Hashes std::string and std::string_view alike, so a map keyed by std::string can be
/// searched with a string_view without building a string on the request path.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// An unordered map from std::string, searchable by string_view.
template <class Value>
using string_map = std::unordered_map<std::string, Value, string_hash, std::equal_to<>>;

/// A fixed number of shards, each a `Shard` the caller locks and bounds itself, picked by
/// the hash of a string key: the frame of the bounded, sharded tables (credential cache,
/// lockout counters) whose lookups must scale across io threads. What a shard holds and
/// how it evicts stays with its owner; this keeps the count, the per-shard bound and the
/// key-to-shard mapping in one place.
template <class Shard>
class sharded {
 public:
  /// `shards` is clamped to 1..max(max_entries, 1); each shard may hold
  /// max_entries / shards entries (at least one).
  sharded(std::size_t shards, std::size_t max_entries)
      : count_(std::clamp<std::size_t>(shards, 1, std::max<std::size_t>(max_entries, 1))),
        per_shard_max_(std::max<std::size_t>(1, max_entries / count_)),
        shards_(std::make_unique<Shard[]>(count_)) {}

  /// The shard that holds `key`. The shards are mutable through a const table (they carry
  /// their own locks), as a const lookup still takes a shard's lock.
  Shard& for_key(std::string_view key) const { return shards_[string_hash{}(key) % count_]; }
  /// Every shard, for scans (flush, clear, size).
  std::span<Shard> all() const { return {shards_.get(), count_}; }

  std::size_t count() const { return count_; }
  std::size_t per_shard_max() const { return per_shard_max_; }

 private:
  std::size_t count_;
  std::size_t per_shard_max_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace tollgate
