// Path rules against normalised paths (issue 16): prefixes are normalised as request
// paths are, ';' parameters are read both ways, and case is folded only on request.
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

rule path_rule(std::int64_t id, policy_action action, std::vector<std::string> prefixes,
               path_case_mode mode = path_case_mode::exact) {
  rule r = make_rule(id, action, {"site.example"});
  r.path_prefixes = std::move(prefixes);
  r.path_case = mode;
  return r;
}

std::int64_t decide_path(const std::shared_ptr<const compiled_policy>& p, const std::string& path) {
  return decided_by(p->decide(anyone(), http_get("site.example", 80, path)));
}

TEST(path_rules, dot_segments_are_resolved_before_matching) {
  auto p = compile_ok({path_rule(1, policy_action::allow, {"/public/"})});
  EXPECT_EQ(decide_path(p, "/public/a"), 1);
  EXPECT_EQ(decide_path(p, "/public/../internal/"), -1);
  EXPECT_EQ(decide_path(p, "//public//a"), 1);
  EXPECT_EQ(decide_path(p, "/%70ublic/a"), 1);
}

TEST(path_rules, prefixes_are_normalised_like_paths) {
  auto p = compile_ok({path_rule(1, policy_action::deny, {"/%7euser/", "/a//b/./c/", "/caf%c3%a9/"}),
                       make_rule(2, policy_action::allow, {"site.example"})});
  EXPECT_EQ(decide_path(p, "/~user/x"), 1);
  EXPECT_EQ(decide_path(p, "/a/b/c/x"), 1);
  EXPECT_EQ(decide_path(p, "/caf%C3%A9/x"), 1);
  EXPECT_EQ(decide_path(p, "/caf\xc3\xa9/x"), 1);
  EXPECT_EQ(decide_path(p, "/other"), 2);
}

TEST(path_rules, an_allow_needs_both_readings_of_parameters) {
  auto p = compile_ok({path_rule(1, policy_action::allow, {"/public/"})});
  EXPECT_EQ(decide_path(p, "/public/a.jsp;jsessionid=1"), 1);
  EXPECT_EQ(decide_path(p, "/public;x/a"), -1);  // /public;x/ to most servers, /public/ to Tomcat
  EXPECT_EQ(decide_path(p, "/public%3Bx/a"), -1);
}

TEST(path_rules, a_deny_takes_either_reading_of_parameters) {
  auto p = compile_ok({path_rule(1, policy_action::deny, {"/admin/"}),
                       make_rule(2, policy_action::allow, {"site.example"})});
  EXPECT_EQ(decide_path(p, "/admin;x/secret"), 1);
  EXPECT_EQ(decide_path(p, "/admin%3bx/secret"), 1);
  EXPECT_EQ(decide_path(p, "/;x/admin/secret"), 1);
  EXPECT_EQ(decide_path(p, "/administrator;x/"), 2);
}

TEST(path_rules, case_is_exact_unless_the_rule_says_insensitive) {
  auto exact = compile_ok({path_rule(1, policy_action::deny, {"/Admin/"}),
                           make_rule(2, policy_action::allow, {"site.example"})});
  EXPECT_EQ(decide_path(exact, "/Admin/x"), 1);
  EXPECT_EQ(decide_path(exact, "/ADMIN/x"), 2);
  auto folded = compile_ok({path_rule(1, policy_action::deny, {"/Admin/"}, path_case_mode::insensitive),
                            make_rule(2, policy_action::allow, {"site.example"})});
  EXPECT_EQ(decide_path(folded, "/ADMIN/x"), 1);
  EXPECT_EQ(decide_path(folded, "/aDmIn/x"), 1);
  EXPECT_EQ(decide_path(folded, "/%41dmin/x"), 1);
}

TEST(path_rules, a_case_insensitive_rule_reads_the_path_as_windows_does) {
  auto p = compile_ok({path_rule(1, policy_action::deny, {"/admin/"}, path_case_mode::insensitive),
                       path_rule(2, policy_action::allow, {"/docs/"}, path_case_mode::insensitive),
                       path_rule(3, policy_action::deny, {"/exact/"}),
                       make_rule(4, policy_action::allow, {"site.example"})});
  EXPECT_EQ(decide_path(p, "/ADMIN./x"), 1);
  EXPECT_EQ(decide_path(p, "/admin%20/x"), 1);
  EXPECT_EQ(decide_path(p, "/Admin.;x/y"), 1);
  EXPECT_EQ(decide_path(p, "/%20;x/admin/y"), 1);  // found by fuzzing: " " is no name on Windows
  EXPECT_EQ(decide_path(p, "/docs/a."), 2);
  EXPECT_EQ(decide_path(p, "/docs./a"), 4);   // not every reading is under /docs/
  EXPECT_EQ(decide_path(p, "/exact./x"), 4);  // an exact rule: the origin is not Windows
}

TEST(path_rules, a_prefix_no_request_can_have_is_refused) {
  for (const std::string bad : {"/a%2fb", "/a\\b", "/..;/x", "/%2e%2e/", "/a%zz", "/%c0%ae/"}) {
    rule r = path_rule(1, policy_action::deny, {bad});
    const auto problems = validate_rule(r);
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].field, "path_prefixes[0]") << bad;
  }
}

}  // namespace
}  // namespace tollgate::policy
