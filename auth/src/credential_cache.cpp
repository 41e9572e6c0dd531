#include "tollgate/auth/credential_cache.hpp"

#include "tollgate/auth/user_name.hpp"

#include <algorithm>
#include <mutex>

namespace tollgate::auth {
namespace {

// A user who tries more different wrong passwords than this within negative_ttl goes to
// the directory again for the oldest ones; lockout bounds how often that can happen.
constexpr std::size_t max_negatives_per_user = 8;

}  // namespace

credential_cache::credential_cache(const credential_cache_options& opts)
    : opts_(opts), shards_(opts.shards, opts.max_entries) {}

cache_answer credential_cache::lookup(std::string_view key, const password_digest& digest, steady_time now) const {
  const shard& s = shards_.for_key(key);
  std::shared_lock lock(s.mutex);
  const auto it = s.entries.find(key);
  if (it == s.entries.end()) return {};
  const entry& e = it->second;
  auto answer = [&](cache_answer::kind k, bool with_groups) {
    return cache_answer{k, with_groups ? e.groups : std::vector<std::string>{}, e.user,
                        e.user_key == key ? std::string() : e.user_key};
  };
  if (e.has_positive && digest_equal(e.digest, digest)) {
    if (now < e.expires) return answer(cache_answer::kind::hit, true);
    if (now < e.expires + opts_.stale_if_error) return answer(cache_answer::kind::stale, true);
  }
  for (const auto& n : e.negatives)
    if (now < n.expires && digest_equal(n.digest, digest)) return answer(cache_answer::kind::negative, false);
  return answer(cache_answer::kind::miss, false);
}

void credential_cache::name(entry& e, const std::string& user) {
  if (user.empty() || user == e.user) return;
  e.user = user;
  e.user_key = fold_user_name(user);
}

credential_cache::entry& credential_cache::upsert(shard& s, const std::string& key) {
  auto it = s.entries.find(key);
  if (it != s.entries.end()) {
    s.order.splice(s.order.end(), s.order, it->second.order);
    return it->second;
  }
  while (s.entries.size() >= shards_.per_shard_max() && !s.order.empty()) {
    s.entries.erase(s.order.front());
    s.order.pop_front();
  }
  s.order.push_back(key);
  entry& e = s.entries[key];
  e.order = std::prev(s.order.end());
  return e;
}

void credential_cache::store_positive(const std::string& key, const std::string& user, const password_digest& digest,
                                      std::vector<std::string> groups, steady_time now) {
  shard& s = shards_.for_key(key);
  std::unique_lock lock(s.mutex);
  entry& e = upsert(s, key);
  name(e, user);
  e.has_positive = true;
  e.digest = digest;
  e.groups = std::move(groups);
  e.expires = now + opts_.ttl;
  std::erase_if(e.negatives, [&](const negative_entry& n) { return digest_equal(n.digest, digest) || n.expires <= now; });
}

void credential_cache::store_negative(const std::string& key, const std::string& user, const password_digest& digest,
                                      steady_time now) {
  shard& s = shards_.for_key(key);
  std::unique_lock lock(s.mutex);
  entry& e = upsert(s, key);
  name(e, user);
  std::erase_if(e.negatives, [&](const negative_entry& n) { return digest_equal(n.digest, digest) || n.expires <= now; });
  if (e.negatives.size() >= max_negatives_per_user) e.negatives.erase(e.negatives.begin());
  e.negatives.push_back({digest, now + opts_.negative_ttl});
  // A refused password must not keep answering from an old positive entry with the same
  // digest (the password was changed or the account disabled in the directory).
  if (e.has_positive && digest_equal(e.digest, digest)) {
    e.has_positive = false;
    e.groups.clear();
  }
}

std::vector<std::string> credential_cache::flush(std::string_view key) {
  std::vector<std::string> other_names;
  for (shard& s : shards_.all()) {
    std::unique_lock lock(s.mutex);
    std::erase_if(s.entries, [&](const auto& kv) {
      if (kv.first != key && kv.second.user_key != key) return false;
      if (!kv.second.user_key.empty() && kv.second.user_key != key) other_names.push_back(kv.second.user_key);
      s.order.erase(kv.second.order);
      return true;
    });
  }
  return other_names;
}

void credential_cache::flush_all() {
  for (shard& s : shards_.all()) {
    std::unique_lock lock(s.mutex);
    s.entries.clear();
    s.order.clear();
  }
}

std::size_t credential_cache::size() const {
  std::size_t n = 0;
  for (const shard& s : shards_.all()) {
    std::shared_lock lock(s.mutex);
    n += s.entries.size();
  }
  return n;
}

}  // namespace tollgate::auth
