#pragma once
#include "tollgate/policy/policy.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::policy {

/// `enforce` rules decide; `report` rules only note that they would have matched.
enum class rule_mode { enforce, report };

/// How a rule's path prefixes compare: exactly (the default), or without ASCII case
/// for origins that ignore it (IIS), where "/ADMIN/" is "/admin/".
enum class path_case_mode { exact, insensitive };

/// An inclusive port range; a single port has lo == hi. Kept wide so that
/// validation can name an out-of-range value instead of truncating it.
struct port_range {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  friend bool operator==(const port_range&, const port_range&) = default;
};

/// When a rule applies, in the zone's local time. Empty `days`: every day; empty
/// `from` and `to`: the whole day. `from` > `to` is a window across midnight that
/// belongs to the day it starts on. `to` may be "24:00".
struct rule_schedule {
  std::vector<std::string> days;  ///< "mon".."sun"
  std::string from;               ///< "HH:MM" (inclusive)
  std::string to;                 ///< "HH:MM" (exclusive)
  std::string tz = "UTC";         ///< IANA zone name
  friend bool operator==(const rule_schedule&, const rule_schedule&) = default;
};

/// One access rule, in the shape of the admin API and the `rules` table.
/// Empty lists mean "any", except `ports`, where empty means 80 and 443.
struct rule {
  std::int64_t id = 0;  ///< assigned by the store; 0 for a rule not stored yet
  std::int32_t priority = 1000;
  policy_action action = policy_action::deny;
  std::vector<std::string> groups;         ///< empty: any authenticated user
  std::vector<std::string> hosts;          ///< "a.com", "*.a.com", ".a.com", "10.0.0.0/8", "::1"
  std::vector<port_range> ports;           ///< empty: 80 and 443 (CONNECT too)
  std::vector<std::string> methods;        ///< upper-case tokens; empty: any
  std::vector<std::string> path_prefixes;  ///< plain HTTP only: a CONNECT never matches a rule with these
  path_case_mode path_case = path_case_mode::exact;
  std::optional<rule_schedule> schedule;   ///< nullopt: always
  rule_mode mode = rule_mode::enforce;
  std::string comment;
  bool enabled = true;
  std::int64_t version = 1;  ///< per-row version for ETag / If-Match, bumped by every update
  friend bool operator==(const rule&, const rule&) = default;
};

/// One thing wrong with a rule: `field` is a path such as "hosts[2]" or "schedule.tz".
struct rule_problem {
  std::string field;
  std::string message;
  friend bool operator==(const rule_problem&, const rule_problem&) = default;
};

/// Checks every field of a rule and returns all problems (empty: the rule is valid
/// and compiles). Used by the admin API (422) and by bootstrap loading.
std::vector<rule_problem> validate_rule(const rule& r);

std::string_view to_string(policy_action a) noexcept;
std::string_view to_string(rule_mode m) noexcept;
std::optional<policy_action> parse_policy_action(std::string_view s) noexcept;
std::optional<rule_mode> parse_rule_mode(std::string_view s) noexcept;
std::string_view to_string(path_case_mode m) noexcept;
std::optional<path_case_mode> parse_path_case(std::string_view s) noexcept;

/// "443" or "8000-8999" to a range (not range-checked: validate_rule does that).
std::optional<port_range> parse_port_range(std::string_view s) noexcept;
/// 443 -> "443", {8000, 8999} -> "8000-8999".
std::string to_string(const port_range& p);

/// Rules in decision order: priority ascending, then id.
void sort_rules(std::vector<rule>& rules);

}  // namespace tollgate::policy
