#pragma once
#include "tollgate/admin_api/admin_action_log.hpp"
#include "tollgate/admin_api/audit_query.hpp"
#include "tollgate/audit/verify.hpp"
#include "tollgate/auth/authenticator.hpp"
#include "tollgate/policy/policy.hpp"
#include "tollgate/policy/rule.hpp"
#include "tollgate/common/identity.hpp"
#include "tollgate/common/request_facts.hpp"
#include "tollgate/common/result.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace prometheus {
class Registry;
}

namespace tollgate::admin_api {

/// State of one dependency, as reported by `GET /readyz`.
enum class dependency_state { ok, degraded, down };

struct readiness {
  bool policy_loaded = false;
  dependency_state postgres = dependency_state::down;
  dependency_state ldap = dependency_state::down;
  dependency_state audit = dependency_state::down;  ///< degraded: spooling within capacity
};

/// One live proxy connection (the app converts the proxy's snapshot into these).
struct connection_view {
  std::string kind;         ///< "http" or "tunnel"
  std::string user;         ///< empty before the first authenticated request
  std::string client;       ///< "ip:port"
  std::string destination;  ///< "host:port"; empty before the first request
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  std::chrono::milliseconds age{0};
};

/// Result of `POST /api/v1/reload`.
struct reload_outcome {
  bool ok = false;
  std::vector<std::string> problems;  ///< why the new config was refused (the old one stays)
};

/// Who makes a change through the API.
struct actor {
  std::string name;       ///< user name, or "token:<name>"
  std::string role;       ///< "admin"
  std::string client_ip;
};

enum class rule_write_status { ok, not_found, conflict, invalid };
struct rule_write_result {
  rule_write_status status = rule_write_status::not_found;
  /// ok: the rule as stored (create/update) or as it was (remove); conflict: the
  /// current rule when known; otherwise empty.
  std::optional<policy::rule> rule{};
  std::vector<policy::rule_problem> problems{};  ///< invalid: what the store refused
};

/// The policy store's operations. All block (worker threads) and throw std::exception
/// when the store is unreachable (answered 503). make_rule_operations() adapts
/// policy::policy_store.
struct rule_operations {
  /// Every rule, in decision order.
  std::function<std::vector<policy::rule>()> list{};
  std::function<std::optional<policy::rule>(std::int64_t id)> get{};
  /// Stores a validated rule (id ignored); ok carries it with id and version assigned.
  std::function<rule_write_result(const policy::rule& r, const actor& who)> create{};
  /// Replaces rule `r.id` when its version equals `expected_version` (nullopt: any).
  std::function<rule_write_result(const policy::rule& r, std::optional<std::int64_t> expected_version,
                                  const actor& who)>
      update{};
  /// Deletes rule `id` when its version equals `expected_version` (nullopt: any).
  std::function<rule_write_result(std::int64_t id, std::optional<std::int64_t> expected_version, const actor& who)>
      remove{};
  /// True when create/update/remove record the change in `admin_actions` themselves,
  /// in the change's own transaction (policy::policy_store does); the API then does not
  /// record rule changes a second time.
  bool records_changes = false;
};

/// Everything the admin API works with. References must outlive the server; an
/// empty std::function makes its endpoints answer 503 `not_available`.
///
/// Threads: `authenticator` is used from io threads as its contract allows; every
/// std::function and interface call is made on the server's worker threads, where
/// blocking is fine. Calls may come concurrently.
struct services {
  /// Checks HTTP Basic credentials of administrators and auditors; flush() serves
  /// `POST /api/v1/auth/cache/flush`.
  auth::authenticator& authenticator;
  /// Served at /metrics (text format); the API adds tollgate_admin_actions_unrecorded_total.
  prometheus::Registry& registry;

  rule_operations rules{};
  /// The live policy's decision, for the dry run.
  std::function<policy::decision(const identity&, const request_facts&)> decide{};
  /// Groups of `user` from the directory (nested included), nullopt when the user is
  /// unknown; throws when the directory cannot be asked.
  std::function<std::optional<std::vector<std::string>>(const std::string& user)> user_groups{};

  audit_queries* audit = nullptr;  ///< search, export, top talkers
  /// Chain verification (audit::verify_audit_chains); a failure says why it could not run (503).
  std::function<result<audit::verify_report>()> verify_audit{};
  admin_action_log* actions = nullptr;  ///< every admin write is recorded here

  std::function<std::vector<connection_view>()> connections{};
  std::function<readiness()> ready{};
  /// Re-reads the config file and applies what can change while running.
  std::function<reload_outcome()> reload{};
};

}  // namespace tollgate::admin_api
