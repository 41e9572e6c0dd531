#pragma once
#include "tollgate/policy/compiled_policy.hpp"
#include "tollgate/policy/policy.hpp"

#include <atomic>
#include <memory>

namespace tollgate::policy {

/// The live policy: the `policy::policy` the proxy calls, holding the current
/// compiled_policy. A new one is swapped in atomically; a decision in flight keeps
/// the one it started with (it holds a reference until it returns).
///
/// Until the first install() it decides with a fail-closed placeholder: no rules,
/// `deny`, version 0 (`loaded()` is false), whatever the configured default.
class policy_engine final : public policy {
 public:
  policy_engine();

  /// Thread-safe; lock-free on the read side apart from the shared_ptr refcount.
  decision decide(const tollgate::identity& who, const tollgate::request_facts& facts) const override;

  /// Replaces the current policy (any thread). Never null.
  void install(std::shared_ptr<const compiled_policy> next);

  /// The policy decisions are being made with right now.
  std::shared_ptr<const compiled_policy> current() const;

  /// True once a policy was installed.
  bool loaded() const noexcept { return loaded_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const compiled_policy>> current_;
  std::atomic<bool> loaded_{false};
};

}  // namespace tollgate::policy
