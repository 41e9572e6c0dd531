#include "tollgate/policy/rule_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace tollgate::policy {
namespace {

std::vector<rule_problem> problems_of(std::string_view json) {
  auto r = rule_from_json(boost::json::parse(json));
  if (auto* p = std::get_if<std::vector<rule_problem>>(&r)) return *p;
  return {};
}

std::vector<std::string> fields(const std::vector<rule_problem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.field);
  return out;
}

TEST(rule_json, full_rule_round_trips) {
  const auto json = boost::json::parse(R"({
    "priority": 50, "action": "allow", "groups": ["engineering"],
    "hosts": ["example.com", "*.example.com", "10.0.0.0/8"], "ports": [443, "8000-8999"],
    "methods": ["GET", "CONNECT"], "path_prefixes": ["/api"], "path_case": "insensitive",
    "schedule": {"days": ["mon", "fri"], "from": "08:00", "to": "18:00", "tz": "Europe/Berlin"},
    "mode": "report", "comment": "trial", "enabled": false, "id": 99, "version": 3})");
  auto parsed = rule_from_json(json);
  ASSERT_TRUE(std::holds_alternative<rule>(parsed));
  const auto& r = std::get<rule>(parsed);
  EXPECT_EQ(r.id, 0);  // server-assigned: ignored
  EXPECT_EQ(r.priority, 50);
  EXPECT_EQ(r.action, policy_action::allow);
  EXPECT_EQ(r.ports, (std::vector<port_range>{{443, 443}, {8000, 8999}}));
  ASSERT_TRUE(r.schedule.has_value());
  EXPECT_EQ(r.schedule->tz, "Europe/Berlin");
  EXPECT_EQ(r.mode, rule_mode::report);
  EXPECT_EQ(r.path_case, path_case_mode::insensitive);
  EXPECT_FALSE(r.enabled);

  rule stored = r;
  stored.id = 12;
  stored.version = 4;
  const auto out = rule_to_json(stored);
  EXPECT_EQ(out.at("id").as_int64(), 12);
  EXPECT_EQ(out.at("version").as_int64(), 4);
  EXPECT_EQ(boost::json::serialize(out.at("ports")), R"([443,"8000-8999"])");
  auto again = rule_from_json(out);
  ASSERT_TRUE(std::holds_alternative<rule>(again));
  EXPECT_EQ(std::get<rule>(again), r);
}

TEST(rule_json, omitted_fields_take_the_defaults) {
  auto parsed = rule_from_json(boost::json::parse(R"({"action": "deny"})"));
  ASSERT_TRUE(std::holds_alternative<rule>(parsed));
  const auto& r = std::get<rule>(parsed);
  EXPECT_EQ(r.priority, 1000);
  EXPECT_TRUE(r.groups.empty());
  EXPECT_TRUE(r.ports.empty());
  EXPECT_FALSE(r.schedule.has_value());
  EXPECT_EQ(r.mode, rule_mode::enforce);
  EXPECT_EQ(r.path_case, path_case_mode::exact);
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(rule_to_json(r).at("schedule"), nullptr);
}

struct invalid_case {
  std::string json;
  std::vector<std::string> fields;
};

class rule_json_invalid_test : public ::testing::TestWithParam<invalid_case> {};

TEST_P(rule_json_invalid_test, names_every_bad_field) {
  EXPECT_EQ(fields(problems_of(GetParam().json)), GetParam().fields) << GetParam().json;
}

