#pragma once
#include "tollgate/admin_api/services.hpp"
#include "tollgate/policy/store.hpp"

namespace tollgate::admin_api {

/// The admin API's rule operations on policy::policy_store. Changes are recorded in
/// `admin_actions` by the store in the change's own transaction (records_changes is
/// true). Store errors map to statuses; `unavailable` throws (503). The store must
/// outlive the returned functions.
rule_operations make_rule_operations(policy::policy_store& store);

}  // namespace tollgate::admin_api
