#pragma once
#include "tollgate/admin_api/options.hpp"
#include "tollgate/audit/options.hpp"
#include "tollgate/auth/ldap_options.hpp"
#include "tollgate/policy/options.hpp"
#include "tollgate/proxy/options.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <vector>

namespace tollgate::app {

struct postgres_options {
  std::string dsn;        ///< insert-only writer role: audit rows
  std::string admin_dsn;  ///< owner role: migrate, rules, admin_actions; defaults to dsn
};

/// The whole configuration file, split into each component's own options.
struct config {
  std::string file;  ///< where it was read from (for reload)
  proxy::options proxy;
  admin_api::options admin;
  auth::ldap_options ldap;
  postgres_options postgres;
  audit::options audit;
  policy::policy_options policy;
};

/// One thing wrong with a config file, printed as `FILE:LINE: key.path: message`.
struct config_problem {
  std::string file;
  int line = 0;           ///< 1-based; 0 when the problem has no place in the file
  std::string key;        ///< dotted path, e.g. "proxy.timeouts.head"
  std::string message;
};

std::string to_string(const config_problem& p);

/// Found by ADL from value() on load_config's result: throws std::runtime_error
/// with every problem, one line each.
[[noreturn]] void throw_exception_from_error(const std::vector<config_problem>& problems,
                                             const boost::source_location& loc);

/// Reads and validates a config file: every problem is collected, not just the first
/// (hence a list as the error, the one exception to tollgate::result; see
/// tollgate/common/result.hpp). Environment references `${NAME}` are substituted;
/// `*_file` keys are read.
boost::system::result<config, std::vector<config_problem>> load_config(const std::string& file);

}  // namespace tollgate::app
