#pragma once
// Private to the policy engine: a rule's schedule, parsed for validation and matching.
#include "tollgate/policy/rule.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace date {
class time_zone;
}

namespace tollgate::policy::detail {

/// Days as bits (bit 0 = Monday .. bit 6 = Sunday), the window in minutes of local time.
class compiled_schedule {
 public:
  /// Parses a schedule; every problem is appended to `problems` with fields under "schedule.".
  static std::optional<compiled_schedule> parse(const rule_schedule& s, std::vector<rule_problem>& problems);

  /// True when `when` falls on one of the days, inside the window, in the zone's local time
  /// (daylight saving time included: the zone's own rules decide the local time).
  bool matches(std::chrono::system_clock::time_point when) const;

 private:
  std::uint8_t days_ = 0x7F;
  int from_ = 0;      ///< minutes since local midnight
  int to_ = 24 * 60;  ///< exclusive
  const date::time_zone* zone_ = nullptr;
};

}  // namespace tollgate::policy::detail
