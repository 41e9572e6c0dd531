#pragma once
#include "tollgate/policy/policy.hpp"

#include <string>

namespace tollgate::policy {

/// Config `policy:`.
struct policy_options {
  policy_action default_action = policy_action::deny;
  std::string bootstrap_rules_file;  ///< loaded into PostgreSQL only if it holds no rules
};

}  // namespace tollgate::policy
