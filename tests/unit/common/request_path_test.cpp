#include "tollgate/common/request_path.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tollgate {
namespace {

struct normal_case {
  std::string in;
  std::string out;
};

class NormalisedPath : public ::testing::TestWithParam<normal_case> {};

TEST_P(NormalisedPath, HasOneSpelling) {
  const auto r = normalise_request_path(GetParam().in);
  ASSERT_TRUE(r) << GetParam().in << ": " << r.error().message();
  EXPECT_EQ(*r, GetParam().out) << GetParam().in;
  // A fixed point: the origin, normalising again, lands on the same path.
  const auto again = normalise_request_path(*r);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *r);
}

INSTANTIATE_TEST_SUITE_P(
    RequestPath, NormalisedPath,
    ::testing::Values(normal_case{"/", "/"}, normal_case{"/public/", "/public/"},
                      normal_case{"/public/a.html", "/public/a.html"},
                      // RFC 3986 section 5.2.4 and its examples
                      normal_case{"/a/b/c/./../../g", "/a/g"}, normal_case{"/mid/content=5/../6", "/mid/6"},
                      normal_case{"/public/../internal/", "/internal/"}, normal_case{"/../../etc/passwd", "/etc/passwd"},
                      normal_case{"/a/b/..", "/a/"}, normal_case{"/a/b/.", "/a/b/"}, normal_case{"/..", "/"},
                      normal_case{"/./a", "/a"},
                      // repeated slashes collapse before dot segments are removed (as nginx does)
                      normal_case{"//a///b", "/a/b"}, normal_case{"/a//../b", "/b"}, normal_case{"/a/", "/a/"},
                      normal_case{"/a//", "/a/"},
                      // unreserved characters decode, other escapes get upper-case hex
                      normal_case{"/%7Euser/%41%62c", "/~user/Abc"}, normal_case{"/a%2eb", "/a.b"},
                      normal_case{"/caf%c3%a9", "/caf%C3%A9"}, normal_case{"/caf\xc3\xa9", "/caf%C3%A9"},
                      normal_case{"/a%20b", "/a%20b"}, normal_case{"/a%3bb", "/a%3Bb"},
                      normal_case{"/100%25", "/100%25"}, normal_case{"/a%25zz", "/a%25zz"},
                      normal_case{"/what%3f/x%23y", "/what%3F/x%23y"}, normal_case{"/a%2541", "/a%2541"},
                      // path parameters stay (only a dot segment with one is refused)
                      normal_case{"/app/page;jsessionid=1", "/app/page;jsessionid=1"},
                      normal_case{"/a;x/../b", "/b"}, normal_case{"/.a/..b/b..", "/.a/..b/b.."}));

struct refused_case {
  std::string in;
  path_error why;
};

class RefusedPath : public ::testing::TestWithParam<refused_case> {};

