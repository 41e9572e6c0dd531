#pragma once
#include "tollgate/admin_api/admin_action_log.hpp"
#include "tollgate/admin_api/audit_query.hpp"
#include "tollgate/auth/authenticator.hpp"
#include "tollgate/auth/policy.hpp"
#include "tollgate/auth/rule.hpp"
#include "tollgate/common/identity.hpp"
#include "tollgate/common/request_facts.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
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

/// Result of the audit hash-chain verification (`GET /api/v1/audit/verify`).
struct chain_break {
  std::int64_t seq = 0;
  std::string reason;
};
struct chain_report {
  std::string instance;
  std::uint64_t records = 0;
  std::int64_t last_seq = 0;
  std::optional<chain_break> broken;
};
struct verify_report {
  bool intact = true;
  std::vector<chain_report> instances;
};

/// Result of `POST /api/v1/reload`.
struct reload_outcome {
  bool ok = false;
  std::vector<std::string> problems;  ///< why the new config was refused (the old one stays)
};

enum class rule_write_status { ok, not_found, conflict };
struct rule_write_result {
  rule_write_status status = rule_write_status::not_found;
  /// ok: the rule as stored (new version); conflict: the current rule; not_found: empty.
  std::optional<auth::rule> rule;
};

/// The policy store's operations. All block (worker threads) and throw std::exception
/// when the store is unreachable (answered 503).
struct rule_operations {
  /// Every rule, in decision order.
  std::function<std::vector<auth::rule>()> list;
  std::function<std::optional<auth::rule>(std::int64_t id)> get;
  /// Stores a validated rule (id ignored); returns it with id and version assigned.
  std::function<auth::rule(const auth::rule&)> create;
  /// Replaces rule `r.id` when its version equals `expected_version` (nullopt: any).
  std::function<rule_write_result(const auth::rule& r, std::optional<std::int64_t> expected_version)> update;
  /// Deletes rule `id` when its version equals `expected_version` (nullopt: any);
  /// on ok, `rule` holds what was deleted.
  std::function<rule_write_result(std::int64_t id, std::optional<std::int64_t> expected_version)> remove;
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
  /// Served at /metrics (text format). The server also registers `tollgate_build_info`.
  prometheus::Registry& registry;
  std::string version{};  ///< the build_info{version} label

  rule_operations rules{};
  /// The live policy's decision, for the dry run.
  std::function<auth::decision(const identity&, const request_facts&)> decide{};
  /// Groups of `user` from the directory (nested included), nullopt when the user is
  /// unknown; throws when the directory cannot be asked.
  std::function<std::optional<std::vector<std::string>>(const std::string& user)> user_groups{};

  audit_queries* audit = nullptr;  ///< search, export, top talkers
  std::function<verify_report()> verify_audit{};
  admin_action_log* actions = nullptr;  ///< every admin write is recorded here

  std::function<std::vector<connection_view>()> connections{};
  std::function<readiness()> ready{};
  /// Re-reads the config file and applies what can change while running.
  std::function<reload_outcome()> reload{};
};

}  // namespace tollgate::admin_api
