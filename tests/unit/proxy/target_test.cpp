#include "target.hpp"

#include <gtest/gtest.h>

namespace tollgate::proxy::detail {
namespace {

TEST(Target, AbsoluteFormWithPortPathAndQuery) {
  absolute_target t;
  ASSERT_EQ(parse_absolute_target("http://Example.com:8080/a/b?c=d", t), target_error::none);
  EXPECT_EQ(t.where.host, "Example.com");
  EXPECT_EQ(t.where.port, 8080);
  EXPECT_EQ(t.path_and_query, "/a/b?c=d");
  EXPECT_EQ(t.path, "/a/b");
}

TEST(Target, DefaultPortAndEmptyPath) {
  absolute_target t;
  ASSERT_EQ(parse_absolute_target("HTTP://example.com", t), target_error::none);
  EXPECT_EQ(t.where.port, 80);
  EXPECT_FALSE(t.where.port_given);
  EXPECT_EQ(t.path_and_query, "/");
}

TEST(Target, QueryWithoutPath) {
  absolute_target t;
  ASSERT_EQ(parse_absolute_target("http://example.com?x=1", t), target_error::none);
  EXPECT_EQ(t.path, "");
  EXPECT_EQ(t.path_and_query, "?x=1");
}

TEST(Target, Ipv6Literal) {
  absolute_target t;
  ASSERT_EQ(parse_absolute_target("http://[::ffff:127.0.0.1]:81/", t), target_error::none);
  EXPECT_EQ(t.where.host, "[::ffff:127.0.0.1]");
  EXPECT_EQ(t.where.port, 81);
}

TEST(Target, Refusals) {
  absolute_target t;
  EXPECT_EQ(parse_absolute_target("/index.html", t), target_error::origin_form);
  EXPECT_EQ(parse_absolute_target("*", t), target_error::origin_form);
  EXPECT_EQ(parse_absolute_target("https://example.com/", t), target_error::unsupported_scheme);
  EXPECT_EQ(parse_absolute_target("ftp://example.com/", t), target_error::unsupported_scheme);
  EXPECT_EQ(parse_absolute_target("http://user:pw@example.com/", t), target_error::userinfo);
  EXPECT_EQ(parse_absolute_target("http://@example.com/", t), target_error::userinfo);
  EXPECT_EQ(parse_absolute_target("http:///x", t), target_error::bad_authority);
  EXPECT_EQ(parse_absolute_target("http://a:b:c/", t), target_error::bad_port);
  EXPECT_EQ(parse_absolute_target("http://a:0/", t), target_error::bad_port);
  EXPECT_EQ(parse_absolute_target("http://a:65536/", t), target_error::bad_port);
  EXPECT_EQ(parse_absolute_target("http://a/#frag", t), target_error::fragment);
  EXPECT_EQ(parse_absolute_target("http://[::1/", t), target_error::bad_authority);
}

TEST(Target, ConnectAuthorityNeedsAPort) {
  authority a;
  EXPECT_EQ(parse_authority("example.com", 0, a), target_error::bad_port);
  ASSERT_EQ(parse_authority("example.com:443", 0, a), target_error::none);
  EXPECT_EQ(a.port, 443);
  ASSERT_EQ(parse_authority("[2001:db8::1]:8443", 0, a), target_error::none);
  EXPECT_EQ(a.host, "[2001:db8::1]");
}

}  // namespace
}  // namespace tollgate::proxy::detail
