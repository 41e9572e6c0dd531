#pragma once
#include "tollgate/common/clock.hpp"
#include "tollgate/common/sharded.hpp"

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tollgate::auth::detail {

/// Failure counters under string keys, each with a sliding window and a lock: the engine
/// behind lockout_tracker, which keeps one table for (user, client) pairs and one for users.
///
/// Bounded: at most `max_entries` keys (split evenly over the shards). When a new key needs
/// room, an expired lock goes first, then the least recently failed counter; an active lock
/// is never evicted. A shard full of active locks takes no new key: check() answers `full`
/// for keys it does not hold, and the caller refuses them rather than forget a lock.
/// Thread-safe; time is passed in. `threshold` 0 disables the table (always open).
class lockout_table {
 public:
  struct options {
    unsigned threshold = 10;
    std::chrono::milliseconds window{300'000};
    std::chrono::milliseconds duration{900'000};
    std::size_t max_entries = 100'000;
    std::size_t shards = 16;
  };
  enum class state { open, locked, full };
  struct failure {
    bool locked_now = false;  ///< this failure reached the threshold
    bool untracked = false;   ///< no room: the failure could not be counted
  };

  explicit lockout_table(const options& opts);

  /// `shard_key` picks the shard: a prefix of `key`, so keys sharing it can be erased
  /// together (erase_prefix).
  state check(std::string_view shard_key, std::string_view key, steady_time now) const;
  failure record_failure(std::string_view shard_key, std::string_view key, steady_time now);
  void erase(std::string_view shard_key, std::string_view key);
  void erase_prefix(std::string_view shard_key, std::string_view prefix);
  void clear();
  std::size_t size() const;
  bool enabled() const { return opts_.threshold > 0; }

 private:
  struct entry {
    std::vector<steady_time> failures;  // within the window, oldest first, fewer than threshold
    steady_time locked_until{};
    bool locked = false;                // in shard::locked (possibly expired), else in shard::counting
    std::list<std::string>::iterator pos;
  };
  using entry_map = string_map<entry>;
  struct shard {
    mutable std::shared_mutex mutex;
    entry_map entries;
    std::list<std::string> counting;  // unlocked, least recently failed first: evicted first
    std::list<std::string> locked;    // locked, oldest lock first (all locks last `duration`)
  };

  bool saturated(const shard& s, steady_time now) const;  // no key can be added
  bool make_room(shard& s, steady_time now);              // evicts one entry if needed
  void remove(shard& s, entry_map::iterator it);

  options opts_;
  sharded<shard> shards_;
};

}  // namespace tollgate::auth::detail
