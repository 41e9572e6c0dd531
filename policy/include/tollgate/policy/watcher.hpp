#pragma once
#include "tollgate/policy/compiled_policy.hpp"
#include "tollgate/policy/engine.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tollgate::policy {

struct policy_watcher_options {
  std::string dsn;  ///< any role that may SELECT rules and policy_version
  policy_action default_action = policy_action::deny;  ///< config `policy.default`
  /// Safety net besides NOTIFY: the policy version is polled this often.
  std::chrono::milliseconds resync_interval{std::chrono::seconds(5)};
  std::chrono::milliseconds reconnect_min{std::chrono::milliseconds(250)};
  std::chrono::milliseconds reconnect_max{std::chrono::seconds(10)};
  /// Called on the watcher thread after each swap (e.g. set the `policy_rules` gauge).
  /// Unset: the swap is logged (spdlog info).
  std::function<void(const compiled_policy&)> on_swap;
  /// Called on the watcher thread when loading fails (connection lost, invalid rules).
  /// Unset: the failure is logged (spdlog error).
  std::function<void(std::string_view)> on_error;
};

/// Keeps a policy_engine current. One thread with its own PostgreSQL connection:
/// LISTEN tollgate_rules; on each notification (and every resync_interval, in case a
/// notification was missed) it reloads the rules, compiles them off the hot path and
/// swaps them in. When the connection is lost, the engine keeps deciding with the last
/// good policy while the thread reconnects with exponential backoff and reloads.
/// A rule set that fails to compile is refused (logged, on_error) and the last good
/// policy stays.
class policy_watcher {
 public:
  /// Starts the thread; returns at once (see wait_until_loaded()).
  static std::unique_ptr<policy_watcher> start(policy_watcher_options options, std::shared_ptr<policy_engine> engine);
  /// Stops and joins the thread (promptly: it is woken, not polled).
  ~policy_watcher();
  policy_watcher(const policy_watcher&) = delete;
  policy_watcher& operator=(const policy_watcher&) = delete;

  /// Blocks until a policy from PostgreSQL is installed, or the timeout passes.
  bool wait_until_loaded(std::chrono::milliseconds timeout) const;
  /// Asks for a reload now (e.g. after a write through this instance's store).
  void reload_soon();
  /// True while the LISTEN connection is up.
  bool connected() const noexcept;
  /// Version of the installed policy (0 before the first load).
  std::int64_t loaded_version() const noexcept;

 private:
  struct state;
  explicit policy_watcher(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
};

}  // namespace tollgate::policy
