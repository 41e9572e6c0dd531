#include "tollgate/app/rules_file.hpp"

#include "tollgate/testing/temp_dir.hpp"

#include <gtest/gtest.h>

namespace tollgate::app {
namespace {

using tollgate::testing::temp_dir;

std::vector<config_problem> problems_of(const std::string& yaml) {
  temp_dir dir;
  auto r = load_rules_file(dir.write("rules.yaml", yaml));
  if (auto* p = std::get_if<std::vector<config_problem>>(&r)) return *p;
  ADD_FAILURE() << "expected problems";
  return {};
}

TEST(rules_file, reads_every_field_with_yaml_scalars_as_written) {
  temp_dir dir;
  const auto path = dir.write("rules.yaml", R"(
- priority: 10
  action: deny
  hosts: ["169.254.169.254", "10.0.0.0/8"]
  comment: metadata and private ranges
- action: allow
  groups: [engineering]
  hosts: [example.com, "*.example.com", .example.org]
  ports: [443, "8000-8999"]
  methods: [GET, CONNECT]
  schedule: {days: [mon, tue, wed, thu, fri], from: "08:00", to: 18:00, tz: Europe/Berlin}
  mode: report
  enabled: false
- action: allow
  path_prefixes: [/api/]
)");
  auto r = load_rules_file(path);
  ASSERT_TRUE(std::holds_alternative<std::vector<policy::rule>>(r));
  const auto& rules = std::get<std::vector<policy::rule>>(r);
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].priority, 10);
  EXPECT_EQ(rules[0].action, policy::policy_action::deny);
  EXPECT_EQ(rules[0].comment, "metadata and private ranges");
  EXPECT_EQ(rules[1].groups, std::vector<std::string>{"engineering"});
  EXPECT_EQ(rules[1].hosts, (std::vector<std::string>{"example.com", "*.example.com", ".example.org"}));
  EXPECT_EQ(rules[1].ports, (std::vector<policy::port_range>{{443, 443}, {8000, 8999}}));
  ASSERT_TRUE(rules[1].schedule.has_value());
  EXPECT_EQ(rules[1].schedule->from, "08:00");
  EXPECT_EQ(rules[1].schedule->to, "18:00");
  EXPECT_EQ(rules[1].schedule->days.size(), 5u);
  EXPECT_EQ(rules[1].mode, policy::rule_mode::report);
  EXPECT_FALSE(rules[1].enabled);
  EXPECT_EQ(rules[2].priority, 1000);
  EXPECT_TRUE(rules[2].enabled);
  EXPECT_EQ(rules[2].path_prefixes, std::vector<std::string>{"/api/"});
}

TEST(rules_file, problems_carry_line_and_field) {
  const auto problems = problems_of(R"(- action: allow
  hosts:
    - example.com
    - "bad host"
- action: maybe
  ports: [80, 70000]
- id: 4
  action: deny
)");
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].key, "rules[0].hosts[1]");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[1].key, "rules[1].action");
  EXPECT_EQ(problems[1].line, 5);
  EXPECT_EQ(problems[2].key, "rules[1].ports[1]");
  EXPECT_EQ(problems[2].line, 6);
  EXPECT_EQ(problems[3].key, "rules[2].id");
  EXPECT_EQ(problems[3].line, 7);
}

TEST(rules_file, must_be_a_list) {
  const auto problems = problems_of("action: allow\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "must be a list of rules");
}

TEST(rules_file, yaml_syntax_errors_name_the_line) {
  const auto problems = problems_of("- action: allow\n  hosts: [unclosed\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_GT(problems[0].line, 0);
}

TEST(rules_file, missing_file_is_a_problem_not_an_exception) {
  auto r = load_rules_file("/nonexistent/rules.yaml");
  ASSERT_TRUE(std::holds_alternative<std::vector<config_problem>>(r));
}

TEST(rules_file, empty_file_holds_no_rules) {
  temp_dir dir;
  auto r = load_rules_file(dir.write("rules.yaml", "# nothing yet\n"));
  ASSERT_TRUE(std::holds_alternative<std::vector<policy::rule>>(r));
  EXPECT_TRUE(std::get<std::vector<policy::rule>>(r).empty());
}

}  // namespace
}  // namespace tollgate::app
