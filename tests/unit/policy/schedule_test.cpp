#include "tollgate/policy/compiled_policy.hpp"

#include "policy_test_support.hpp"

#include <gtest/gtest.h>

namespace tollgate::policy {
namespace {

using testing::anyone;
using testing::compile_ok;
using testing::decided_by;
using testing::http_get;
using testing::make_rule;
using testing::utc;

struct schedule_case {
  std::string what;
  std::chrono::system_clock::time_point when;
  bool inside;
};

std::shared_ptr<const compiled_policy> office_hours(rule_schedule s) {
  rule r = make_rule(1, policy_action::allow, {"s.example"});
  r.schedule = std::move(s);
  return compile_ok({r});
}

class berlin_sunday_test : public ::testing::TestWithParam<schedule_case> {};

// Sundays 08:00-18:00 Berlin time. 2025-03-30 02:00 CET jumps to 03:00 CEST (UTC+1 -> +2);
// 2025-10-26 03:00 CEST falls back to 02:00 CET.
TEST_P(berlin_sunday_test, window_follows_local_time_across_dst) {
  static const auto p = office_hours({{"sun"}, "08:00", "18:00", "Europe/Berlin"});
  const auto& c = GetParam();
  EXPECT_EQ(decided_by(p->decide(anyone(), [&] {
              auto f = http_get("s.example");
              f.when = c.when;
              return f;
            }())),
            c.inside ? 1 : -1)
      << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    spring_forward, berlin_sunday_test,
    ::testing::Values(
        schedule_case{"week before, 06:30Z = 07:30 CET", utc(2025, 3, 23, 6, 30), false},
        schedule_case{"week before, 07:00Z = 08:00 CET", utc(2025, 3, 23, 7, 0), true},
        schedule_case{"week before, 16:59Z = 17:59 CET", utc(2025, 3, 23, 16, 59), true},
        schedule_case{"week before, 17:00Z = 18:00 CET", utc(2025, 3, 23, 17, 0), false},
        schedule_case{"DST day, 05:59Z = 07:59 CEST", utc(2025, 3, 30, 5, 59), false},
        schedule_case{"DST day, 06:00Z = 08:00 CEST", utc(2025, 3, 30, 6, 0), true},
        schedule_case{"DST day, 06:30Z = 08:30 CEST (07:30 in winter time)", utc(2025, 3, 30, 6, 30), true},
        schedule_case{"DST day, 15:59Z = 17:59 CEST", utc(2025, 3, 30, 15, 59), true},
        schedule_case{"DST day, 16:30Z = 18:30 CEST (17:30 in winter time)", utc(2025, 3, 30, 16, 30), false},
        schedule_case{"Saturday 10:00Z", utc(2025, 3, 29, 10, 0), false},
        schedule_case{"Monday 10:00Z", utc(2025, 3, 31, 10, 0), false}));

INSTANTIATE_TEST_SUITE_P(
    fall_back, berlin_sunday_test,
    ::testing::Values(
        schedule_case{"week before, 05:59Z = 07:59 CEST", utc(2025, 10, 19, 5, 59), false},
        schedule_case{"week before, 06:00Z = 08:00 CEST", utc(2025, 10, 19, 6, 0), true},
        schedule_case{"DST end day, 06:30Z = 07:30 CET (08:30 in summer time)", utc(2025, 10, 26, 6, 30), false},
        schedule_case{"DST end day, 07:00Z = 08:00 CET", utc(2025, 10, 26, 7, 0), true},
        schedule_case{"DST end day, 16:30Z = 17:30 CET (18:30 in summer time)", utc(2025, 10, 26, 16, 30), true},
        schedule_case{"DST end day, 17:00Z = 18:00 CET", utc(2025, 10, 26, 17, 0), false}));

class overnight_test : public ::testing::TestWithParam<schedule_case> {};

// Friday night shift 22:00-06:00 New York time: the morning part belongs to Friday.
// 2025-03-09 02:00 EST -> 03:00 EDT; the shift on Saturday 2025-03-08 spans it.
TEST_P(overnight_test, window_across_midnight_belongs_to_its_start_day) {
  static const auto p = office_hours({{"fri", "sat"}, "22:00", "06:00", "America/New_York"});
  const auto& c = GetParam();
  auto f = http_get("s.example");
  f.when = c.when;
  EXPECT_EQ(decided_by(p->decide(anyone(), f)), c.inside ? 1 : -1) << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    new_york, overnight_test,
    ::testing::Values(
        schedule_case{"Fri 21:59 EST", utc(2025, 3, 8, 2, 59), false},
        schedule_case{"Fri 22:00 EST", utc(2025, 3, 8, 3, 0), true},
        schedule_case{"Sat 05:59 EST (Friday's shift)", utc(2025, 3, 8, 10, 59), true},
        schedule_case{"Sat 06:00 EST", utc(2025, 3, 8, 11, 0), false},
        schedule_case{"Sat 23:00 EST", utc(2025, 3, 9, 4, 0), true},
        schedule_case{"Sun 05:30 EDT (Saturday's shift, after the jump)", utc(2025, 3, 9, 9, 30), true},
        schedule_case{"Sun 06:30 EDT = 05:30 EST clock", utc(2025, 3, 9, 10, 30), false},
        schedule_case{"Sun 23:00 EDT", utc(2025, 3, 10, 3, 0), false},
        schedule_case{"Fri 05:00 EST (Thursday's shift: not scheduled)", utc(2025, 3, 7, 10, 0), false}));

TEST(schedule, days_only_and_window_only) {
  auto weekdays = office_hours({{"mon", "tue", "wed", "thu", "fri"}, "", "", "UTC"});
  auto daily = office_hours({{}, "09:00", "24:00", "UTC"});
  auto at = [](std::chrono::system_clock::time_point t) {
    auto f = http_get("s.example");
    f.when = t;
    return f;
  };
  EXPECT_EQ(decided_by(weekdays->decide(anyone(), at(utc(2025, 6, 2, 0, 0)))), 1);   // Monday
  EXPECT_EQ(decided_by(weekdays->decide(anyone(), at(utc(2025, 6, 1, 12, 0)))), -1);  // Sunday
  EXPECT_EQ(decided_by(daily->decide(anyone(), at(utc(2025, 6, 1, 23, 59)))), 1);
  EXPECT_EQ(decided_by(daily->decide(anyone(), at(utc(2025, 6, 1, 8, 59)))), -1);
}

TEST(schedule, problems_name_the_field) {
  rule r = make_rule(1, policy_action::allow);
  r.schedule = rule_schedule{{"mon", "funday"}, "25:00", "18:60", "Mars/Olympus"};
  const auto problems = validate_rule(r);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].field, "schedule.days[1]");
  EXPECT_EQ(problems[1].field, "schedule.from");
  EXPECT_EQ(problems[2].field, "schedule.to");
  EXPECT_EQ(problems[3].field, "schedule.tz");
}

}  // namespace
}  // namespace tollgate::policy
