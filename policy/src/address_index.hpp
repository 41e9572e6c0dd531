#pragma once
// Private to the policy engine: CIDR entries as sorted, non-overlapping address
// intervals. CIDR blocks never partly overlap (they nest or are disjoint), so the
// networks covering any one interval form a chain of at most 33 (IPv4) or 129
// (IPv6) blocks; a lookup is one binary search plus that chain.
#include "host_pattern.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <tuple>
#include <vector>

namespace tollgate::policy::detail {

class address_index {
 public:
  /// Records that the rule at `rule_pos` (its place in decision order) names network `n`.
  void add(const ip_network& n, std::uint32_t rule_pos);
  /// Builds the intervals; call once after every add().
  void build();

  /// Calls `visit(std::span<const std::uint32_t>)` with the sorted rule positions of
  /// each network containing the address `key` (an address_key()).
  template <class Visit>
  void for_each_match(const ip_network& key, Visit&& visit) const {
    const family& f = key.v6 ? v6_ : v4_;
    if (f.starts.empty()) return;
    auto it = std::upper_bound(f.starts.begin(), f.starts.end(), key.lo);
    if (it == f.starts.begin()) return;
    const auto interval = static_cast<std::size_t>(it - f.starts.begin()) - 1;
    for (auto i = f.chain_begin[interval]; i < f.chain_begin[interval + 1]; ++i) {
      visit(std::span<const std::uint32_t>(networks_[f.chain_items[i]].rules));
    }
  }

  bool empty() const { return networks_.empty(); }

 private:
  struct network {
    ip_network range;
    std::vector<std::uint32_t> rules;
  };
  struct family {
    std::vector<uint128> starts;                ///< interval i is [starts[i], starts[i+1])
    std::vector<std::uint32_t> chain_begin;     ///< interval i's networks: chain_items[chain_begin[i]..chain_begin[i+1])
    std::vector<std::uint32_t> chain_items;     ///< indexes into networks_
  };
  void build_family(bool v6, uint128 max, family& out) const;

  std::vector<network> networks_;
  std::map<std::tuple<bool, uint128, uint128>, std::uint32_t> ids_;  ///< build time only
  family v4_;
  family v6_;
};

}  // namespace tollgate::policy::detail
