#include "lockout_table.hpp"

#include <algorithm>
#include <mutex>

namespace tollgate::auth::detail {

lockout_table::lockout_table(const options& opts) : opts_(opts), shards_(opts.shards, opts.max_entries) {}

bool lockout_table::saturated(const shard& s, steady_time now) const {
  if (s.entries.size() < shards_.per_shard_max() || !s.counting.empty()) return false;
  return !s.locked.empty() && now < s.entries.find(s.locked.front())->second.locked_until;
}

bool lockout_table::make_room(shard& s, steady_time now) {
  if (s.entries.size() < shards_.per_shard_max()) return true;
  // An expired lock holds nothing worth keeping: its failures were cleared when it locked.
  if (!s.locked.empty()) {
    const auto oldest = s.entries.find(s.locked.front());
    if (oldest->second.locked_until <= now) {
      remove(s, oldest);
      return true;
    }
  }
  if (!s.counting.empty()) {
    remove(s, s.entries.find(s.counting.front()));
    return true;
  }
  return false;
}

void lockout_table::remove(shard& s, entry_map::iterator it) {
  (it->second.locked ? s.locked : s.counting).erase(it->second.pos);
  s.entries.erase(it);
}

lockout_table::state lockout_table::check(std::string_view shard_key, std::string_view key, steady_time now) const {
  if (opts_.threshold == 0) return state::open;
  const shard& s = shards_.for_key(shard_key);
  std::shared_lock lock(s.mutex);
  const auto it = s.entries.find(key);
  if (it == s.entries.end()) return saturated(s, now) ? state::full : state::open;
  return it->second.locked && now < it->second.locked_until ? state::locked : state::open;
}

lockout_table::failure lockout_table::record_failure(std::string_view shard_key, std::string_view key,
                                                     steady_time now) {
  if (opts_.threshold == 0) return {};
  shard& s = shards_.for_key(shard_key);
  std::unique_lock lock(s.mutex);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) {
    if (!make_room(s, now)) return {.untracked = true};
    s.counting.emplace_back(key);
    it = s.entries.emplace(std::string(key), entry{}).first;
    it->second.pos = std::prev(s.counting.end());
  } else if (it->second.locked) {
    if (now < it->second.locked_until) return {};  // already locked: the lock does not grow
    it->second.locked = false;
    s.counting.splice(s.counting.end(), s.locked, it->second.pos);
  } else {
    s.counting.splice(s.counting.end(), s.counting, it->second.pos);
  }
  entry& e = it->second;
  std::erase_if(e.failures, [&](steady_time t) { return t + opts_.window <= now; });
  e.failures.push_back(now);
  if (e.failures.size() < opts_.threshold) return {};
  e.failures.clear();
  e.failures.shrink_to_fit();
  e.locked = true;
  e.locked_until = now + opts_.duration;
  s.locked.splice(s.locked.end(), s.counting, e.pos);
  return {.locked_now = true};
}

void lockout_table::erase(std::string_view shard_key, std::string_view key) {
  if (opts_.threshold == 0) return;
  shard& s = shards_.for_key(shard_key);
  {
    // Nearly every success has nothing to clear: decide that under the shared lock.
    std::shared_lock lock(s.mutex);
    if (s.entries.find(key) == s.entries.end()) return;
  }
  std::unique_lock lock(s.mutex);
  const auto it = s.entries.find(key);
  if (it != s.entries.end()) remove(s, it);
}

void lockout_table::erase_prefix(std::string_view shard_key, std::string_view prefix) {
  shard& s = shards_.for_key(shard_key);
  std::unique_lock lock(s.mutex);
  for (auto it = s.entries.begin(); it != s.entries.end();) {
    const auto next = std::next(it);
    if (std::string_view(it->first).starts_with(prefix)) remove(s, it);
    it = next;
  }
}

void lockout_table::clear() {
  for (shard& s : shards_.all()) {
    std::unique_lock lock(s.mutex);
    s.entries.clear();
    s.counting.clear();
    s.locked.clear();
  }
}

std::size_t lockout_table::size() const {
  std::size_t n = 0;
  for (const shard& s : shards_.all()) {
    std::shared_lock lock(s.mutex);
    n += s.entries.size();
  }
  return n;
}

}  // namespace tollgate::auth::detail
