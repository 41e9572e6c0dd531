#pragma once
#include "tollgate/policy/policy.hpp"
#include "tollgate/policy/rule.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

namespace tollgate::policy {

/// An immutable, indexed rule set: a decision costs a few hash lookups (exact names and
/// each domain suffix of the name), one binary search over address intervals, and a
/// merge of the few candidate lists in rule order — never a scan of every rule.
///
/// Semantics (admin-api/openapi.yaml, the Rule schema): rules are tried by priority, then id; the first
/// matching `enforce` rule decides; a matching `report` rule before it only sets
/// `would_rule_id`; nothing matching means the default. Name patterns match
/// request_facts::host, address and CIDR entries match request_facts::address (or the
/// host itself when it is an IP literal and no address is given).
///
/// Built off the hot path (compile() allocates freely); shared read-only by any number
/// of threads afterwards.
class compiled_policy {
 public:
  using compile_result = std::variant<std::shared_ptr<const compiled_policy>, std::vector<rule_problem>>;

  /// Compiles `rules` (any order; disabled rules are left out). Fails when any enabled
  /// rule is invalid; problem fields then read "rules[id=7].hosts[0]".
  static compile_result compile(std::vector<rule> rules, std::int64_t version, policy_action default_action);

  /// A policy without rules: every decision is `default_action` (used as fail-closed
  /// placeholder before the first load, with version 0).
  static std::shared_ptr<const compiled_policy> empty(std::int64_t version, policy_action default_action);

  ~compiled_policy();
  compiled_policy(const compiled_policy&) = delete;
  compiled_policy& operator=(const compiled_policy&) = delete;

  /// Thread-safe, allocation-free for ordinary requests.
  decision decide(const tollgate::identity& who, const tollgate::request_facts& facts) const;

  std::int64_t version() const noexcept;
  policy_action default_action() const noexcept;
  std::size_t rule_count() const noexcept;  ///< enabled rules in the index

 private:
  struct impl;
  explicit compiled_policy(std::unique_ptr<const impl> i);
  std::unique_ptr<const impl> impl_;
};

}  // namespace tollgate::policy
