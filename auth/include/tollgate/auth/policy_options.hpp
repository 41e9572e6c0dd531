#pragma once
#include "tollgate/auth/policy.hpp"

#include <string>

namespace tollgate::auth {

/// Config `policy:`.
struct policy_options {
  policy_action default_action = policy_action::deny;
  std::string bootstrap_rules_file;  ///< loaded into PostgreSQL only if it holds no rules
};

}  // namespace tollgate::auth
