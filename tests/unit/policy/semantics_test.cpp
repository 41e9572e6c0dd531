#include "tollgate/policy/compiled_policy.hpp"

#include "policy_test_support.hpp"

#include <gtest/gtest.h>

namespace tollgate::policy {
namespace {

using testing::anyone;
using testing::compile_ok;
using testing::connect_to;
using testing::decided_by;
using testing::http_get;
using testing::make_rule;

struct port_case {
  std::string host;
  bool connect;
  std::uint16_t port;
  std::int64_t rule;
};

class port_test : public ::testing::TestWithParam<port_case> {};

TEST_P(port_test, ports_and_ranges) {
  rule defaults = make_rule(1, policy_action::allow, {"plain.example"});
  rule ranged = make_rule(2, policy_action::allow, {"ranged.example"});
  ranged.ports = {{22, 22}, {8000, 8999}};
  static const auto p = compile_ok({defaults, ranged});
  const auto& c = GetParam();
  const auto facts = c.connect ? connect_to(c.host, c.port) : http_get(c.host, c.port);
  EXPECT_EQ(decided_by(p->decide(anyone(), facts)), c.rule) << c.host << ":" << c.port;
}

INSTANTIATE_TEST_SUITE_P(
    omitted_means_80_and_443, port_test,
    ::testing::Values(port_case{"plain.example", false, 80, 1}, port_case{"plain.example", false, 443, 1},
                      port_case{"plain.example", false, 8080, -1}, port_case{"plain.example", false, 81, -1},
                      port_case{"plain.example", true, 443, 1}, port_case{"plain.example", true, 80, 1},
                      port_case{"plain.example", true, 25, -1}, port_case{"plain.example", true, 8443, -1},
                      port_case{"ranged.example", false, 80, -1}, port_case{"ranged.example", true, 443, -1}));

INSTANTIATE_TEST_SUITE_P(
    ranges, port_test,
    ::testing::Values(port_case{"ranged.example", false, 8000, 2}, port_case{"ranged.example", false, 8500, 2},
                      port_case{"ranged.example", false, 8999, 2}, port_case{"ranged.example", false, 7999, -1},
                      port_case{"ranged.example", false, 9000, -1}, port_case{"ranged.example", true, 22, 2},
                      port_case{"ranged.example", true, 23, -1}, port_case{"ranged.example", true, 8001, 2}));

TEST(named_ports, replace_the_defaults) {
  rule r = make_rule(1, policy_action::allow, {"ranged.example"});
  r.ports = {{8000, 8999}};
  auto p = compile_ok({r});
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("ranged.example", 80))), -1);
  EXPECT_EQ(decided_by(p->decide(anyone(), connect_to("ranged.example", 443))), -1);
}

TEST(connect, never_matches_a_rule_with_path_prefixes) {
  rule api = make_rule(1, policy_action::allow, {"api.example"});
  api.path_prefixes = {"/v1/", "/health"};
  auto p = compile_ok({api});
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("api.example", 80, "/v1/users"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("api.example", 80, "/healthz"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("api.example", 80, "/v2/users"))), -1);
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("api.example", 80, "/V1/users"))), -1);
  EXPECT_EQ(decided_by(p->decide(anyone(), connect_to("api.example", 443))), -1);
}

TEST(connect, a_path_deny_does_not_block_a_tunnel_but_a_hostwide_one_does) {
  rule path_deny = make_rule(1, policy_action::deny, {"site.example"});
  path_deny.path_prefixes = {"/admin"};
  rule allow = make_rule(2, policy_action::allow, {"site.example"});
  auto p = compile_ok({path_deny, allow});
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("site.example", 80, "/admin/x"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), connect_to("site.example"))), 2);
}

TEST(connect, recognised_by_method_alone) {
  rule api = make_rule(1, policy_action::allow, {"api.example"});
  api.path_prefixes = {"/"};
  auto p = compile_ok({api});
  auto facts = http_get("api.example", 443, "/");
  facts.method = "CONNECT";  // is_connect left false by a careless caller
  EXPECT_EQ(decided_by(p->decide(anyone(), facts)), -1);
}

TEST(methods, limit_the_rule) {
  rule r = make_rule(1, policy_action::allow, {"m.example"});
  r.methods = {"GET", "HEAD"};
  auto p = compile_ok({r});
  auto post = http_get("m.example");
  post.method = "POST";
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("m.example"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), post)), -1);
  EXPECT_EQ(decided_by(p->decide(anyone(), connect_to("m.example"))), -1);
}

