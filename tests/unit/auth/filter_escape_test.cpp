#include "tollgate/auth/filter_escape.hpp"

#include <gtest/gtest.h>

using tollgate::auth::escape_filter_value;
using tollgate::auth::expand_filter;

TEST(filter_escape, plain_names_pass_unchanged) { EXPECT_EQ(escape_filter_value("alice.smith-2"), "alice.smith-2"); }

TEST(filter_escape, rfc4515_specials_are_hex_escaped) {
  EXPECT_EQ(escape_filter_value("*"), "\\2a");
  EXPECT_EQ(escape_filter_value("("), "\\28");
  EXPECT_EQ(escape_filter_value(")"), "\\29");
  EXPECT_EQ(escape_filter_value("\\"), "\\5c");
  EXPECT_EQ(escape_filter_value(std::string_view("a\0b", 3)), "a\\00b");
}

TEST(filter_escape, injection_attempt_cannot_close_the_filter) {
  const auto out = escape_filter_value("*)(uid=*))(|(uid=*");
  EXPECT_EQ(out, "\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a");
  EXPECT_EQ(out.find_first_of("*()"), std::string::npos);
}

TEST(filter_escape, non_ascii_and_control_bytes_are_escaped) {
  EXPECT_EQ(escape_filter_value("j\xc3\xb6rg"), "j\\c3\\b6rg");
  EXPECT_EQ(escape_filter_value("a\nb\x7f"), "a\\0ab\\7f");
}

TEST(filter_escape, expand_replaces_both_tokens_escaped) {
  EXPECT_EQ(expand_filter("(&(member={dn})(x={user}))", "a*", "cn=Smith\\, J,ou=g"),
            "(&(member=cn=Smith\\5c, J,ou=g)(x=a\\2a))");
}

TEST(filter_escape, expand_keeps_other_braces_and_repeats) {
  EXPECT_EQ(expand_filter("(|(uid={user})(mail={user}@x)({other}=1))", "bob"),
            "(|(uid=bob)(mail=bob@x)({other}=1))");
}
