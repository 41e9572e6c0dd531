#include "tollgate/admin_api/policy_store_adapter.hpp"

#include <stdexcept>

namespace tollgate::admin_api {

namespace {

policy::change_actor to_change_actor(const actor& a) { return {a.name, a.role, a.client_ip}; }

[[noreturn]] void unavailable(const policy::store_error& e) {
  throw std::runtime_error("policy store: " + e.message);
}

// The store's error for a write, as the API's result (`unavailable` throws).
rule_write_result from_error(const policy::store_error& e, policy::policy_store& store, std::int64_t id) {
  switch (e.code) {
    case policy::store_errc::not_found:
      return {rule_write_status::not_found, std::nullopt, {}};
    case policy::store_errc::conflict: {
      auto current = store.get(id);
      return {rule_write_status::conflict, current ? std::optional<policy::rule>(*current) : std::nullopt, {}};
    }
    case policy::store_errc::invalid:
      return {rule_write_status::invalid, std::nullopt, e.problems};
    case policy::store_errc::unavailable:
      break;
  }
  unavailable(e);
}

// The version to expect: the caller's, or (unconditional write) the current one.
std::variant<std::int64_t, rule_write_result> expected_version(policy::policy_store& store, std::int64_t id,
                                                                std::optional<std::int64_t> expected) {
  if (expected) return *expected;
  auto current = store.get(id);
  if (!current) return from_error(current.error(), store, id);
  return current->version;
}

}  // namespace

rule_operations make_rule_operations(policy::policy_store& store) {
  rule_operations ops;
  ops.records_changes = true;
  ops.list = [&store] {
    auto r = store.list();
    if (!r) unavailable(r.error());
    return std::move(*r);
  };
  ops.get = [&store](std::int64_t id) -> std::optional<policy::rule> {
    auto r = store.get(id);
    if (r) return std::move(*r);
    if (r.error().code == policy::store_errc::not_found) return std::nullopt;
    unavailable(r.error());
  };
  ops.create = [&store](const policy::rule& rule, const actor& who) {
    auto r = store.create(rule, to_change_actor(who));
    if (!r) return from_error(r.error(), store, 0);
    return rule_write_result{rule_write_status::ok, std::move(*r), {}};
  };
  ops.update = [&store](const policy::rule& rule, std::optional<std::int64_t> expected, const actor& who) {
    auto version = expected_version(store, rule.id, expected);
    if (auto* early = std::get_if<rule_write_result>(&version)) return std::move(*early);
    auto r = store.update(rule.id, rule, std::get<std::int64_t>(version), to_change_actor(who));
    if (!r) return from_error(r.error(), store, rule.id);
    return rule_write_result{rule_write_status::ok, std::move(*r), {}};
  };
  ops.remove = [&store](std::int64_t id, std::optional<std::int64_t> expected, const actor& who) {
    auto before = store.get(id);
    if (!before) return from_error(before.error(), store, id);
    const auto version = expected.value_or(before->version);
    auto r = store.remove(id, version, to_change_actor(who));
    if (!r) return from_error(r.error(), store, id);
    return rule_write_result{rule_write_status::ok, std::move(*before), {}};
  };
  return ops;
}

}  // namespace tollgate::admin_api