TEST(groups, any_listed_group_matches_and_empty_means_anyone) {
  rule eng = make_rule(1, policy_action::allow, {"eng.example"});
  eng.groups = {"engineering", "contractors"};
  rule all = make_rule(2, policy_action::allow, {"all.example"});
  auto p = compile_ok({eng, all});
  const identity alice{"alice", {"engineering", "staff"}};
  const identity erin{"erin", {"contractors", "engineering-all"}};
  const identity bob{"bob", {"sales"}};
  const identity nobody{"nobody", {}};
  const identity unsorted{"zed", {"zzz", "engineering", "aaa"}};
  EXPECT_EQ(decided_by(p->decide(alice, http_get("eng.example"))), 1);
  EXPECT_EQ(decided_by(p->decide(erin, http_get("eng.example"))), 1);
  EXPECT_EQ(decided_by(p->decide(unsorted, http_get("eng.example"))), 1);
  EXPECT_EQ(decided_by(p->decide(bob, http_get("eng.example"))), -1);
  EXPECT_EQ(decided_by(p->decide(nobody, http_get("eng.example"))), -1);
  EXPECT_EQ(decided_by(p->decide(bob, http_get("all.example"))), 2);
  EXPECT_EQ(decided_by(p->decide(nobody, http_get("all.example"))), 2);
}

TEST(groups, rules_without_hosts_apply_to_their_groups_in_rule_order) {
  rule contractors_out = make_rule(1, policy_action::deny);
  contractors_out.groups = {"contractors"};
  contractors_out.priority = 5;
  rule site = make_rule(2, policy_action::allow, {"a.example"});
  site.priority = 10;
  rule staff = make_rule(3, policy_action::allow);
  staff.groups = {"engineering", "sales"};
  staff.priority = 20;
  rule rest = make_rule(4, policy_action::deny);
  rest.priority = 30;
  auto p = compile_ok({contractors_out, site, staff, rest});
  const identity erin{"erin", {"contractors", "engineering"}};
  const identity alice{"alice", {"engineering"}};
  const identity bob{"bob", {"sales"}};
  const identity dave{"dave", {"auditors"}};
  EXPECT_EQ(decided_by(p->decide(erin, http_get("a.example"))), 1);
  EXPECT_EQ(decided_by(p->decide(alice, http_get("a.example"))), 2);
  EXPECT_EQ(decided_by(p->decide(alice, http_get("b.example"))), 3);
  EXPECT_EQ(decided_by(p->decide(bob, http_get("b.example"))), 3);
  EXPECT_EQ(decided_by(p->decide(dave, http_get("b.example"))), 4);
  EXPECT_EQ(decided_by(p->decide(identity{"x", {}}, http_get("a.example"))), 2);
}

TEST(order, lower_priority_first_then_lower_id) {
  rule deny_late = make_rule(1, policy_action::deny, {"o.example"});
  deny_late.priority = 20;
  rule allow_early = make_rule(2, policy_action::allow, {".o.example"});
  allow_early.priority = 10;
  rule tie_high_id = make_rule(9, policy_action::allow, {"t.example"});
  tie_high_id.priority = 10;
  rule tie_low_id = make_rule(8, policy_action::deny, {"t.example"});
  tie_low_id.priority = 10;
  auto p = compile_ok({deny_late, allow_early, tie_high_id, tie_low_id});
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("o.example"))), 2);
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("t.example"))), 8);
}

TEST(order, first_match_across_name_any_and_address_lists) {
  rule any = make_rule(1, policy_action::deny);
  any.priority = 30;
  rule by_name = make_rule(2, policy_action::allow, {"x.example"});
  by_name.priority = 20;
  rule by_address = make_rule(3, policy_action::deny, {"192.0.2.0/24"});
  by_address.priority = 10;
  auto p = compile_ok({any, by_name, by_address});
  EXPECT_EQ(decided_by(p->decide(anyone(), testing::with_address(http_get("x.example"), "192.0.2.1"))), 3);
  EXPECT_EQ(decided_by(p->decide(anyone(), testing::with_address(http_get("x.example"), "198.51.100.1"))), 2);
  EXPECT_EQ(decided_by(p->decide(anyone(), testing::with_address(http_get("y.example"), "198.51.100.1"))), 1);
}

