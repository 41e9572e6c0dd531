#include "tollgate/policy/engine.hpp"

#include <cassert>

namespace tollgate::policy {

policy_engine::policy_engine() : current_(compiled_policy::empty(0, policy_action::deny)) {}

decision policy_engine::decide(const tollgate::identity& who, const tollgate::request_facts& facts) const {
  const auto p = current_.load(std::memory_order_acquire);
  return p->decide(who, facts);
}

void policy_engine::install(std::shared_ptr<const compiled_policy> next) {
  assert(next);
  current_.store(std::move(next), std::memory_order_release);
  loaded_.store(true, std::memory_order_release);
}

std::shared_ptr<const compiled_policy> policy_engine::current() const {
  return current_.load(std::memory_order_acquire);
}

}  // namespace tollgate::policy
