#pragma once
#include "tollgate/app/config.hpp"
#include "tollgate/policy/rule.hpp"

#include <string>
#include <variant>
#include <vector>

namespace tollgate::app {

/// Reads the bootstrap rules file (config `policy.bootstrap_rules_file`): a YAML list
/// of rules with the admin API's fields and defaults, without `id`. Every problem is
/// returned, each with its line and a key such as "rules[2].hosts[0]"; nothing is
/// half-loaded. Control plane: reads the file synchronously.
std::variant<std::vector<policy::rule>, std::vector<config_problem>> load_rules_file(const std::string& path);

}  // namespace tollgate::app
