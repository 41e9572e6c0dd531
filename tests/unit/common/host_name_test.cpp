#include "tollgate/common/host_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

struct host_case {
  std::string input;
  std::string name;  // expected canonical spelling; empty: must fail
  bool literal;
};

class normalise_host_test : public ::testing::TestWithParam<host_case> {};

TEST_P(normalise_host_test, canonical_spelling) {
  const auto& c = GetParam();
  const auto r = tollgate::normalise_host(c.input);
  if (c.name.empty()) {
    EXPECT_FALSE(r.has_value()) << c.input << " -> " << (r ? r->name : "");
    return;
  }
  ASSERT_TRUE(r.has_value()) << c.input;
  EXPECT_EQ(r->name, c.name) << c.input;
  EXPECT_EQ(r->literal.has_value(), c.literal) << c.input;
  if (r->literal) {
    EXPECT_EQ(r->literal->to_string(), c.name);
  }
}

INSTANTIATE_TEST_SUITE_P(
    names, normalise_host_test,
    ::testing::Values(host_case{"example.com", "example.com", false},
                      host_case{"EXAMPLE.Com", "example.com", false},
                      host_case{"example.com.", "example.com", false},
                      host_case{"WWW.Example.COM.", "www.example.com", false},
                      host_case{"a-b_c.example", "a-b_c.example", false},
                      host_case{"host1", "host1", false},
                      host_case{"bücher.de", "xn--bcher-kva.de", false},
                      host_case{"BÜCHER.DE", "xn--bcher-kva.de", false},
                      host_case{"xn--bcher-kva.de", "xn--bcher-kva.de", false},
                      host_case{"例え.jp", "xn--r8jz45g.jp", false},
                      host_case{"example.com..", "", false},
                      host_case{".example.com", "", false},
                      host_case{"a..b", "", false},
                      host_case{"", "", false},
                      host_case{".", "", false},
                      host_case{"exa mple.com", "", false},
                      host_case{"exa/mple.com", "", false},
                      host_case{"ex%41mple.com", "", false},
                      host_case{"*.example.com", "", false},
                      host_case{std::string(64, 'a') + ".com", "", false},
                      host_case{std::string(63, 'a') + ".com", std::string(63, 'a') + ".com", false}));

INSTANTIATE_TEST_SUITE_P(
    ipv4_spellings, normalise_host_test,
    ::testing::Values(host_case{"127.0.0.1", "127.0.0.1", true},
                      host_case{"127.0.0.1.", "127.0.0.1", true},
                      host_case{"2130706433", "127.0.0.1", true},
                      host_case{"0x7f000001", "127.0.0.1", true},
                      host_case{"0x7F.1", "127.0.0.1", true},
                      host_case{"0177.0.0.1", "127.0.0.1", true},
                      host_case{"0177.1", "127.0.0.1", true},
                      host_case{"127.1", "127.0.0.1", true},
                      host_case{"10.0.258", "10.0.1.2", true},
                      host_case{"017700000001", "127.0.0.1", true},
                      host_case{"169.254.169.254", "169.254.169.254", true},
                      host_case{"0xa9fea9fe", "169.254.169.254", true},
                      host_case{"256.0.0.1", "", false},
                      host_case{"1.2.3.4.5", "", false},
                      host_case{"08.0.0.1", "", false},
                      host_case{"4294967296", "", false},
                      host_case{"0x100000000", "", false},
                      host_case{"example.123", "", false},
                      // Full-width digits fold to ASCII ones: still the loopback address.
                      host_case{"１２７.０.０.１", "127.0.0.1", true}));

INSTANTIATE_TEST_SUITE_P(
    ipv6, normalise_host_test,
    ::testing::Values(host_case{"[::1]", "::1", true},
                      host_case{"::1", "::1", true},
                      host_case{"[2001:DB8::1]", "2001:db8::1", true},
                      host_case{"[::ffff:127.0.0.1]", "127.0.0.1", true},
                      host_case{"[::ffff:7f00:1]", "127.0.0.1", true},
                      host_case{"[fe80::1%eth0]", "", false},
                      host_case{"[::1", "", false},
                      host_case{"[]", "", false},
                      host_case{"[example.com]", "", false},
                      host_case{"1:2:3", "", false}));

struct loose_case {
  std::string input;
  std::string address;  // empty: not an address
};

class parse_loose_ipv4_test : public ::testing::TestWithParam<loose_case> {};

TEST_P(parse_loose_ipv4_test, inet_aton_forms) {
  const auto& c = GetParam();
  const auto a = tollgate::parse_loose_ipv4(c.input);
  if (c.address.empty()) {
    EXPECT_FALSE(a.has_value()) << c.input;
  } else {
    ASSERT_TRUE(a.has_value()) << c.input;
    EXPECT_EQ(a->to_string(), c.address);
  }
}

INSTANTIATE_TEST_SUITE_P(forms, parse_loose_ipv4_test,
                         ::testing::Values(loose_case{"1.2.3.4", "1.2.3.4"}, loose_case{"1.2.3", "1.2.0.3"},
                                           loose_case{"1.65535", "1.0.255.255"}, loose_case{"1.65536", "1.1.0.0"},
                                           loose_case{"1.16777216", ""}, loose_case{"0", "0.0.0.0"},
                                           loose_case{"0x", "0.0.0.0"}, loose_case{"0xg", ""},
                                           loose_case{"09", ""}, loose_case{"", ""}, loose_case{"1..2", ""},
                                           loose_case{"1.2.3.", ""}, loose_case{"-1", ""},
                                           loose_case{"4294967295", "255.255.255.255"},
                                           loose_case{"99999999999999999999", ""}));

}  // namespace
