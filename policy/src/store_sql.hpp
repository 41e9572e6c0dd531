#pragma once
// Private: the SQL shared by policy_store (CRUD) and policy_watcher (reloads).
// These functions throw libpqxx exceptions; callers catch them at their edge.
#include "tollgate/policy/store.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace pqxx {
class connection_base;
class transaction_base;
}  // namespace pqxx

namespace tollgate::policy::detail {

/// Rules and version in one repeatable-read snapshot.
policy_snapshot load_snapshot(pqxx::connection_base& c);
/// The current policy version (cheap: the safety-net poll uses it).
std::int64_t read_policy_version(pqxx::connection_base& c);

/// Every rule in decision order, or just rule `id`.
std::vector<rule> select_rules(pqxx::transaction_base& tx, std::optional<std::int64_t> id = std::nullopt);
rule insert_rule(pqxx::transaction_base& tx, const rule& r);
/// Inserts `rules` in order, a few thousand per statement (bootstrap).
void insert_rules(pqxx::transaction_base& tx, const std::vector<rule>& rules);
/// Replaces the rule if its version matches; nullopt when no row matched.
std::optional<rule> update_rule(pqxx::transaction_base& tx, std::int64_t id, const rule& r, std::int64_t expected);
/// Deletes the rule if its version matches; false when no row matched.
bool delete_rule(pqxx::transaction_base& tx, std::int64_t id, std::int64_t expected);
/// Records an admin change (action "rule.create" etc.) with before/after rule JSON.
void record_change(pqxx::transaction_base& tx, const change_actor& who, std::string_view action, std::int64_t id,
                   const std::optional<rule>& before, const std::optional<rule>& after);

}  // namespace tollgate::policy::detail
