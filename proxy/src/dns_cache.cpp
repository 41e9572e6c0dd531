#include "dns_cache.hpp"

#include <iterator>

namespace tollgate::proxy::detail {

dns_cache::answer dns_cache::find(std::string_view host, clock::time_point now) {
  auto it = map_.find(host);
  if (it == map_.end()) return {};
  if (it->second.expires <= now) {
    map_.erase(it);
    return {};
  }
  if (!it->second.address) return {status::negative, {}};
  return {status::hit, *it->second.address};
}

void dns_cache::store(std::string_view host, const boost::asio::ip::address& a, clock::time_point now) {
  make_room(now);
  map_.insert_or_assign(std::string(host), entry{a, now + positive_ttl});
}

void dns_cache::store_failure(std::string_view host, clock::time_point now) {
  make_room(now);
  map_.insert_or_assign(std::string(host), entry{std::nullopt, now + negative_ttl});
}

void dns_cache::make_room(clock::time_point now) {
  if (map_.size() < max_entries) return;
  std::erase_if(map_, [now](const auto& kv) { return kv.second.expires <= now; });
  if (map_.size() >= max_entries) map_.clear();  // a flood of distinct names: start over
}

}  // namespace tollgate::proxy::detail
