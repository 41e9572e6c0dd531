// Issue 10 point 3 (after issue 3 point 4): request smuggling and protocol corpus.
// Each case is raw bytes on one connection. It gets the documented answers in order,
// the last says "Connection: close" and the proxy closes, nothing else is answered
// (a request glued behind a rejected one is never processed), and the origin behind
// the proxy reads at most the requests that were legitimate: never a smuggled one.
// docs/security.md ("Request smuggling corpus") says what the proxy answers to what.
#include "proxy_harness.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>
#include <utility>

namespace tollgate::testing::proxy {
namespace {

using namespace std::chrono_literals;

/// One corpus entry. `request` may use {url} (`http://127.0.0.1:<origin>`), {authority}
/// (`127.0.0.1:<origin>`), {port}, {host} (the matching Host line) and {auth} (alice's
/// Proxy-Authorization line): the origin's port is known only when the test runs.
struct smuggling_case {
  std::string name;
  std::string request;
  std::vector<int> statuses;  ///< the answers, in order; the last one closes the connection
  long origin_max = 0;        ///< request heads the origin may read: the legitimate requests
  std::string why = {};       ///< text the first error answer contains
};

void PrintTo(const smuggling_case& c, std::ostream* os) { *os << c.name; }

std::string expand(std::string s) {
  const std::string port = std::to_string(origin_environment::http_port());
  const std::string authority = "127.0.0.1:" + port;
  const std::pair<std::string, std::string> fill[] = {
      {"{url}", "http://" + authority},
      {"{authority}", authority},
      {"{port}", port},
      {"{host}", "Host: " + authority + "\r\n"},
      {"{auth}", "Proxy-Authorization: " + basic("alice:alice-pw") + "\r\n"},
  };
  for (const auto& [key, value] : fill) {
    for (auto pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + value.size()))
      s.replace(pos, key.size(), value);
  }
  return s;
}

std::vector<smuggling_case> corpus() {
  const std::string post = "POST {url}/echo HTTP/1.1\r\n{host}{auth}";
  const std::string te = "Transfer-Encoding: chunked\r\n";
  const std::string close = "Connection: close\r\n";
  // A valid request glued behind the case: processed only where the case says so.
  const std::string valid = "GET {url}/echo HTTP/1.1\r\n{host}{auth}Connection: close\r\n\r\n";
  const std::string anonymous = "GET {url}/echo HTTP/1.1\r\n{host}Connection: close\r\n\r\n";
  const std::string big(5000, 'a');
  std::string many_fields;
  for (int i = 0; i < 120; ++i) many_fields += "X-" + std::to_string(i) + ": 1\r\n";

  return {
      // Content-Length and Transfer-Encoding (RFC 9112 sections 6.1-6.3).
      {"ContentLengthAndTransferEncoding", post + "Content-Length: 4\r\n" + te + "\r\n0\r\n\r\n", {400}},
      {"TransferEncodingThenContentLength", post + te + "Content-Length: 4\r\n\r\n0\r\n\r\n", {400}},
      {"ContentLengthZeroAndChunked", post + "Content-Length: 0\r\n" + te + "\r\n5\r\nhello\r\n0\r\n\r\n", {400}},
      {"DifferingContentLengths", post + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", {400}},
      {"DifferingContentLengthList", post + "Content-Length: 3, 4\r\n\r\nabcd", {400}},
      {"NonNumericContentLength", post + "Content-Length: +3\r\n\r\nabc", {400}},
      {"NegativeContentLength", post + "Content-Length: -1\r\n\r\nabc", {400}},
      {"ContentLengthWithInnerSpace", post + "Content-Length: 1 0\r\n\r\nabcdefghij", {400}},
      {"TwentyDigitContentLength", post + "Content-Length: 99999999999999999999\r\n\r\nabc", {400}},
      {"TransferEncodingNotEndingInChunked", post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", {400}},
      {"TransferEncodingWithoutChunked", post + "Transfer-Encoding: gzip\r\n\r\nabc", {400}},
      {"ChunkedTwice", post + te + te + "\r\n0\r\n\r\n", {400}},
      // Issue 16: one Transfer-Encoding line, and its one coding is chunked.
      {"GzipThenChunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", {400}},
      {"IdentityLineThenChunkedLine", post + "Transfer-Encoding: identity\r\n" + te + "\r\n0\r\n\r\n", {400}},
      {"EmptyLineThenChunkedLine", post + "Transfer-Encoding:\r\n" + te + "\r\n0\r\n\r\n", {400}},
      {"ObfuscatedTransferEncoding", post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", {400}},
      {"EmptyTransferEncodingElement", post + "Transfer-Encoding: , chunked\r\n\r\n0\r\n\r\n", {400}},
      {"ControlCharacterInTransferEncoding", post + "Transfer-Encoding: \x0b" "chunked\r\n\r\n0\r\n\r\n", {400}},
      {"TransferEncodingInHttp10", "POST {url}/echo HTTP/1.0\r\n{host}{auth}" + te + "\r\n0\r\n\r\n", {400}},
      {"UnderscoreContentLength", post + "Content_Length: 5\r\n\r\nhello", {400}},
      {"UnderscoreTransferEncoding", post + "Transfer_Encoding: chunked\r\n\r\n0\r\n\r\n", {400}},
      {"IdenticalContentLengthsAreOne", post + "Content-Length: 3, 3\r\n" + close + "\r\nabc", {200}, 1},
      {"ChunkedInUpperCase", post + "Transfer-Encoding: CHUNKED\r\n" + close + "\r\n3\r\nabc\r\n0\r\n\r\n", {200}, 1},

      // Header field syntax (RFC 9112 section 5): no whitespace before the colon or
      // inside a name, no folding, no NUL, CR or LF of its own.
      {"SpaceBeforeColonInContentLength", post + "Content-Length : 3\r\n\r\nabc", {400}},
      {"SpaceBeforeColonInTransferEncoding", post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", {400}},
      {"TabBeforeColon", post + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n", {400}},
      {"SpaceInsideHeaderName", post + "Content Length: 3\r\n\r\nabc", {400}},
      {"EmptyHeaderName", post + ": 3\r\nContent-Length: 0\r\n\r\n", {400}},
      {"ObsoleteLineFolding", post + "X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n", {400}, 0, "fold"},
      {"FoldedTransferEncoding", post + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", {400}},
      {"NulInHead", post + std::string("X-Nul: a\0b\r\n", 12) + "Content-Length: 0\r\n\r\n", {400}},
      {"BareCarriageReturnInHead", post + "X-Cr: a\rb\r\nContent-Length: 0\r\n\r\n", {400}},
      {"BareLineFeedInHead", post + "X-Lf: a\nContent-Length: 0\r\n\r\n", {400}},

      // Chunked bodies (RFC 9112 section 7.1). The head may already be with the origin
      // when a later chunk turns out bad: it then sees that one request, cut short.
      {"BadChunkSize", post + te + "\r\nzz\r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"OverflowingChunkSize", post + te + "\r\nffffffffffffffffff1\r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"ChunkSizeWithLeadingSpace", post + te + "\r\n 3\r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"ChunkSizeWithHexPrefix", post + te + "\r\n0x3\r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"ChunkSizeWithTrailingGarbage", post + te + "\r\n3zz\r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"ChunkSizeWithTrailingSpace", post + te + "\r\n3 \r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"BareLineFeedAfterChunkSize", post + te + "\r\n3\nabc\r\n0\r\n\r\n", {400}, 1},
      {"InvalidChunkExtension", post + te + "\r\n3;a@b\r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"QuotedChunkExtensionAcrossLineEnd", post + te + "\r\n3;a=\"b\r\nabc\"\r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"OverlongChunkExtension", post + te + "\r\n3;" + std::string(128 * 1024, 'a') + "\r\nabc\r\n0\r\n\r\n", {400}, 1},
      {"MissingCrlfAfterChunkData", post + te + "\r\n3\r\nabc0\r\n\r\n", {400}, 1},
      {"ChunkDataLongerThanChunkSize", post + te + "\r\n3\r\nabcdef\r\n0\r\n\r\n", {400}, 1},
      {"MissingFinalCrlfBeforeGluedRequest", post + te + "\r\n3\r\nabc\r\n0\r\n" + valid, {400}, 1},
      {"ContentLengthInTrailer", post + te + "\r\n3\r\nabc\r\n0\r\nContent-Length: 5\r\n\r\nhello", {400}, 1},
      {"TransferEncodingInTrailer", post + te + "\r\n3\r\nabc\r\n0\r\n" + te + "\r\n", {400}, 1},
      {"TrailerFieldsAreDropped",
       post + te + close + "\r\n3\r\nabc\r\n0\r\nHost: evil.example\r\nX-Injected: 1\r\n\r\n", {200}, 1},

      // Host and the request target (RFC 9112 sections 3.2 and 3.3).
      {"HostDisagreesWithAbsoluteTarget",
       "POST {url}/echo HTTP/1.1\r\nHost: evil.example\r\n{auth}Content-Length: 0\r\n\r\n", {400}, 0, "Host"},
      {"HostPortDisagreesWithAbsoluteTarget",
       "POST {url}/echo HTTP/1.1\r\nHost: 127.0.0.1:1\r\n{auth}Content-Length: 0\r\n\r\n", {400}},
      {"HostNamesAnotherName", "GET {url}/echo HTTP/1.1\r\nHost: localhost:{port}\r\n{auth}\r\n", {400}},
      {"SeveralHostHeaders", post + "{host}Content-Length: 0\r\n\r\n", {400}},
      {"MissingHostInHttp11", "GET {url}/echo HTTP/1.1\r\n{auth}Connection: close\r\n\r\n", {400}, 0, "missing Host"},
      {"MissingHostBehindAcceptedRequest",
       "GET {url}/echo HTTP/1.1\r\n{host}{auth}\r\nGET {url}/echo HTTP/1.1\r\n{auth}\r\n", {200, 400}, 1},
      {"MissingHostInHttp10IsAccepted", "GET {url}/echo HTTP/1.0\r\n{auth}\r\n", {200}, 1},
      {"Http10HostMustStillAgree", "GET {url}/echo HTTP/1.0\r\nHost: evil.example\r\n{auth}\r\n", {400}, 0, "Host"},
      {"ConnectWithoutHostInHttp11", "CONNECT {authority} HTTP/1.1\r\n{auth}\r\n" + valid, {400}, 0, "missing Host"},
      {"SeveralHostHeadersInOtherCase", post + "host: {authority}\r\nContent-Length: 0\r\n\r\n", {400}},
      {"EmptyHost", "GET {url}/echo HTTP/1.1\r\nHost:\r\n{auth}\r\n", {400}},
      {"UserinfoInHost", "GET {url}/echo HTTP/1.1\r\nHost: alice@{authority}\r\n{auth}\r\n", {400}, 0, "user information"},
      {"UserinfoInTarget", "POST http://user:pw@{authority}/echo HTTP/1.1\r\n{auth}Content-Length: 0\r\n\r\n", {400}, 0,
       "user information"},
      {"OriginFormTarget", "POST /echo HTTP/1.1\r\n{host}{auth}Content-Length: 0\r\n\r\n", {400}},
      {"AsteriskFormTarget", "OPTIONS * HTTP/1.1\r\n{host}{auth}\r\n", {400}},
      {"HttpsSchemeInTarget", "GET https://{authority}/echo HTTP/1.1\r\n{host}{auth}\r\n", {400}},

      // Sizes: the whole head, one header line, the request line, the field count.
      {"OversizedHeadIs431", post + "X-Big: " + big + "\r\nContent-Length: 0\r\n\r\n", {431}},
      {"OversizedHeadWithoutEndIs431", "POST {url}/echo HTTP/1.1\r\n{host}X-Big: " + big, {431}},
      {"TooManyHeaderFieldsIs431", post + many_fields + "Content-Length: 0\r\n\r\n", {431}},
      {"OverlongRequestTargetIs414", "GET {url}/" + big + " HTTP/1.1\r\n{host}{auth}\r\n", {414}},
      {"OverlongMethodIs501", std::string(5000, 'P') + " {url}/echo HTTP/1.1\r\n{host}{auth}\r\n", {501}},

      // The request line (RFC 9112 section 3): method, single spaces, version.
      {"LowercaseMethod", "post {url}/echo HTTP/1.1\r\n{host}{auth}Content-Length: 0\r\n\r\n", {501}},
      {"MixedCaseMethod", "Get {url}/echo HTTP/1.1\r\n{host}{auth}\r\n", {501}},
      {"LongMethod", std::string(40, 'P') + " {url}/echo HTTP/1.1\r\n{host}{auth}\r\n", {501}},
      {"MethodWithSeparator", "PO(ST {url}/echo HTTP/1.1\r\n{host}{auth}Content-Length: 0\r\n\r\n", {400}},
      {"Http09RequestLine", "GET {url}/echo\r\n\r\n", {400}},
      {"Http09Version", "GET {url}/echo HTTP/0.9\r\n{host}{auth}\r\n", {505}},
      {"Http12Version", "GET {url}/echo HTTP/1.2\r\n{host}{auth}\r\n", {505}},
      {"Http20Version", "GET {url}/echo HTTP/2.0\r\n{host}{auth}\r\n", {505}},
      {"Http2ConnectionPreface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {505}},
      {"LeadingZeroInVersion", "GET {url}/echo HTTP/01.1\r\n{host}{auth}\r\n", {400}},
      {"LowercaseProtocolName", "GET {url}/echo http/1.1\r\n{host}{auth}\r\n", {400}},
      {"TwoSpacesBeforeTarget", "GET  {url}/echo HTTP/1.1\r\n{host}{auth}\r\n", {400}},
      {"TwoSpacesBeforeVersion", "GET {url}/echo  HTTP/1.1\r\n{host}{auth}\r\n", {400}},
      {"SpaceAfterVersion", "GET {url}/echo HTTP/1.1 \r\n{host}{auth}\r\n", {400}},
      {"TabsInRequestLine", "GET\t{url}/echo\tHTTP/1.1\r\n{host}{auth}\r\n", {400}},
      {"SpaceInTarget", "GET {url}/a b HTTP/1.1\r\n{host}{auth}\r\n", {400}},

      // CONNECT (RFC 9110 section 9.3.6): authority-form only, and no content.
      {"ConnectWithContentLength", "CONNECT {authority} HTTP/1.1\r\n{host}{auth}Content-Length: 5\r\n\r\nhello", {400}},
      {"ConnectWithTransferEncoding", "CONNECT {authority} HTTP/1.1\r\n{host}{auth}" + te + "\r\n0\r\n\r\n", {400}},
      {"ConnectWithoutPort", "CONNECT 127.0.0.1 HTTP/1.1\r\n{auth}\r\n" + valid, {400}},
      {"ConnectToUrl", "CONNECT {url}/ HTTP/1.1\r\n{auth}\r\n" + valid, {400}},
      {"ConnectWithUserinfo", "CONNECT alice@{authority} HTTP/1.1\r\n{auth}\r\n" + valid, {400}},
      {"ConnectHostMismatch", "CONNECT {authority} HTTP/1.1\r\nHost: 127.0.0.1:1\r\n{auth}\r\n" + valid, {400}},

      // Pipelining: nothing behind a rejected request is processed; behind an accepted
      // one the next request is read on its own, authenticated and checked again.
      {"GluedRequestAfterAmbiguousFraming", post + "Content-Length: 4\r\n" + te + "\r\n0\r\n\r\n" + valid, {400}},
      {"GluedRequestAfterFoldedHeader", post + "X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n" + valid, {400}},
      {"GluedRequestAfterBadChunk", post + te + "\r\nzz\r\n" + valid, {400}, 1},
      {"GluedRequestAfterOversizedHead", post + "X-Big: " + big + "\r\n\r\n" + valid, {431}},
      {"GluedRequestAfterUnknownVersion", "GET {url}/echo HTTP/2.0\r\n{host}{auth}\r\n" + valid, {505}},
      {"GluedRequestAfterUnknownMethod", "get {url}/echo HTTP/1.1\r\n{host}{auth}\r\n" + valid, {501}},
      {"GluedRequestAfterRefusedBody", "POST {url}/echo HTTP/1.1\r\n{host}Content-Length: 5\r\n\r\nhello" + valid, {407}},
      {"PipelinedAfterEmptyBody", post + "Content-Length: 0\r\n\r\n" + anonymous, {200, 407}, 1},
      {"PipelinedAfterChunkedBody", post + te + "\r\n0\r\n\r\n" + anonymous, {200, 407}, 1},
      {"ShortContentLengthLeavesAPipelinedRequest", post + "Content-Length: 3\r\n\r\nabc" + valid, {200, 200}, 2},
      {"LongContentLengthSwallowsTheGluedRequest", post + "Content-Length: 10\r\n\r\nabc" + valid, {200, 400}, 1},
      {"ErrorInSecondPipelinedRequest",
       "GET {url}/echo HTTP/1.1\r\n{host}{auth}\r\n" + post + "Content-Length: 4\r\n" + te + "\r\n0\r\n\r\n" + valid,
       {200, 400}, 1},
      {"H2cUpgradeIsNotForwarded",
       "GET {url}/echo HTTP/1.1\r\n{host}{auth}Connection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\n"
       "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
       {200}, 1},
  };
}

std::string statuses_text(const std::vector<int>& statuses) {
  std::string out;
  for (int s : statuses) out += (out.empty() ? "" : " ") + std::to_string(s);
  return out;
}

class ProxySmugglingCorpus : public ::testing::TestWithParam<smuggling_case> {
 protected:
  static void SetUpTestSuite() { proxy_ = new proxy_process({"max_header_bytes=4096"}); }
  static void TearDownTestSuite() {
    print_summary();
    delete proxy_;
    proxy_ = nullptr;
  }

  struct row {
    std::string name;
    std::string statuses;
    bool closed;
    long origin_requests;
    long origin_max;
  };

  static void print_summary() {
    std::printf("\nRequest smuggling corpus: %zu cases\n", rows_.size());
    std::printf("%-42s %-8s %-7s %s\n", "case", "status", "closed", "origin requests (allowed)");
    for (const auto& r : rows_) {
      std::printf("%-42s %-8s %-7s %ld (%ld)\n", r.name.c_str(), r.statuses.c_str(), r.closed ? "yes" : "NO",
                  r.origin_requests, r.origin_max);
    }
    std::fflush(stdout);
  }

  static proxy_process* proxy_;
  static std::vector<row> rows_;
};
proxy_process* ProxySmugglingCorpus::proxy_ = nullptr;
std::vector<ProxySmugglingCorpus::row> ProxySmugglingCorpus::rows_;

TEST_P(ProxySmugglingCorpus, AnsweredClosedAndNothingSmuggled) {
  const auto& k = GetParam();
  const long before = origin_requests();
  ASSERT_GE(before, 0) << "the test origin does not answer /count";

  raw_client c(proxy_->port(), 3000ms);
  ASSERT_TRUE(c.send(expand(k.request)));
  std::vector<int> got;
  std::string last;
  std::string first_error;
  for (std::size_t i = 0; i < k.statuses.size(); ++i) {
    last = c.read_response();
    got.push_back(status_of(last));
    if (first_error.empty() && got.back() >= 400) first_error = last;
    if (got.back() == 0) break;
  }
  EXPECT_EQ(got, k.statuses) << last;
  if (!k.why.empty()) {
    EXPECT_NE(first_error.find(k.why), std::string::npos) << first_error;
  }
  EXPECT_NE(last.find("Connection: close"), std::string::npos) << last;
  const bool closed = c.closed_within(3s);
  EXPECT_TRUE(closed) << "connection left open after the last answer";
  EXPECT_EQ(c.read_until_close(), "") << "more was answered than the case allows";

  // A smuggled request would be read by the origin on its own thread, after the
  // answer that reached us: give it a moment before counting.
  std::this_thread::sleep_for(100ms);
  const long seen = origin_requests() - before;
  EXPECT_LE(seen, k.origin_max) << "the origin read a request the proxy never answered for";
  rows_.push_back({k.name, statuses_text(got), closed, seen, k.origin_max});
}

INSTANTIATE_TEST_SUITE_P(ProxySmuggling, ProxySmugglingCorpus, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<smuggling_case>& p) { return p.param.name; });

// Checks that are not one request and one answer.
class ProxySmuggling : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { proxy_ = new proxy_process({"max_header_bytes=4096"}); }
  static void TearDownTestSuite() {
    delete proxy_;
    proxy_ = nullptr;
  }

  // The origin's /headers page for `request` (which ends with Connection: close) sent
  // through the proxy; waits for the close, so that the request is on record.
  static std::string forwarded_head(const std::string& request) {
    raw_client c(proxy_->port(), std::chrono::milliseconds(3000));
    EXPECT_TRUE(c.send(expand(request)));
    const auto r = c.read_response();
    EXPECT_EQ(status_of(r), 200) << r;
    EXPECT_TRUE(c.closed_within(std::chrono::seconds(3)));
    return r;
  }

  // A request with a folded header line and one whose head never ends: answered
  // before Beast parses anything, and recorded all the same.
  void expect_rejected(const std::string& request, int status) {
    raw_client c(proxy_->port(), std::chrono::milliseconds(3000));
    ASSERT_TRUE(c.send(expand(request)));
    EXPECT_EQ(status_of(c.read_response()), status);
    EXPECT_TRUE(c.closed_within(std::chrono::seconds(3)));
  }

  static proxy_process* proxy_;
};
proxy_process* ProxySmuggling::proxy_ = nullptr;

TEST_F(ProxySmuggling, BaselineValidRequestPasses) {
  raw_client c(proxy_->port());
  c.send(expand("POST {url}/echo HTTP/1.1\r\n{host}{auth}Content-Length: 3\r\nConnection: close\r\n\r\nabc"));
  EXPECT_EQ(status_of(c.read_response()), 200);
  EXPECT_TRUE(c.closed_within(std::chrono::seconds(3)));
}

TEST_F(ProxySmuggling, TrailerFieldsNeverBecomeForwardedHeaders) {
  const auto r = forwarded_head("POST {url}/headers HTTP/1.1\r\n{host}{auth}Transfer-Encoding: chunked\r\n"
                                "Connection: close\r\n\r\n3\r\nabc\r\n0\r\nX-Injected: 1\r\nHost: evil.example\r\n\r\n");
  EXPECT_EQ(r.find("X-Injected"), std::string::npos) << r;
  EXPECT_EQ(r.find("evil.example"), std::string::npos) << r;
}

TEST_F(ProxySmuggling, ContentLengthGoesUpstreamAsOneNumber) {
  const auto r = forwarded_head("POST {url}/headers HTTP/1.1\r\n{host}{auth}Content-Length: 3, 3\r\n"
                                "Content-Length: 3\r\nConnection: close\r\n\r\nabc");
  const auto body = r.substr(std::min(r.find("\r\n\r\n"), r.size()));
  const auto first = body.find("Content-Length: 3\n");
  EXPECT_NE(first, std::string::npos) << r;
  EXPECT_EQ(body.find("Content-Length"), first) << r;
  EXPECT_EQ(body.find("Content-Length", first + 1), std::string::npos) << r;
}

TEST_F(ProxySmuggling, TransferEncodingGoesUpstreamAsExactlyChunked) {
  const auto r = forwarded_head("POST {url}/headers HTTP/1.1\r\n{host}{auth}Transfer-Encoding:  CHUNKED \r\n"
                                "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  const auto body = r.substr(std::min(r.find("\r\n\r\n"), r.size()));
  EXPECT_NE(body.find("\nTransfer-Encoding: chunked\n"), std::string::npos) << r;
  EXPECT_EQ(body.find("CHUNKED"), std::string::npos) << r;
}

// An HTTP/1.0 CONNECT may come without Host (Python's http.client before 3.12 sends
// none): the authority-form target names the destination.
TEST_F(ProxySmuggling, Http10ConnectWithoutHostIsTunnelled) {
  proxy_process proxy({"connect_port=" + std::to_string(origin_environment::sink_port())});
  raw_client c(proxy.port(), std::chrono::milliseconds(3000));
  ASSERT_TRUE(c.send("CONNECT 127.0.0.1:" + std::to_string(origin_environment::sink_port()) + " HTTP/1.0\r\n" +
                     expand("{auth}") + "\r\n"));
  EXPECT_EQ(status_of(c.read_response()), 200);
  ASSERT_TRUE(c.send("abc"));
  c.shutdown_write();
  EXPECT_NE(c.read_until_close().find("received 3"), std::string::npos);
}

TEST_F(ProxySmuggling, RejectionsBeforeParsingAreAuditedToo) {
  const auto before = proxy_->audit().size();
  expect_rejected("POST {url}/echo HTTP/1.1\r\n{host}{auth}X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n", 400);
  expect_rejected("POST {url}/echo HTTP/1.1\r\n{host}X-Big: " + std::string(5000, 'a'), 431);
  const auto after = proxy_->audit(before + 2);
  ASSERT_EQ(after.size(), before + 2);
  EXPECT_EQ(json_field(after[before], "status"), "400");
  EXPECT_EQ(json_field(after[before], "method"), "POST");
  EXPECT_EQ(json_field(after[before + 1], "status"), "431");
}

TEST_F(ProxySmuggling, RejectionsAreAudited) {
  const auto before = proxy_->audit().size();
  expect_rejected("POST {url}/echo HTTP/1.1\r\n{host}{auth}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400);
  const auto after = proxy_->audit(before + 1);
  ASSERT_EQ(after.size(), before + 1);
  EXPECT_EQ(json_field(after.back(), "status"), "400");
  EXPECT_EQ(json_field(after.back(), "decision"), "error");
  EXPECT_NE(json_field(after.back(), "error"), "");
}

TEST_F(ProxySmuggling, UnsupportedVersionsAndMethodsAreAudited) {
  const auto before = proxy_->audit().size();
  expect_rejected("GET {url}/echo HTTP/2.0\r\n{host}{auth}\r\n", 505);
  expect_rejected("get {url}/echo HTTP/1.1\r\n{host}{auth}\r\n", 501);
  expect_rejected("GET {url}/" + std::string(5000, 'a') + " HTTP/1.1\r\n\r\n", 414);
  const auto after = proxy_->audit(before + 3);
  ASSERT_EQ(after.size(), before + 3);
  EXPECT_EQ(json_field(after[before], "status"), "505");
  EXPECT_EQ(json_field(after[before + 1], "status"), "501");
  EXPECT_EQ(json_field(after[before + 2], "status"), "414");
  EXPECT_EQ(json_field(after[before + 2], "method"), "GET");
}

}  // namespace
}  // namespace tollgate::testing::proxy
