// Issue 3 point 4: request smuggling and malformed input. Each case: 400 (or 431)
// and the connection closed; none of them reaches the origin as a request.
#include "proxy_harness.hpp"

#include <gtest/gtest.h>

namespace tollgate::testing::proxy {
namespace {

class ProxySmuggling : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { proxy_ = new proxy_process({"max_header_bytes=4096"}); }
  static void TearDownTestSuite() {
    delete proxy_;
    proxy_ = nullptr;
  }

  // Sends a raw request with valid credentials; `head_lines` go between the request
  // line and the credentials; `tail` follows the blank line.
  static std::string start(const std::string& target = "") {
    return "POST " + (target.empty() ? origin_url("/echo") : target) + " HTTP/1.1\r\n";
  }
  static std::string auth() { return "Proxy-Authorization: " + basic("alice:alice-pw") + "\r\n"; }
  static std::string host() { return "Host: 127.0.0.1:" + std::to_string(origin_environment::http_port()) + "\r\n"; }

  void expect_rejected(const std::string& request, int status = 400, const std::string& why = "") {
    raw_client c(proxy_->port(), std::chrono::milliseconds(3000));
    ASSERT_TRUE(c.send(request));
    const auto r = c.read_response();
    EXPECT_EQ(status_of(r), status) << r;
    if (!why.empty()) {
      EXPECT_NE(r.find(why), std::string::npos) << r;
    }
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
    EXPECT_TRUE(c.closed_within(std::chrono::seconds(3))) << "connection left open after a rejected request";
  }

  static proxy_process* proxy_;
};
proxy_process* ProxySmuggling::proxy_ = nullptr;

TEST_F(ProxySmuggling, BaselineValidRequestPasses) {
  raw_client c(proxy_->port());
  c.send(start() + host() + auth() + "Content-Length: 3\r\n\r\nabc");
  EXPECT_EQ(status_of(c.read_response()), 200);
}

TEST_F(ProxySmuggling, ContentLengthAndTransferEncoding) {
  expect_rejected(start() + host() + auth() + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, TransferEncodingThenContentLength) {
  expect_rejected(start() + host() + auth() + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, DifferingContentLengths) {
  expect_rejected(start() + host() + auth() + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
}

TEST_F(ProxySmuggling, DifferingContentLengthList) {
  expect_rejected(start() + host() + auth() + "Content-Length: 3, 4\r\n\r\nabcd");
}

TEST_F(ProxySmuggling, NonNumericContentLength) {
  expect_rejected(start() + host() + auth() + "Content-Length: +3\r\n\r\nabc");
}

TEST_F(ProxySmuggling, TransferEncodingNotEndingInChunked) {
  expect_rejected(start() + host() + auth() + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, TransferEncodingWithoutChunked) {
  expect_rejected(start() + host() + auth() + "Transfer-Encoding: gzip\r\n\r\nabc");
}

TEST_F(ProxySmuggling, ChunkedTwice) {
  expect_rejected(start() + host() + auth() + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, ObfuscatedTransferEncoding) {
  expect_rejected(start() + host() + auth() + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, TransferEncodingInHttp10) {
  expect_rejected("POST " + origin_url("/echo") + " HTTP/1.0\r\n" + host() + auth() +
                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, BadChunkSize) {
  expect_rejected(start() + host() + auth() + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, OverflowingChunkSize) {
  expect_rejected(start() + host() + auth() +
                  "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\nabc\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, ObsoleteLineFolding) {
  expect_rejected(start() + host() + auth() + "X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n", 400, "fold");
}

TEST_F(ProxySmuggling, FoldedTransferEncoding) {
  expect_rejected(start() + host() + auth() + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n");
}

TEST_F(ProxySmuggling, NulInHead) {
  expect_rejected(start() + host() + auth() + std::string("X-Nul: a\0b\r\n", 12) + "Content-Length: 0\r\n\r\n");
}

TEST_F(ProxySmuggling, BareCarriageReturnInHead) {
  expect_rejected(start() + host() + auth() + "X-Cr: a\rb\r\nContent-Length: 0\r\n\r\n");
}

TEST_F(ProxySmuggling, BareLineFeedInHead) {
  expect_rejected(start() + host() + auth() + "X-Lf: a\nContent-Length: 0\r\n\r\n");
}

TEST_F(ProxySmuggling, HostDisagreesWithAbsoluteTarget) {
  expect_rejected(start() + "Host: evil.example\r\n" + auth() + "Content-Length: 0\r\n\r\n", 400, "Host");
}

TEST_F(ProxySmuggling, HostPortDisagreesWithAbsoluteTarget) {
  expect_rejected(start() + "Host: 127.0.0.1:1\r\n" + auth() + "Content-Length: 0\r\n\r\n");
}

TEST_F(ProxySmuggling, SeveralHostHeaders) {
  expect_rejected(start() + host() + host() + auth() + "Content-Length: 0\r\n\r\n");
}

TEST_F(ProxySmuggling, UserinfoInTarget) {
  expect_rejected(start("http://user:pw@127.0.0.1:" + std::to_string(origin_environment::http_port()) + "/echo") +
                      auth() + "Content-Length: 0\r\n\r\n",
                  400, "user information");
}

TEST_F(ProxySmuggling, OversizedHeadIs431) {
  expect_rejected(start() + host() + auth() + "X-Big: " + std::string(5000, 'a') + "\r\nContent-Length: 0\r\n\r\n", 431);
}

TEST_F(ProxySmuggling, OversizedHeadWithoutEndIs431) {
  expect_rejected(start() + host() + "X-Big: " + std::string(5000, 'a'), 431);
}

TEST_F(ProxySmuggling, TooManyHeaderFieldsIs431) {
  std::string many;
  for (int i = 0; i < 120; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  expect_rejected(start() + host() + auth() + many + "Content-Length: 0\r\n\r\n", 431);
}

TEST_F(ProxySmuggling, RejectionsBeforeParsingAreAuditedToo) {
  const auto before = proxy_->audit().size();
  expect_rejected(start() + host() + auth() + "X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n");
  expect_rejected(start() + host() + "X-Big: " + std::string(5000, 'a'), 431);
  const auto after = proxy_->audit(before + 2);
  ASSERT_EQ(after.size(), before + 2);
  EXPECT_EQ(json_field(after[before], "status"), "400");
  EXPECT_EQ(json_field(after[before], "method"), "POST");
  EXPECT_EQ(json_field(after[before + 1], "status"), "431");
}

TEST_F(ProxySmuggling, RejectionsAreAudited) {
  const auto before = proxy_->audit().size();
  expect_rejected(start() + host() + auth() + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  const auto after = proxy_->audit(before + 1);
  ASSERT_EQ(after.size(), before + 1);
  EXPECT_EQ(json_field(after.back(), "status"), "400");
  EXPECT_EQ(json_field(after.back(), "decision"), "error");
  EXPECT_NE(json_field(after.back(), "error"), "");
}

}  // namespace
}  // namespace tollgate::testing::proxy
