#pragma once
#include "tollgate/common/identity.hpp"
#include "tollgate/common/request_facts.hpp"

#include <cstdint>
#include <optional>

namespace tollgate::policy {

enum class policy_action { allow, deny };

/// An access decision names the rule that made it, and the policy version it came from.
struct decision {
  policy_action action = policy_action::deny;
  std::optional<std::int64_t> rule_id;        ///< nullopt: the policy default decided
  std::optional<std::int64_t> would_rule_id;  ///< first `report`-mode rule that matched before the decision
  std::int64_t version = 0;                   ///< version of the compiled policy that decided
  /// True when the deciding allow rule matched the destination through an IP or CIDR
  /// entry: only such a rule may open a private, loopback or link-local destination.
  bool matched_by_address = false;
};

/// Decides whether an identity may make a request. Thread-safe, non-blocking and
/// cheap: the hot path calls it once per request (after name resolution, with
/// request_facts::address set so that address rules apply to names as well).
class policy {
 public:
  virtual ~policy() = default;
  virtual decision decide(const tollgate::identity& who, const tollgate::request_facts& facts) const = 0;
};

}  // namespace tollgate::policy