TEST_P(RefusedPath, IsRefusedWithItsReason) {
  const auto r = normalise_request_path(GetParam().in);
  ASSERT_FALSE(r) << GetParam().in << " became " << *r;
  EXPECT_EQ(r.error(), make_error_code(GetParam().why)) << GetParam().in << ": " << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    RequestPath, RefusedPath,
    ::testing::Values(refused_case{"", path_error::not_absolute}, refused_case{"a/b", path_error::not_absolute},
                      refused_case{"/a%", path_error::bad_percent_encoding},
                      refused_case{"/a%4", path_error::bad_percent_encoding},
                      refused_case{"/a%zz", path_error::bad_percent_encoding},
                      refused_case{"/%u002e%u002e/x", path_error::bad_percent_encoding},
                      refused_case{"/%%32%65", path_error::bad_percent_encoding},
                      refused_case{"/a%00.html", path_error::encoded_nul},
                      refused_case{std::string("/a\0b", 4), path_error::control_character},
                      refused_case{"/a\x01", path_error::control_character},
                      refused_case{"/a\x7f", path_error::control_character},
                      refused_case{"/public/..#", path_error::query_or_fragment},
                      refused_case{"/a?b", path_error::query_or_fragment},
                      refused_case{"/public%2f..%2finternal", path_error::encoded_slash},
                      refused_case{"/public%2F", path_error::encoded_slash},
                      refused_case{"/public\\..\\internal", path_error::backslash},
                      refused_case{"/public/%5c../internal", path_error::backslash},
                      refused_case{"/public/%2e%2e/internal", path_error::encoded_dot_segment},
                      refused_case{"/public/.%2e/internal", path_error::encoded_dot_segment},
                      refused_case{"/public/%2E./internal", path_error::encoded_dot_segment},
                      refused_case{"/public/%2e/x", path_error::encoded_dot_segment},
                      refused_case{"/public/..;/internal", path_error::dot_segment_parameter},
                      refused_case{"/public/.;x/internal", path_error::dot_segment_parameter},
                      refused_case{"/public/..%3b/internal", path_error::dot_segment_parameter},
                      refused_case{"/public/..%3f/internal", path_error::dot_segment_parameter},
                      refused_case{"/public/..%23/internal", path_error::dot_segment_parameter},
                      refused_case{"/public/..%253b/internal", path_error::double_encoding},
                      refused_case{"/public/..%253F", path_error::double_encoding},
                      refused_case{"/public/..%2523", path_error::double_encoding},
                      refused_case{"/public/.../internal", path_error::dots_only_segment},
                      refused_case{"/public/..%20/internal", path_error::dots_only_segment},
                      refused_case{"/public/%252e%252e/internal", path_error::double_encoding},
                      refused_case{"/public/%252f", path_error::double_encoding},
                      refused_case{"/public/%255c", path_error::double_encoding},
                      refused_case{"/public/%2525", path_error::double_encoding},
                      refused_case{"/public/%25%32%65%25%32%65/x", path_error::double_encoding},
                      refused_case{"/public/%c0%ae%c0%ae/internal", path_error::overlong_utf8},
                      refused_case{"/public/%c0%af", path_error::overlong_utf8},
                      refused_case{"/public/%c1%9c", path_error::overlong_utf8},
                      refused_case{"/public/%e0%80%ae", path_error::overlong_utf8},
                      refused_case{"/public/%f0%80%80%ae", path_error::overlong_utf8},
                      refused_case{"/public/\xc0\xae\xc0\xae/internal", path_error::overlong_utf8}));

TEST(StripPathParameters, DropsEverySegmentsParameters) {
  EXPECT_EQ(strip_path_parameters("/a;x/b;y"), "/a/b");
  EXPECT_EQ(strip_path_parameters("/admin;foo/secret"), "/admin/secret");
  EXPECT_EQ(strip_path_parameters("/;x/admin"), "/admin");
  EXPECT_EQ(strip_path_parameters("/a/;x"), "/a/");
  EXPECT_EQ(strip_path_parameters("/a/"), "/a/");
  EXPECT_EQ(strip_path_parameters("/"), "/");
  EXPECT_EQ(strip_path_parameters("/page;jsessionid=1"), "/page");
  EXPECT_EQ(strip_path_parameters("/admin%3Bx/secret"), "/admin/secret");
}

TEST(StripTrailingDotsAndSpaces, CutsThemFromEveryName) {
  EXPECT_EQ(strip_trailing_dots_and_spaces("/admin./x"), "/admin/x");
  EXPECT_EQ(strip_trailing_dots_and_spaces("/admin%20/x"), "/admin/x");
  EXPECT_EQ(strip_trailing_dots_and_spaces("/admin.%20.%20/"), "/admin/");
  EXPECT_EQ(strip_trailing_dots_and_spaces("/.a./b"), "/.a/b");
  EXPECT_EQ(strip_trailing_dots_and_spaces("/a/b"), "/a/b");
  EXPECT_EQ(strip_trailing_dots_and_spaces("/"), "/");
}

TEST(PathHasPrefix, ComparesExactlyUnlessToldToIgnoreCase) {
  EXPECT_TRUE(path_has_prefix("/public/a", "/public/", false));
  EXPECT_FALSE(path_has_prefix("/PUBLIC/a", "/public/", false));
  EXPECT_TRUE(path_has_prefix("/PUBLIC/a", "/public/", true));
  EXPECT_TRUE(path_has_prefix("/Caf%C3%A9/", "/caf%C3%A9/", true));
  EXPECT_FALSE(path_has_prefix("/pub", "/public/", true));
}

}  // namespace
}  // namespace tollgate
