#include "tollgate/auth/ldap_authenticator.hpp"
#include "tollgate/auth/ldap_directory.hpp"

#include <unistd.h>

#include <string_view>

namespace tollgate::auth {
namespace {

// A filter template must be one parenthesised filter with balanced parentheses.
bool looks_like_filter(std::string_view f) {
  if (f.size() < 2 || f.front() != '(' || f.back() != ')') return false;
  int depth = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\') { ++i; continue; }
    if (f[i] == '(') ++depth;
    if (f[i] == ')' && --depth < 0) return false;
    if (depth == 0 && i + 1 != f.size()) return false;
  }
  return depth == 0;
}

}  // namespace

std::vector<std::string> validate_ldap_options(const ldap_options& o) {
  std::vector<std::string> problems;
  if (o.uris.empty()) problems.emplace_back("ldap.uris: at least one URI is needed");
  for (const auto& uri : o.uris)
    if (!uri.starts_with("ldap://") && !uri.starts_with("ldaps://") && !uri.starts_with("ldapi://"))
      problems.push_back("ldap.uris: '" + uri + "' is not an ldap://, ldaps:// or ldapi:// URI");
  if (!o.ca_file.empty() && access(o.ca_file.c_str(), R_OK) != 0)
    problems.push_back("ldap.ca_file: cannot read '" + o.ca_file + "'");
  if (!o.bind_dn.empty() && o.bind_password.empty())
    problems.emplace_back("ldap.bind_password: empty while bind_dn is set (an empty-password bind is anonymous)");
  if (!looks_like_filter(o.user_filter)) problems.emplace_back("ldap.user_filter: not a parenthesised LDAP filter");
  if (o.user_filter.find("{user}") == std::string::npos)
    problems.emplace_back("ldap.user_filter: must contain {user}");
  if (o.user_attr.empty()) problems.emplace_back("ldap.user_attr: must not be empty");
  if (!o.group_base.empty()) {
    if (!looks_like_filter(o.group_filter)) problems.emplace_back("ldap.group_filter: not a parenthesised LDAP filter");
    if (o.group_filter.find("{dn}") == std::string::npos && o.group_filter.find("{user}") == std::string::npos)
      problems.emplace_back("ldap.group_filter: must contain {dn} or {user}");
    if (o.group_attr.empty()) problems.emplace_back("ldap.group_attr: must not be empty");
  }
  if (o.workers == 0) problems.emplace_back("ldap.workers: must be at least 1");
  if (o.network_timeout.count() <= 0) problems.emplace_back("ldap.network_timeout: must be positive");
  if (o.operation_timeout.count() <= 0) problems.emplace_back("ldap.operation_timeout: must be positive");
  if (o.cache_ttl.count() < 0) problems.emplace_back("ldap.cache_ttl: must not be negative");
  if (o.negative_cache_ttl.count() < 0) problems.emplace_back("ldap.negative_cache_ttl: must not be negative");
  if (o.stale_if_error.count() < 0) problems.emplace_back("ldap.stale_if_error: must not be negative");
  if (o.cache_max_entries == 0) problems.emplace_back("ldap.cache_max_entries: must be at least 1");
  if (o.lockout_threshold > 0 && o.lockout_window.count() <= 0)
    problems.emplace_back("ldap.lockout_window: must be positive when lockout_threshold is set");
  if (o.lockout_duration.count() < 0) problems.emplace_back("ldap.lockout_duration: must not be negative");
  if (o.lockout_max_entries == 0) problems.emplace_back("ldap.lockout.max_entries: must be at least 1");
  if (o.max_pending_checks == 0) problems.emplace_back("ldap.max_pending_checks: must be at least 1");
  if (o.down_retry_interval.count() < 0) problems.emplace_back("ldap.down_retry_interval: must not be negative");
  return problems;
}

std::variant<std::unique_ptr<ldap_authenticator>, std::vector<std::string>> make_ldap_authenticator(
    const ldap_options& opts, prometheus::Registry& registry) {
  auto problems = validate_ldap_options(opts);
  if (!problems.empty()) return problems;
  return std::make_unique<ldap_authenticator>(opts, registry, [opts] { return make_ldap_directory(opts); });
}

}  // namespace tollgate::auth
