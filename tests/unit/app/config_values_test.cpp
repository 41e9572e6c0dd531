#include "config_values.hpp"

#include <gtest/gtest.h>

#include <map>

namespace tollgate::app::detail {
namespace {

using namespace std::chrono_literals;

TEST(ConfigDuration, AcceptsEveryUnit) {
  std::string error;
  EXPECT_EQ(parse_duration("200ms", error), 200ms);
  EXPECT_EQ(parse_duration("10s", error), 10s);
  EXPECT_EQ(parse_duration("300s", error), 300s);
  EXPECT_EQ(parse_duration("5m", error), 5min);
  EXPECT_EQ(parse_duration("1h", error), 1h);
  EXPECT_EQ(parse_duration("2d", error), 48h);
  EXPECT_EQ(parse_duration("0s", error), 0ms);
}

TEST(ConfigDuration, RefusesABareNumber) {
  std::string error;
  EXPECT_FALSE(parse_duration("300", error));
  EXPECT_NE(error.find("needs a unit"), std::string::npos) << error;
}

TEST(ConfigDuration, RefusesUnknownUnitsSignsAndJunk) {
  for (const char* text : {"10x", "10 s", "-5s", "s", "", "1.5s", "10S", "5min"}) {
    std::string error;
    EXPECT_FALSE(parse_duration(text, error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(ConfigDuration, RefusesOverflow) {
  std::string error;
  EXPECT_FALSE(parse_duration("99999999999999999999d", error));
  EXPECT_FALSE(parse_duration("9999999999999999d", error));
  EXPECT_NE(error.find("too"), std::string::npos) << error;
}

TEST(ConfigSize, AcceptsBinaryUnitsAndBareBytes) {
  std::string error;
  EXPECT_EQ(parse_size("1GiB", error), 1ull << 30);
  EXPECT_EQ(parse_size("512MiB", error), 512ull << 20);
  EXPECT_EQ(parse_size("64KiB", error), 64ull << 10);
  EXPECT_EQ(parse_size("2TiB", error), 2ull << 40);
  EXPECT_EQ(parse_size("10B", error), 10u);
  EXPECT_EQ(parse_size("16384", error), 16384u);
  EXPECT_EQ(parse_size("0", error), 0u);
}

TEST(ConfigSize, RefusesDecimalUnitsAndOverflow) {
  for (const char* text : {"1GB", "1gib", "1 GiB", "GiB", "-1", "99999999999TiB"}) {
    std::string error;
    EXPECT_FALSE(parse_size(text, error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(ConfigUnsigned, AcceptsDigitsOnly) {
  std::string error;
  EXPECT_EQ(parse_unsigned("42", error), 42u);
  EXPECT_FALSE(parse_unsigned("-1", error));
  EXPECT_EQ(error, "must not be negative");
  EXPECT_FALSE(parse_unsigned("4x", error));
  EXPECT_FALSE(parse_unsigned("", error));
  EXPECT_FALSE(parse_unsigned("1e3", error));
  EXPECT_FALSE(parse_unsigned("99999999999999999999999", error));
}

TEST(ConfigBool, OnlyTrueAndFalse) {
  std::string error;
  EXPECT_EQ(parse_bool("true", error), true);
  EXPECT_EQ(parse_bool("false", error), false);
  EXPECT_FALSE(parse_bool("yes", error));
  EXPECT_FALSE(parse_bool("1", error));
}

TEST(ConfigEnv, SubstitutesVariables) {
  const std::map<std::string, std::string> env{{"HOST", "db"}, {"PORT", "5432"}, {"EMPTY", ""}};
  const env_lookup lookup = [&](const std::string& name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  std::string error;
  EXPECT_EQ(substitute_env("postgresql://${HOST}:${PORT}/x", lookup, error), "postgresql://db:5432/x");
  EXPECT_EQ(substitute_env("a${EMPTY}b", lookup, error), "ab");
  EXPECT_EQ(substitute_env("cost $5 and $${HOST}", lookup, error), "cost $5 and ${HOST}");
  EXPECT_EQ(substitute_env("plain", lookup, error), "plain");
}

TEST(ConfigEnv, UnsetOrMalformedIsAnError) {
  const env_lookup none = [](const std::string&) -> const char* { return nullptr; };
  std::string error;
  EXPECT_FALSE(substitute_env("x${NOPE}y", none, error));
  EXPECT_EQ(error, "environment variable NOPE is not set");
  EXPECT_FALSE(substitute_env("x${NOPE", none, error));
  EXPECT_NE(error.find("unterminated"), std::string::npos);
  EXPECT_FALSE(substitute_env("${1BAD}", none, error));
  EXPECT_FALSE(substitute_env("${}", none, error));
}

TEST(ConfigListen, AcceptsHostPortForms) {
  for (const char* text : {"127.0.0.1:3128", "0.0.0.0:0", "[::1]:3128", "[::]:65535", "proxy.example.com:8080",
                           "localhost:3128"}) {
    std::string error;
    EXPECT_TRUE(check_listen_address(text, error)) << text << ": " << error;
  }
}

TEST(ConfigListen, RefusesBadAddressesAndPorts) {
  for (const char* text : {"127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:", ":3128", "::1:3128",
                           "[::1]3128", "[nonsense]:1", "300.1.1.1:80", "bad_host!:80", "127.0.0.1:80x"}) {
    std::string error;
    EXPECT_FALSE(check_listen_address(text, error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(ConfigLdapUri, AcceptsLdapSchemes) {
  std::string error;
  EXPECT_TRUE(check_ldap_uri("ldap://127.0.0.1:389", error)) << error;
  EXPECT_TRUE(check_ldap_uri("ldaps://ldap.example.com", error)) << error;
  EXPECT_TRUE(check_ldap_uri("ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi", error)) << error;
  EXPECT_FALSE(check_ldap_uri("http://ldap.example.com", error));
  EXPECT_FALSE(check_ldap_uri("ldap://", error));
  EXPECT_FALSE(check_ldap_uri("ldap://host:99999", error));
}

TEST(ConfigSecretFile, TrailingNewlinesAreStripped) {
  EXPECT_EQ(strip_trailing_newlines("secret\n"), "secret");
  EXPECT_EQ(strip_trailing_newlines("secret\r\n\n"), "secret");
  EXPECT_EQ(strip_trailing_newlines("sec\nret"), "sec\nret");
}

}  // namespace
}  // namespace tollgate::app::detail
