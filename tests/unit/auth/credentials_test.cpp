#include "tollgate/auth/credentials.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

using tollgate::auth::credentials_error;
using tollgate::auth::parse_proxy_authorization;

namespace {

std::string b64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

credentials_error error_of(const std::string& header) {
  const auto r = parse_proxy_authorization(header);
  EXPECT_FALSE(r.has_value()) << header;
  return r.has_value() ? credentials_error{} : static_cast<credentials_error>(r.error().value());
}

}  // namespace

TEST(credentials, basic_user_and_password) {
  const auto r = parse_proxy_authorization("Basic " + b64("alice:alice-pw"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, "alice");
  EXPECT_EQ(r->password, "alice-pw");
}

TEST(credentials, scheme_is_case_insensitive) {
  for (const char* scheme : {"basic ", "BASIC ", "bAsIc "}) {
    const auto r = parse_proxy_authorization(scheme + b64("bob:pw"));
    ASSERT_TRUE(r.has_value()) << scheme;
    EXPECT_EQ(r->user, "bob");
  }
}

TEST(credentials, password_keeps_colons_after_the_first) {
  const auto r = parse_proxy_authorization("Basic " + b64("carol:a:b:c"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, "carol");
  EXPECT_EQ(r->password, "a:b:c");
}

TEST(credentials, surrounding_whitespace_around_token_is_tolerated) {
  const auto r = parse_proxy_authorization("Basic   " + b64("dave:pw") + " \t");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, "dave");
}

TEST(credentials, missing_header) { EXPECT_EQ(error_of(""), credentials_error::missing); }

TEST(credentials, other_scheme) {
  EXPECT_EQ(error_of("Bearer abc"), credentials_error::not_basic);
  EXPECT_EQ(error_of("Basic"), credentials_error::not_basic);
  EXPECT_EQ(error_of("Basicx " + b64("a:b")), credentials_error::not_basic);
}

TEST(credentials, bad_base64) {
  EXPECT_EQ(error_of("Basic !!!!"), credentials_error::bad_base64);
  EXPECT_EQ(error_of("Basic YWxpY2U"), credentials_error::bad_base64);   // not a multiple of 4
  EXPECT_EQ(error_of("Basic YW=jZTp4"), credentials_error::bad_base64);  // padding inside
  EXPECT_EQ(error_of("Basic YWxp Y2U6"), credentials_error::bad_base64);
  EXPECT_EQ(error_of("Basic "), credentials_error::bad_base64);
}

TEST(credentials, no_colon) { EXPECT_EQ(error_of("Basic " + b64("alice")), credentials_error::no_colon); }

TEST(credentials, empty_user) { EXPECT_EQ(error_of("Basic " + b64(":pw")), credentials_error::empty_user); }

TEST(credentials, empty_password_is_refused) {
  EXPECT_EQ(error_of("Basic " + b64("alice:")), credentials_error::empty_password);
}

TEST(credentials, password_with_a_nul_is_refused) {
  EXPECT_EQ(error_of("Basic " + b64(std::string("alice:pw\0rest", 14))), credentials_error::nul_in_password);
  EXPECT_EQ(error_of("Basic " + b64(std::string("alice:\0", 7))), credentials_error::nul_in_password);
  EXPECT_EQ(make_error_code(credentials_error::nul_in_password).message(), "password contains a NUL byte");
}

TEST(credentials, non_utf8_user) {
  EXPECT_EQ(error_of("Basic " + b64("\xff\xfe:pw")), credentials_error::bad_utf8_user);
  EXPECT_EQ(error_of("Basic " + b64("a\xc3:pw")), credentials_error::bad_utf8_user);          // truncated
  EXPECT_EQ(error_of("Basic " + b64("\xc0\xaf:pw")), credentials_error::bad_utf8_user);       // overlong '/'
  EXPECT_EQ(error_of("Basic " + b64("\xed\xa0\x80:pw")), credentials_error::bad_utf8_user);   // surrogate
  EXPECT_EQ(error_of("Basic " + b64(std::string("a\0b:pw", 6))), credentials_error::bad_utf8_user);
}

TEST(credentials, utf8_user_is_accepted) {
  const auto r = parse_proxy_authorization("Basic " + b64("j\xc3\xb6rg:pw"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, "j\xc3\xb6rg");
}

TEST(credentials, over_long_header) {
  EXPECT_EQ(error_of("Basic " + b64("u:" + std::string(5000, 'x'))), credentials_error::too_long);
}

TEST(credentials, error_messages_are_readable) {
  EXPECT_EQ(make_error_code(credentials_error::empty_password).message(), "empty password");
}
