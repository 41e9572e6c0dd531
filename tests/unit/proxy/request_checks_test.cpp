#include "request_checks.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <gtest/gtest.h>

namespace tollgate::proxy::detail {
namespace {
namespace http = boost::beast::http;

// Builds a header directly (no parser), so framing the parser would itself refuse
// still reaches check_framing().
http::request_header<> head(std::initializer_list<std::pair<const char*, const char*>> fields, unsigned version = 11) {
  http::request_header<> h;
  h.method(http::verb::post);
  h.target("http://a/");
  h.version(version);
  for (auto [k, v] : fields) h.insert(k, v);
  return h;
}

TEST(RequestChecks, PlainRequestsPass) {
  EXPECT_EQ(check_framing(head({{"Host", "a"}})), "");
  EXPECT_EQ(check_framing(head({{"Content-Length", "10"}})), "");
  EXPECT_EQ(check_framing(head({{"Transfer-Encoding", "chunked"}})), "");
  EXPECT_EQ(check_framing(head({{"Transfer-Encoding", " CHUNKED "}})), "");
  EXPECT_EQ(check_framing(head({{"Content-Length", "5"}, {"Content-Length", "5"}})), "");
}

TEST(RequestChecks, BothLengthAndEncoding) {
  EXPECT_NE(check_framing(head({{"Content-Length", "1"}, {"Transfer-Encoding", "chunked"}})), "");
}

TEST(RequestChecks, EncodingMustBeOneChunkedOnOneLine) {
  EXPECT_NE(check_framing(head({{"Transfer-Encoding", "gzip, chunked"}})), "");
  EXPECT_NE(check_framing(head({{"Transfer-Encoding", "identity"}, {"Transfer-Encoding", "chunked"}})), "");
  EXPECT_NE(check_framing(head({{"Transfer-Encoding", "identity, chunked"}})), "");
  EXPECT_NE(check_framing(head({{"Transfer-Encoding", "chunked, gzip"}})), "");
  EXPECT_NE(check_framing(head({{"Transfer-Encoding", "gzip"}})), "");
  EXPECT_NE(check_framing(head({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}})), "");
  EXPECT_NE(check_framing(head({{"Transfer-Encoding", "chunked,"}})), "");
  EXPECT_NE(check_framing(head({{"Transfer-Encoding", "chunked"}}, 10)), "");
}

TEST(RequestChecks, ContentLengthMustBeOneNumber) {
  EXPECT_NE(check_framing(head({{"Content-Length", "5"}, {"Content-Length", "6"}})), "");
  EXPECT_NE(check_framing(head({{"Content-Length", "5, 6"}})), "");
  EXPECT_NE(check_framing(head({{"Content-Length", "-1"}})), "");
  EXPECT_NE(check_framing(head({{"Content-Length", ""}})), "");
  EXPECT_NE(check_framing(head({{"Content-Length", "99999999999999999999"}})), "");
}

TEST(RequestChecks, OneHostOnly) {
  EXPECT_NE(check_framing(head({{"Host", "a"}, {"X", "1"}, {"Host", "b"}})), "");
}

TEST(RequestChecks, FieldCount) { EXPECT_EQ(field_count(head({{"A", "1"}, {"B", "2"}, {"A", "3"}})), 3u); }

}  // namespace
}  // namespace tollgate::proxy::detail
