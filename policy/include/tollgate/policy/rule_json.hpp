#pragma once
#include "tollgate/policy/rule.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <variant>
#include <vector>

namespace tollgate::policy {

/// The admin API shape: {id, priority, action, groups, hosts, ports (numbers, and
/// "lo-hi" strings for ranges), methods, path_prefixes, schedule (object or null),
/// mode, comment, enabled, version}.
boost::json::object rule_to_json(const rule& r);

/// Reads the admin API shape (also the bootstrap file's, via the app's YAML reader).
/// Omitted fields take the design defaults; `id`, `version`, `created_at` and
/// `updated_at` are server-assigned and ignored when present. Unknown fields, wrong
/// types and everything validate_rule() refuses come back as problems, all at once.
std::variant<rule, std::vector<rule_problem>> rule_from_json(const boost::json::value& v);

}  // namespace tollgate::policy
