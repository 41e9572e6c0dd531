#pragma once
#include <string_view>
#include <vector>

namespace tollgate::app {

/// One key the config loader accepts. The table is the loader's own: the
/// documentation test walks it so docs/configuration.md and
/// deploy/tollgate.example.yaml cannot drift from what is really accepted.
struct config_key_info {
  std::string_view path;  ///< dotted path, e.g. "proxy.timeouts.head"
  std::string_view type;  ///< "string", "bool", "integer", "duration", "size", "list of strings", ...
  bool required = false;  ///< the file must set it (see also ldap.bind_password / bind_password_file: one of them)
  bool secret = false;    ///< its value is never printed, not even in error messages
};

/// Every accepted key, in the order of the reference documentation.
std::vector<config_key_info> config_keys();

}  // namespace tollgate::app
