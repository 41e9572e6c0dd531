#include "schedule.hpp"

#include <date/tz.h>

#include <array>
#include <exception>

namespace tollgate::policy::detail {
namespace {

constexpr std::array<std::string_view, 7> day_names{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// "HH:MM" to minutes; "24:00" only where allowed (the end of a window).
std::optional<int> parse_clock(std::string_view s, bool allow_24) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return 24 * 60;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

}  // namespace

std::optional<compiled_schedule> compiled_schedule::parse(const rule_schedule& s,
                                                          std::vector<rule_problem>& problems) {
  const auto before = problems.size();
  compiled_schedule c;
  if (!s.days.empty()) {
    c.days_ = 0;
    for (std::size_t i = 0; i < s.days.size(); ++i) {
      std::string lower;
      for (char ch : s.days[i]) lower.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
      std::size_t d = 0;
      while (d < day_names.size() && day_names[d] != lower) ++d;
      if (d == day_names.size()) {
        problems.push_back({"schedule.days[" + std::to_string(i) + "]", "must be one of mon, tue, wed, thu, fri, sat, sun"});
      } else {
        c.days_ |= static_cast<std::uint8_t>(1u << d);
      }
    }
  }
  if (s.from.empty() != s.to.empty()) {
    problems.push_back({s.from.empty() ? "schedule.from" : "schedule.to", "give both from and to, or neither"});
  } else if (!s.from.empty()) {
    const auto from = parse_clock(s.from, false);
    const auto to = parse_clock(s.to, true);
    if (!from) problems.push_back({"schedule.from", "must be HH:MM (00:00 to 23:59)"});
    if (!to) problems.push_back({"schedule.to", "must be HH:MM (00:00 to 24:00)"});
    if (from && to) {
      if (*from == *to) problems.push_back({"schedule.to", "must differ from from (use 00:00 to 24:00 for all day)"});
      c.from_ = *from;
      c.to_ = *to;
    }
  }
  try {
    c.zone_ = date::locate_zone(s.tz.empty() ? std::string_view("UTC") : std::string_view(s.tz));
  } catch (const std::exception&) {
    problems.push_back({"schedule.tz", "unknown IANA time zone '" + s.tz + "'"});
  }
  if (problems.size() != before) return std::nullopt;
  return c;
}

bool compiled_schedule::matches(std::chrono::system_clock::time_point when) const {
  const auto local = zone_->to_local(std::chrono::time_point_cast<std::chrono::seconds>(when));
  const auto local_day = date::floor<date::days>(local);
  const int minute = static_cast<int>(
      std::chrono::duration_cast<std::chrono::minutes>(local - local_day).count());
  // Monday = 0 .. Sunday = 6.
  const unsigned weekday = (date::weekday{local_day}.c_encoding() + 6) % 7;
  const auto on = [this](unsigned d) { return (days_ >> d) & 1u; };
  if (from_ < to_) return on(weekday) && minute >= from_ && minute < to_;
  // Across midnight: the evening part belongs to today, the morning part to yesterday.
  if (minute >= from_) return on(weekday);
  return minute < to_ && on((weekday + 6) % 7);
}

}  // namespace tollgate::policy::detail