TEST(disabled, rules_are_left_out) {
  rule off = make_rule(1, policy_action::deny, {"d.example"});
  off.enabled = false;
  off.hosts.push_back("*.[invalid");  // a disabled rule is not compiled, so not checked either
  rule on = make_rule(2, policy_action::allow, {"d.example"});
  auto p = compile_ok({off, on});
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("d.example"))), 2);
  EXPECT_EQ(p->rule_count(), 1u);
}

TEST(defaults, nothing_matching_takes_the_configured_default) {
  auto deny = compile_ok({make_rule(1, policy_action::allow, {"a.example"})}, 3, policy_action::deny);
  auto allow = compile_ok({make_rule(1, policy_action::deny, {"a.example"})}, 4, policy_action::allow);
  const auto d1 = deny->decide(anyone(), http_get("b.example"));
  const auto d2 = allow->decide(anyone(), http_get("b.example"));
  EXPECT_EQ(d1.action, policy_action::deny);
  EXPECT_FALSE(d1.rule_id.has_value());
  EXPECT_EQ(d1.version, 3);
  EXPECT_EQ(d2.action, policy_action::allow);
  EXPECT_FALSE(d2.rule_id.has_value());
  EXPECT_FALSE(d2.matched_by_address);
  EXPECT_EQ(d2.version, 4);
}

TEST(defaults, empty_policy_decides_by_default) {
  auto p = compiled_policy::empty(0, policy_action::deny);
  const auto d = p->decide(anyone(), http_get("anything.example"));
  EXPECT_EQ(d.action, policy_action::deny);
  EXPECT_EQ(d.version, 0);
}

TEST(version, every_decision_carries_it) {
  auto p = compile_ok({make_rule(1, policy_action::allow, {"a.example"})}, 42);
  EXPECT_EQ(p->decide(anyone(), http_get("a.example")).version, 42);
  EXPECT_EQ(p->decide(anyone(), http_get("b.example")).version, 42);
}

TEST(report_mode, never_decides_but_names_the_first_would_be_rule) {
  rule trial = make_rule(1, policy_action::deny, {".social.example"});
  trial.mode = rule_mode::report;
  trial.priority = 5;
  rule trial2 = make_rule(2, policy_action::deny, {".social.example"});
  trial2.mode = rule_mode::report;
  trial2.priority = 6;
  rule allow = make_rule(3, policy_action::allow, {".example"});
  allow.priority = 10;
  rule after = make_rule(4, policy_action::deny, {"late.example"});
  after.mode = rule_mode::report;
  after.priority = 20;
  auto p = compile_ok({trial, trial2, allow, after});
  const auto d = p->decide(anyone(), http_get("www.social.example"));
  EXPECT_EQ(d.action, policy_action::allow);
  EXPECT_EQ(d.rule_id, 3);
  EXPECT_EQ(d.would_rule_id, 1);
  // A report rule after the deciding one is not reached.
  const auto late = p->decide(anyone(), http_get("late.example"));
  EXPECT_EQ(late.rule_id, 3);
  EXPECT_FALSE(late.would_rule_id.has_value());
}

TEST(report_mode, alone_leaves_the_default_deciding) {
  rule trial = make_rule(1, policy_action::allow, {"r.example"});
  trial.mode = rule_mode::report;
  auto p = compile_ok({trial});
  const auto d = p->decide(anyone(), http_get("r.example"));
  EXPECT_EQ(d.action, policy_action::deny);
  EXPECT_FALSE(d.rule_id.has_value());
  EXPECT_EQ(d.would_rule_id, 1);
  EXPECT_FALSE(p->decide(anyone(), http_get("other.example")).would_rule_id.has_value());
}

TEST(compile, refuses_invalid_rules_naming_the_field) {
  rule bad = make_rule(17, policy_action::allow, {"ok.example", "10.0.0.1/8"});
  bad.ports = {{0, 0}};
  auto result = compiled_policy::compile({bad}, 1, policy_action::deny);
  ASSERT_TRUE(std::holds_alternative<std::vector<rule_problem>>(result));
  const auto& problems = std::get<std::vector<rule_problem>>(result);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "rules[id=17].hosts[1]");
  EXPECT_EQ(problems[1].field, "rules[id=17].ports[0]");
}

}  // namespace
}  // namespace tollgate::policy
