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
using testing::with_address;

struct host_case {
  std::string host;
  std::int64_t rule;  // -1: default
};

class host_pattern_test : public ::testing::TestWithParam<host_case> {
 protected:
  static std::shared_ptr<const compiled_policy> policy() {
    static auto p = compile_ok({make_rule(1, policy_action::allow, {"example.com"}),
                                make_rule(2, policy_action::allow, {"*.wild.com"}),
                                make_rule(3, policy_action::allow, {".dot.com"}),
                                make_rule(4, policy_action::allow, {"BÜCHER.de"}),
                                make_rule(5, policy_action::allow, {"Upper.Example.ORG."})});
    return p;
  }
};

TEST_P(host_pattern_test, decides_by_the_expected_rule) {
  const auto& c = GetParam();
  const auto d = policy()->decide(anyone(), http_get(c.host));
  EXPECT_EQ(decided_by(d), c.rule) << c.host;
  EXPECT_EQ(d.action, c.rule == -1 ? policy_action::deny : policy_action::allow) << c.host;
}

INSTANTIATE_TEST_SUITE_P(
    exact_wildcard_dot, host_pattern_test,
    ::testing::Values(
        // exact: the name only
        host_case{"example.com", 1}, host_case{"www.example.com", -1}, host_case{"xexample.com", -1},
        host_case{"example.com.evil.net", -1},
        // "*.": subdomains only, any depth
        host_case{"wild.com", -1}, host_case{"a.wild.com", 2}, host_case{"a.b.wild.com", 2},
        host_case{"notwild.com", -1},
        // ".": the domain and its subdomains
        host_case{"dot.com", 3}, host_case{"x.dot.com", 3}, host_case{"x.y.dot.com", 3}, host_case{"xdot.com", -1},
        // case and trailing dot, on either side
        host_case{"EXAMPLE.COM", 1}, host_case{"example.com.", 1}, host_case{"Example.Com.", 1},
        host_case{"A.WILD.COM.", 2}, host_case{"upper.example.org", 5},
        // punycode: the rule was written in Unicode, the request arrives either way
        host_case{"xn--bcher-kva.de", 4}, host_case{"bücher.de", 4}, host_case{"BÜCHER.DE", 4},
        host_case{"bucher.de", -1}));

TEST(host_pattern, address_entries_do_not_match_names) {
  auto p = compile_ok({make_rule(1, policy_action::allow, {"10.0.0.1"})});
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("10.0.0.1.example.com"))), -1);
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("10.0.0.1"))), 1);
}

TEST(host_pattern, a_name_never_slips_past_an_address_rule) {
  auto p = compile_ok({make_rule(1, policy_action::deny, {"10.0.0.0/8"}), make_rule(2, policy_action::allow)});
  EXPECT_EQ(decided_by(p->decide(anyone(), with_address(http_get("innocent.example.com"), "10.20.30.40"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), with_address(http_get("innocent.example.com"), "93.184.216.34"))), 2);
}

TEST(host_pattern, one_rule_named_by_many_entries_is_tried_once) {
  rule r = make_rule(1, policy_action::allow, {"a.com", ".a.com", "*.a.com", "x.a.com"});
  r.mode = rule_mode::report;
  auto p = compile_ok({r, make_rule(2, policy_action::allow)});
  const auto d = p->decide(anyone(), http_get("x.a.com"));
  EXPECT_EQ(decided_by(d), 2);
  EXPECT_EQ(d.would_rule_id, 1);
}

}  // namespace
}  // namespace tollgate::policy
