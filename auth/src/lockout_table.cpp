#include "lockout_table.hpp"

#include <algorithm>
#include <mutex>

namespace tollgate::auth::detail {

lockout_table::lockout_table(const options& opts) : opts_(opts), per_shard_max_(0) {
  opts_.shards = std::clamp<std::size_t>(opts_.shards, 1, std::max<std::size_t>(opts_.max_entries, 1));
  per_shard_max_ = std::max<std::size_t>(1, opts_.max_entries / opts_.shards);
  shards_ = std::make_unique<shard[]>(opts_.shards);
}

lockout_table::shard& lockout_table::shard_for(std::string_view shard_key) const {
  return shards_[string_hash{}(shard_key) % opts_.shards];
}

bool lockout_table::saturated(const shard& s, steady_time now) const {
  if (s.entries.size() < per_shard_max_ || !s.counting.empty()) return false;
  return !s.locked.empty() && now < s.entries.find(s.locked.front())->second.locked_until;
}

bool lockout_table::make_room(shard& s, steady_time now) {
  if (s.entries.size() < per_shard_max_) return true;
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
  const shard& s = shard_for(shard_key);
  std::shared_lock lock(s.mutex);
  const auto it = s.entries.find(key);
  if (it == s.entries.end()) return saturated(s, now) ? state::full : state::open;
  return it->second.locked && now < it->second.locked_until ? state::locked : state::open;
}

lockout_table::failure lockout_table::record_failure(std::string_view shard_key, std::string_view key,
                                                     steady_time now) {
  if (opts_.threshold == 0) return {};
  shard& s = shard_for(shard_key);
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
  shard& s = shard_for(shard_key);
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
  shard& s = shard_for(shard_key);
  std::unique_lock lock(s.mutex);
  for (auto it = s.entries.begin(); it != s.entries.end();) {
    const auto next = std::next(it);
    if (std::string_view(it->first).starts_with(prefix)) remove(s, it);
    it = next;
  }
}

void lockout_table::clear() {
  for (std::size_t i = 0; i < opts_.shards; ++i) {
    std::unique_lock lock(shards_[i].mutex);
    shards_[i].entries.clear();
    shards_[i].counting.clear();
    shards_[i].locked.clear();
  }
}

std::size_t lockout_table::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < opts_.shards; ++i) {
    std::shared_lock lock(shards_[i].mutex);
    n += shards_[i].entries.size();
  }
  return n;
}

}  // namespace tollgate::auth::detail
