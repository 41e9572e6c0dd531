#include "address_index.hpp"

#include <algorithm>

namespace tollgate::policy::detail {

void address_index::add(const ip_network& n, std::uint32_t rule_pos) {
  const auto key = std::make_tuple(n.v6, n.lo, n.hi);
  auto [it, inserted] = ids_.try_emplace(key, static_cast<std::uint32_t>(networks_.size()));
  if (inserted) networks_.push_back({n, {}});
  auto& rules = networks_[it->second].rules;
  // Rules are added in decision order; one rule may name the same network twice.
  if (rules.empty() || rules.back() != rule_pos) rules.push_back(rule_pos);
}

void address_index::build() {
  for (auto& n : networks_) std::sort(n.rules.begin(), n.rules.end());
  build_family(false, uint128{0xFFFFFFFFu}, v4_);
  build_family(true, ~uint128{0}, v6_);
  ids_.clear();
}

void address_index::build_family(bool v6, uint128 max, family& out) const {
  std::vector<std::uint32_t> members;
  for (std::uint32_t i = 0; i < networks_.size(); ++i) {
    if (networks_[i].range.v6 == v6) members.push_back(i);
  }
  out = {};
  if (members.empty()) return;
  std::vector<uint128> bounds{0};
  for (auto i : members) {
    bounds.push_back(networks_[i].range.lo);
    if (networks_[i].range.hi != max) bounds.push_back(networks_[i].range.hi + 1);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::sort(members.begin(), members.end(),
            [this](auto a, auto b) { return networks_[a].range.lo < networks_[b].range.lo; });

  std::vector<std::uint32_t> active;
  std::size_t next = 0;
  out.chain_begin.push_back(0);
  for (const auto start : bounds) {
    std::erase_if(active, [&](auto i) { return networks_[i].range.hi < start; });
    while (next < members.size() && networks_[members[next]].range.lo <= start) {
      if (networks_[members[next]].range.hi >= start) active.push_back(members[next]);
      ++next;
    }
    out.starts.push_back(start);
    out.chain_items.insert(out.chain_items.end(), active.begin(), active.end());
    out.chain_begin.push_back(static_cast<std::uint32_t>(out.chain_items.size()));
  }
}

}  // namespace tollgate::policy::detail