INSTANTIATE_TEST_SUITE_P(
    fields, rule_json_invalid_test,
    ::testing::Values(
        invalid_case{R"({})", {"action"}}, invalid_case{R"([])", {""}},
        invalid_case{R"({"action": "permit"})", {"action"}},
        invalid_case{R"({"action": "allow", "hots": []})", {"hots"}},
        invalid_case{R"({"action": "allow", "priority": "high"})", {"priority"}},
        invalid_case{R"({"action": "allow", "priority": 1e12})", {"priority"}},
        invalid_case{R"({"action": "allow", "hosts": "example.com"})", {"hosts"}},
        invalid_case{R"({"action": "allow", "hosts": ["ok.com", 5, "bad host", "*.", "a.*.com"]})",
                     {"hosts[1]", "hosts[2]", "hosts[3]", "hosts[4]"}},
        invalid_case{R"({"action": "allow", "hosts": ["10.0.0.1/33", "10.0.0.1/8", "fe80::/129", "*.10.0.0.1"]})",
                     {"hosts[0]", "hosts[1]", "hosts[2]", "hosts[3]"}},
        invalid_case{R"({"action": "allow", "ports": [0, 65536, "9-1", "x", true, 80]})",
                     {"ports[3]", "ports[4]", "ports[0]", "ports[1]", "ports[2]"}},
        invalid_case{R"({"action": "allow", "methods": ["get", "GET", ""]})", {"methods[0]", "methods[2]"}},
        invalid_case{R"({"action": "allow", "path_prefixes": ["api", "/ok", "/a b"]})",
                     {"path_prefixes[0]", "path_prefixes[2]"}},
        invalid_case{R"({"action": "allow", "path_prefixes": ["/a%2fb", "/ok", "/..;/x"]})",
                     {"path_prefixes[0]", "path_prefixes[2]"}},
        invalid_case{R"({"action": "allow", "path_case": "folded"})", {"path_case"}},
        invalid_case{R"({"action": "allow", "groups": [""]})", {"groups[0]"}},
        invalid_case{R"({"action": "allow", "mode": "dry-run", "enabled": "yes"})", {"mode", "enabled"}},
        invalid_case{R"({"action": "allow", "schedule": {"days": ["mon"], "from": "08:00"}})", {"schedule.to"}},
        invalid_case{R"({"action": "allow", "schedule": {"tz": "Nowhere/City", "when": 1}})",
                     {"schedule.when", "schedule.tz"}},
        invalid_case{R"({"action": "allow", "schedule": "weekdays"})", {"schedule"}}));

TEST(rule_json, huge_numbers_are_refused_not_cast) {
  // Regression (fuzz_admin_input under UBSan): 7.8e48 as a priority was cast to int64.
  for (const char* text : {R"({"priority": 7.77778e48, "action": "allow"})", R"({"priority": -1e300, "action": "allow"})",
                           R"({"ports": [1e20], "action": "allow"})"}) {
    const auto parsed = rule_from_json(boost::json::parse(text));
    EXPECT_TRUE(std::holds_alternative<std::vector<rule_problem>>(parsed)) << text;
  }
  const auto whole = rule_from_json(boost::json::parse(R"({"priority": 20.0, "action": "allow"})"));
  ASSERT_TRUE(std::holds_alternative<rule>(whole));
  EXPECT_EQ(std::get<rule>(whole).priority, 20);
}

TEST(rule_validation, a_valid_rule_has_no_problems) {
  rule r;
  r.action = policy_action::allow;
  r.hosts = {"example.com", ".example.org", "*.example.net", "192.168.0.0/16", "2001:db8::/32", "[::1]",
             "bücher.de"};
  r.ports = {{1, 65535}};
  r.schedule = rule_schedule{{"sat", "Sun"}, "22:00", "06:00", "Asia/Tokyo"};
  EXPECT_TRUE(validate_rule(r).empty());
}

TEST(rule_order, priority_then_id) {
  std::vector<rule> rules(4);
  rules[0].id = 4; rules[0].priority = 10;
  rules[1].id = 2; rules[1].priority = 20;
  rules[2].id = 3; rules[2].priority = 10;
  rules[3].id = 1; rules[3].priority = 30;
  sort_rules(rules);
  EXPECT_EQ(rules[0].id, 3);
  EXPECT_EQ(rules[1].id, 4);
  EXPECT_EQ(rules[2].id, 2);
  EXPECT_EQ(rules[3].id, 1);
}

}  // namespace
}  // namespace tollgate::policy
