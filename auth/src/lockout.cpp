#include "tollgate/auth/lockout.hpp"

#include <algorithm>
#include <mutex>

namespace tollgate::auth {

lockout_tracker::lockout_tracker(const lockout_options& opts) : opts_(opts), per_shard_max_(0) {
  opts_.shards = std::clamp<std::size_t>(opts_.shards, 1, std::max<std::size_t>(opts_.max_entries, 1));
  per_shard_max_ = std::max<std::size_t>(1, opts_.max_entries / opts_.shards);
  shards_ = std::make_unique<shard[]>(opts_.shards);
}

std::string lockout_tracker::fold_user(std::string_view user) {
  std::string out(user);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The key is "<folded user>\0<family><address bytes>": the user part is a prefix, so all
// of one user's pairs live in one shard and forget_user() finds them there.
std::string lockout_tracker::make_key(std::string_view user, const boost::asio::ip::address& client) {
  std::string key = fold_user(user);
  key += '\0';
  auto v4 = client.is_v4() ? client.to_v4() : boost::asio::ip::address_v4{};
  const bool mapped = client.is_v6() && client.to_v6().is_v4_mapped();
  if (mapped) v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, client.to_v6());
  if (client.is_v4() || mapped) {
    const auto b = v4.to_bytes();
    key += '4';
    key.append(reinterpret_cast<const char*>(b.data()), b.size());
  } else {
    const auto b = client.to_v6().to_bytes();
    key += '6';
    key.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  return key;
}

lockout_tracker::shard& lockout_tracker::shard_for(std::string_view folded_user) const {
  return shards_[string_hash{}(folded_user) % opts_.shards];
}

bool lockout_tracker::locked(std::string_view user, const boost::asio::ip::address& client, steady_time now) const {
  if (opts_.threshold == 0) return false;
  const auto key = make_key(user, client);
  const shard& s = shard_for(std::string_view(key).substr(0, key.find('\0')));
  std::shared_lock lock(s.mutex);
  const auto it = s.entries.find(key);
  return it != s.entries.end() && now < it->second.locked_until;
}

bool lockout_tracker::record_failure(std::string_view user, const boost::asio::ip::address& client,
                                     steady_time now) {
  if (opts_.threshold == 0) return false;
  auto key = make_key(user, client);
  shard& s = shard_for(std::string_view(key).substr(0, key.find('\0')));
  std::unique_lock lock(s.mutex);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) {
    while (s.entries.size() >= per_shard_max_ && !s.order.empty()) {
      s.entries.erase(s.order.front());
      s.order.pop_front();
    }
    s.order.push_back(key);
    it = s.entries.emplace(std::move(key), entry{}).first;
    it->second.order = std::prev(s.order.end());
  } else {
    s.order.splice(s.order.end(), s.order, it->second.order);
  }
  entry& e = it->second;
  if (now < e.locked_until) return false;  // already locked: the lock does not grow
  std::erase_if(e.failures, [&](steady_time t) { return t + opts_.window <= now; });
  e.failures.push_back(now);
  if (e.failures.size() < opts_.threshold) return false;
  e.failures.clear();
  e.locked_until = now + opts_.duration;
  return true;
}

void lockout_tracker::record_success(std::string_view user, const boost::asio::ip::address& client) {
  if (opts_.threshold == 0) return;
  const auto key = make_key(user, client);
  shard& s = shard_for(std::string_view(key).substr(0, key.find('\0')));
  {
    // Nearly every success has nothing to clear: decide that under the shared lock.
    std::shared_lock lock(s.mutex);
    if (s.entries.find(key) == s.entries.end()) return;
  }
  std::unique_lock lock(s.mutex);
  const auto it = s.entries.find(key);
  if (it == s.entries.end()) return;
  s.order.erase(it->second.order);
  s.entries.erase(it);
}

void lockout_tracker::forget_user(std::string_view user) {
  std::string prefix = fold_user(user);
  shard& s = shard_for(prefix);
  prefix += '\0';
  std::unique_lock lock(s.mutex);
  for (auto it = s.entries.begin(); it != s.entries.end();) {
    if (std::string_view(it->first).starts_with(prefix)) {
      s.order.erase(it->second.order);
      it = s.entries.erase(it);
    } else {
      ++it;
    }
  }
}

void lockout_tracker::clear() {
  for (std::size_t i = 0; i < opts_.shards; ++i) {
    std::unique_lock lock(shards_[i].mutex);
    shards_[i].entries.clear();
    shards_[i].order.clear();
  }
}

std::size_t lockout_tracker::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < opts_.shards; ++i) {
    std::shared_lock lock(shards_[i].mutex);
    n += shards_[i].entries.size();
  }
  return n;
}

}  // namespace tollgate::auth
