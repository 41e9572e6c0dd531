#pragma once
#include "tollgate/policy/rule.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tollgate::policy {

enum class store_errc {
  not_found = 1,  ///< no rule with that id
  conflict,       ///< the rule changed since the version the caller read (If-Match failed)
  invalid,        ///< the rule was refused; `problems` names the fields
  unavailable,    ///< PostgreSQL could not be reached or failed; `message` says how
};

struct store_error {
  store_errc code = store_errc::unavailable;
  std::string message;
  std::vector<rule_problem> problems;  ///< for `invalid`
};

/// boost::system::result needs this to throw from value() on a store_error.
[[noreturn]] void throw_exception_from_error(const store_error& e, const boost::source_location& loc);

template <class T>
using store_result = boost::system::result<T, store_error>;

/// The whole rule set as of one instant, with the policy version it carries.
struct policy_snapshot {
  std::vector<rule> rules;  ///< every row, enabled or not, in decision order
  std::int64_t version = 0;
};

/// Who made a change through the store: recorded in `admin_actions` in the same
/// transaction as the change itself, so no change goes unrecorded.
struct change_actor {
  std::string actor;      ///< user name or token name
  std::string role;       ///< e.g. "admin"
  std::string client_ip;  ///< empty when unknown
};

/// The `rules` table. Every change runs in one transaction; the table's trigger bumps
/// `policy_version` and NOTIFYs `tollgate_rules`, so every instance's policy_watcher
/// reloads. Thread-safe (one connection behind a mutex, re-opened after a failure).
/// Every call blocks on PostgreSQL: call it from a worker thread, never an io thread.
class policy_store {
 public:
  /// Does not connect yet: the first call does (so start-up order does not matter).
  /// `dsn` should be the owner role (postgres.admin_dsn).
  static std::unique_ptr<policy_store> create(std::string dsn);
  ~policy_store();
  policy_store(const policy_store&) = delete;
  policy_store& operator=(const policy_store&) = delete;

  /// Rules and policy version from one consistent snapshot.
  store_result<policy_snapshot> load();
  /// All rules in decision order (priority, id).
  store_result<std::vector<rule>> list();
  store_result<rule> get(std::int64_t id);

  /// Validates and inserts `r` (its id and version are ignored); returns the stored
  /// rule with its id and version 1.
  store_result<rule> create(const rule& r, const std::optional<change_actor>& who = std::nullopt);
  /// Replaces rule `id` if its version is still `expected_version` (else `conflict`);
  /// returns the stored rule with its version bumped.
  store_result<rule> update(std::int64_t id, const rule& r, std::int64_t expected_version,
                            const std::optional<change_actor>& who = std::nullopt);
  /// Deletes rule `id` if its version is still `expected_version` (else `conflict`).
  store_result<void> remove(std::int64_t id, std::int64_t expected_version,
                            const std::optional<change_actor>& who = std::nullopt);

  /// Inserts `rules` in one transaction if, and only if, the table holds no rules
  /// (two instances starting together insert them once: the table is locked).
  /// Returns how many rules were inserted (0: the table already had rules).
  /// Invalid rules refuse the whole set; problem fields read "rules[3].hosts[0]".
  store_result<std::size_t> bootstrap(const std::vector<rule>& rules);

 private:
  struct impl;
  explicit policy_store(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace tollgate::policy
