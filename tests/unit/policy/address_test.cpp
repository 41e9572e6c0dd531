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
using testing::with_address;

struct address_case {
  std::string host;     // as written in the request
  std::string address;  // resolved destination; empty: none given (the literal is used)
  std::int64_t rule;
  bool by_address;
};

std::shared_ptr<const compiled_policy> cidr_policy() {
  rule lab = make_rule(1, policy_action::allow, {"10.1.2.0/24"});
  lab.priority = 5;
  rule private_net = make_rule(2, policy_action::deny, {"10.0.0.0/8", "192.168.0.0/16"});
  private_net.priority = 10;
  rule metadata = make_rule(3, policy_action::deny, {"169.254.169.254"});
  metadata.priority = 10;
  rule v6 = make_rule(4, policy_action::deny, {"2001:db8::/32", "[::1]"});
  v6.priority = 10;
  rule mapped = make_rule(5, policy_action::deny, {"::ffff:172.16.0.0/108"});
  mapped.priority = 10;
  rule docs = make_rule(6, policy_action::allow, {"2001:db8:1::/48"});
  docs.priority = 5;
  rule everything = make_rule(9, policy_action::allow);
  everything.priority = 100;
  return compile_ok({lab, private_net, metadata, v6, mapped, docs, everything});
}

class address_test : public ::testing::TestWithParam<address_case> {};

TEST_P(address_test, every_spelling_meets_the_cidr_rule) {
  static const auto p = cidr_policy();
  const auto& c = GetParam();
  auto facts = http_get(c.host);
  if (!c.address.empty()) facts = with_address(facts, c.address);
  const auto d = p->decide(anyone(), facts);
  EXPECT_EQ(decided_by(d), c.rule) << c.host << " " << c.address;
  EXPECT_EQ(d.matched_by_address, c.by_address) << c.host << " " << c.address;
}

INSTANTIATE_TEST_SUITE_P(
    ipv4, address_test,
    ::testing::Values(address_case{"10.9.8.7", "10.9.8.7", 2, false}, address_case{"10.9.8.7", "", 2, false},
                      address_case{"11.0.0.1", "11.0.0.1", 9, false},
                      address_case{"192.168.1.1", "", 2, false}, address_case{"192.169.0.1", "", 9, false},
                      // the nested /24 comes first and opens the destination by address
                      address_case{"10.1.2.3", "", 1, true}, address_case{"10.1.3.3", "", 2, false},
                      address_case{"10.0.0.0", "", 2, false}, address_case{"10.255.255.255", "", 2, false},
                      address_case{"9.255.255.255", "", 9, false}, address_case{"11.0.0.0", "", 9, false}));

INSTANTIATE_TEST_SUITE_P(
    ipv4_spellings, address_test,
    ::testing::Values(address_case{"167772161", "", 2, false},        // decimal 10.0.0.1
                      address_case{"0xa000001", "", 2, false},        // hex
                      address_case{"0x0A.0x00.0x00.0x01", "", 2, false},
                      address_case{"012.0.0.1", "", 2, false},        // octal 10.0.0.1
                      address_case{"012.1", "", 2, false},            // two-part octal
                      address_case{"10.1", "", 2, false},             // two-part
                      address_case{"0xa9fea9fe", "", 3, false},       // the metadata address
                      address_case{"0251.0376.0251.0376", "", 3, false},
                      address_case{"2852039166", "", 3, false},
                      address_case{"169.254.169.254.", "", 3, false},
                      address_case{"10.1.2.3", "", 1, true}, address_case{"0x0a010203", "", 1, true}));

INSTANTIATE_TEST_SUITE_P(
    ipv6, address_test,
    ::testing::Values(address_case{"[2001:db8::1]", "", 4, false}, address_case{"[2001:DB8:FFFF::]", "", 4, false},
                      address_case{"[2001:db9::1]", "", 9, false}, address_case{"[::1]", "", 4, false},
                      address_case{"[::2]", "", 9, false},
                      address_case{"[2001:db8:1::5]", "", 6, true},
                      address_case{"www.example.com", "2001:db8::5", 4, false}));

INSTANTIATE_TEST_SUITE_P(
    ipv4_mapped, address_test,
    ::testing::Values(address_case{"[::ffff:10.0.0.1]", "", 2, false},
                      address_case{"[::ffff:a00:1]", "", 2, false},
                      address_case{"name.example", "::ffff:10.0.0.1", 2, false},
                      address_case{"name.example", "::ffff:169.254.169.254", 3, false},
                      // a v4-mapped CIDR rule is the IPv4 network
                      address_case{"172.16.5.5", "", 5, false}, address_case{"172.31.255.255", "", 5, false},
                      address_case{"172.32.0.0", "", 9, false},
                      address_case{"[::ffff:172.16.0.1]", "", 5, false}));

TEST(address, matched_by_address_only_when_an_address_entry_decides) {
  auto p = compile_ok({make_rule(1, policy_action::allow, {"intranet.corp", "10.0.0.0/8"})});
  EXPECT_TRUE(p->decide(anyone(), with_address(http_get("intranet.corp"), "10.0.0.5")).matched_by_address);
  EXPECT_TRUE(p->decide(anyone(), with_address(http_get("other.corp"), "10.0.0.5")).matched_by_address);
  const auto by_name = p->decide(anyone(), with_address(http_get("intranet.corp"), "8.8.8.8"));
  EXPECT_EQ(decided_by(by_name), 1);
  EXPECT_FALSE(by_name.matched_by_address);
}

TEST(address, a_deny_by_address_is_never_marked_as_opening_it) {
  auto p = compile_ok({make_rule(1, policy_action::deny, {"10.0.0.0/8"})});
  const auto d = p->decide(anyone(), http_get("10.0.0.1"));
  EXPECT_EQ(d.action, policy_action::deny);
  EXPECT_FALSE(d.matched_by_address);
}

TEST(address, catch_all_networks_cover_their_family_only) {
  auto p = compile_ok({make_rule(1, policy_action::deny, {"0.0.0.0/0"}), make_rule(2, policy_action::allow, {"::/0"})});
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("255.255.255.255"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("0.0.0.0"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]"))), 2);
  EXPECT_EQ(decided_by(p->decide(anyone(), http_get("[::ffff:1.2.3.4]"))), 1);
}

TEST(address, connect_to_an_address_obeys_cidr_rules) {
  auto p = compile_ok({make_rule(1, policy_action::deny, {"127.0.0.0/8"}), make_rule(2, policy_action::allow)});
  EXPECT_EQ(decided_by(p->decide(anyone(), connect_to("2130706433"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), connect_to("[::ffff:127.0.0.1]"))), 1);
  EXPECT_EQ(decided_by(p->decide(anyone(), connect_to("example.com"))), 2);
}

}  // namespace
}  // namespace tollgate::policy
