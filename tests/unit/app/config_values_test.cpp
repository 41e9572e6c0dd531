#include "config_values.hpp"

#include <gtest/gtest.h>

#include <map>

namespace tollgate::app::detail {
namespace {

using namespace std::chrono_literals;

TEST(ConfigDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("200ms").value(), 200ms);
  EXPECT_EQ(parse_duration("10s").value(), 10s);
  EXPECT_EQ(parse_duration("300s").value(), 300s);
  EXPECT_EQ(parse_duration("5m").value(), 5min);
  EXPECT_EQ(parse_duration("1h").value(), 1h);
  EXPECT_EQ(parse_duration("2d").value(), 48h);
  EXPECT_EQ(parse_duration("0s").value(), 0ms);
}

TEST(ConfigDuration, RefusesABareNumber) {
  const auto d = parse_duration("300");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, error::bad_duration);
  EXPECT_NE(d.error().message().find("needs a unit"), std::string::npos) << d.error().message();
}

TEST(ConfigDuration, RefusesUnknownUnitsSignsAndJunk) {
  for (const char* text : {"10x", "10 s", "-5s", "s", "", "1.5s", "10S", "5min"}) {
    const auto d = parse_duration(text);
    ASSERT_FALSE(d) << text;
    EXPECT_FALSE(d.error().detail.empty()) << text;
  }
}

TEST(ConfigDuration, RefusesOverflow) {
  EXPECT_FALSE(parse_duration("99999999999999999999d"));
  const auto d = parse_duration("9999999999999999d");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("too"), std::string::npos) << d.error().message();
}

TEST(ConfigSize, AcceptsBinaryUnitsAndBareBytes) {
  EXPECT_EQ(parse_size("1GiB").value(), 1ull << 30);
  EXPECT_EQ(parse_size("512MiB").value(), 512ull << 20);
  EXPECT_EQ(parse_size("64KiB").value(), 64ull << 10);
  EXPECT_EQ(parse_size("2TiB").value(), 2ull << 40);
  EXPECT_EQ(parse_size("10B").value(), 10u);
  EXPECT_EQ(parse_size("16384").value(), 16384u);
  EXPECT_EQ(parse_size("0").value(), 0u);
}

TEST(ConfigSize, RefusesDecimalUnitsAndOverflow) {
  for (const char* text : {"1GB", "1gib", "1 GiB", "GiB", "-1", "99999999999TiB"}) {
    const auto n = parse_size(text);
    ASSERT_FALSE(n) << text;
    EXPECT_EQ(n.error().code, error::bad_size) << text;
    EXPECT_FALSE(n.error().detail.empty()) << text;
  }
}

TEST(ConfigUnsigned, AcceptsDigitsOnly) {
  EXPECT_EQ(parse_unsigned("42").value(), 42u);
  const auto negative = parse_unsigned("-1");
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().message(), "must not be negative");
  EXPECT_FALSE(parse_unsigned("4x"));
  EXPECT_FALSE(parse_unsigned(""));
  EXPECT_FALSE(parse_unsigned("1e3"));
  const auto huge = parse_unsigned("99999999999999999999999");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().message(), "number is too large");
}

TEST(ConfigBool, OnlyTrueAndFalse) {
  EXPECT_EQ(parse_bool("true").value(), true);
  EXPECT_EQ(parse_bool("false").value(), false);
  EXPECT_FALSE(parse_bool("yes"));
  EXPECT_FALSE(parse_bool("1"));
}

TEST(ConfigEnv, SubstitutesVariables) {
  const std::map<std::string, std::string> env{{"HOST", "db"}, {"PORT", "5432"}, {"EMPTY", ""}};
  const env_lookup lookup = [&](const std::string& name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_EQ(substitute_env("postgresql://${HOST}:${PORT}/x", lookup).value(), "postgresql://db:5432/x");
  EXPECT_EQ(substitute_env("a${EMPTY}b", lookup).value(), "ab");
  EXPECT_EQ(substitute_env("cost $5 and $${HOST}", lookup).value(), "cost $5 and ${HOST}");
  EXPECT_EQ(substitute_env("plain", lookup).value(), "plain");
}

TEST(ConfigEnv, UnsetOrMalformedIsAnError) {
  const env_lookup none = [](const std::string&) -> const char* { return nullptr; };
  const auto unset = substitute_env("x${NOPE}y", none);
  ASSERT_FALSE(unset);
  EXPECT_EQ(unset.error().code, error::env_unset);
  EXPECT_EQ(unset.error().message(), "environment variable NOPE is not set");
  const auto open = substitute_env("x${NOPE", none);
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message().find("unterminated"), std::string::npos);
  EXPECT_FALSE(substitute_env("${1BAD}", none));
  EXPECT_FALSE(substitute_env("${}", none));
}

TEST(ConfigListen, AcceptsHostPortForms) {
  for (const char* text : {"127.0.0.1:3128", "0.0.0.0:0", "[::1]:3128", "[::]:65535", "proxy.example.com:8080",
                           "localhost:3128"}) {
    const auto checked = check_listen_address(text);
    EXPECT_TRUE(checked) << text << ": " << (checked ? "" : checked.error().message());
  }
}

TEST(ConfigListen, RefusesBadAddressesAndPorts) {
  for (const char* text : {"127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:", ":3128", "::1:3128",
                           "[::1]3128", "[nonsense]:1", "300.1.1.1:80", "bad_host!:80", "127.0.0.1:80x"}) {
    const auto checked = check_listen_address(text);
    ASSERT_FALSE(checked) << text;
    EXPECT_EQ(checked.error().code, error::bad_address) << text;
    EXPECT_FALSE(checked.error().detail.empty()) << text;
  }
}

TEST(ConfigLdapUri, AcceptsLdapSchemes) {
  EXPECT_TRUE(check_ldap_uri("ldap://127.0.0.1:389"));
  EXPECT_TRUE(check_ldap_uri("ldaps://ldap.example.com"));
  EXPECT_TRUE(check_ldap_uri("ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi"));
  EXPECT_FALSE(check_ldap_uri("http://ldap.example.com"));
  EXPECT_FALSE(check_ldap_uri("ldap://"));
  EXPECT_FALSE(check_ldap_uri("ldap://host:99999"));
}

TEST(ConfigSecretFile, TrailingNewlinesAreStripped) {
  EXPECT_EQ(strip_trailing_newlines("secret\n"), "secret");
  EXPECT_EQ(strip_trailing_newlines("secret\r\n\n"), "secret");
  EXPECT_EQ(strip_trailing_newlines("sec\nret"), "sec\nret");
}

}  // namespace
}  // namespace tollgate::app::detail
