// Issue 16, class 2: message framing is unambiguous in both directions, against a
// hostile origin. The real binary (`tollgate serve`, two io threads) with the harness's
// PostgreSQL and slapd; a hostile origin in this process that answers with exactly the
// bytes a case names (hostile_origin.hpp); raw sockets as clients.
//
// Each response case checks: the status alice gets (502 when the response is refused
// before any byte of it went to her); that her answer carries at most one framing field
// and nothing the case must never show (a trailer's Set-Cookie, say); that an origin
// connection which sent bytes past its response, or was refused, is closed and never
// carries another request; and that the next requests, alice's on her connection and
// bob's on a new connection per io thread, get their own answer, never leftover bytes.
// The run prints a table of the cases (docs/security.md, "Response framing corpus").
#include "hostile_origin.hpp"
#include "tollgate/testing/http_load.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

namespace tollgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr int io_threads = 2;  // tollgate_process runs serve with two; each has its own upstream pool

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

/// A client connection to the proxy that reads answers byte-exactly.
class raw_connection {
 public:
  struct answer {
    int status = 0;
    std::string head;
    std::string body;  ///< de-chunked
    std::string raw;   ///< every byte of the answer as it came
  };

  explicit raw_connection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~raw_connection() { ::close(fd_); }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  bool send(const std::string& bytes) {
    std::size_t off = 0;
    while (connected_ && off < bytes.size()) {
      const auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return connected_;
  }

  answer read_response(bool head_request = false) {
    answer a;
    std::size_t end = 0;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return a;
    }
    a.head = take(end + 4, a);
    a.status = std::atoi(a.head.substr(9, 3).c_str());
    const auto l = lower(a.head);
    if (head_request || a.status < 200 || a.status == 204 || a.status == 304) return a;
    if (l.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        const auto line = read_line(a);
        if (!line) return a;
        const auto size = std::strtoull(line->c_str(), nullptr, 16);
        if (size == 0) {
          for (auto t = read_line(a); t && !t->empty(); t = read_line(a)) {
          }
          return a;
        }
        if (!need(size + 2)) return a;
        a.body += take(size + 2, a).substr(0, size);
      }
    }
    if (const auto at = l.find("\r\ncontent-length:"); at != std::string::npos) {
      const auto size = std::strtoull(l.c_str() + at + 17, nullptr, 10);
      if (need(size)) a.body = take(size, a);
      return a;
    }
    while (fill()) {
    }
    a.body = take(buf_.size(), a);
    return a;
  }

  /// True when the proxy closed the connection within `within`.
  bool closed_within(std::chrono::milliseconds within) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(within.count())) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) <= 0;
  }

 private:
  bool fill() {
    char tmp[8192];
    const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  bool need(std::size_t n) {
    while (buf_.size() < n) {
      if (!fill()) return false;
    }
    return true;
  }
  std::string take(std::size_t n, answer& a) {
    auto out = buf_.substr(0, n);
    buf_.erase(0, n);
    a.raw += out;
    return out;
  }
  std::optional<std::string> read_line(answer& a) {
    std::size_t end = 0;
    while ((end = buf_.find("\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    return take(end + 2, a).substr(0, end);
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

/// What a hostile origin answers, and what the client must get.
struct response_case {
  std::string name;
  std::string bytes;       ///< sent by the origin, exactly
  int status = 0;          ///< what the client gets
  bool leftover = false;   ///< bytes follow the response: that connection must be closed
  std::string method = "GET";
  bool origin_closes = false;
  std::string never_shown = {};  ///< text the client must never get
  std::string head_shows = {};   ///< text the client's answer head must contain
};

void PrintTo(const response_case& c, std::ostream* os) { *os << c.name; }

const std::string poison = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nPOISON";

std::vector<response_case> corpus() {
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  const std::string te = "Transfer-Encoding: chunked\r\n";
  const std::string hello_chunks = "5\r\nhello\r\n0\r\n\r\n";
  const std::string hello = "Content-Length: 5\r\n\r\nhello";
  return {
      // Transfer-Encoding: one line, one coding, chunked (RFC 9112 section 6.1).
      {"TwoChunkedLines", ok + te + te + "\r\n" + hello_chunks, 502},
      {"GzipLineThenChunkedLine", ok + "Transfer-Encoding: gzip\r\n" + te + "\r\n" + hello_chunks, 502},
      {"GzipCommaChunked", ok + "Transfer-Encoding: gzip, chunked\r\n\r\n" + hello_chunks, 502},
      {"TransferEncodingGzip", ok + "Transfer-Encoding: gzip\r\nConnection: close\r\n\r\nhello", 502, false, "GET",
       true},
      {"ChunkedThenContentLength", ok + te + "Content-Length: 5\r\n\r\n" + hello_chunks, 502},
      {"ContentLengthThenChunked", ok + "Content-Length: 5\r\n" + te + "\r\n" + hello_chunks, 502},
      {"GzipThenContentLength", ok + "Transfer-Encoding: gzip\r\n" + hello, 502},
      {"ChunkedInHttp10Response", "HTTP/1.0 200 OK\r\n" + te + "\r\n" + hello_chunks, 502},
      {"ChunkedInUpperCaseIsRewritten", ok + "Transfer-Encoding: CHUNKED\r\n\r\n" + hello_chunks, 200, false, "GET",
       false, "CHUNKED", "\r\nTransfer-Encoding: chunked\r\n"},

      // Content-Length (RFC 9112 section 6.3).
      {"DifferingContentLengths", ok + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 502},
      {"DifferingContentLengthList", ok + "Content-Length: 5, 6\r\n\r\nhello!", 502},
      {"SignedContentLength", ok + "Content-Length: +5\r\n\r\nhello", 502},
      {"RepeatedContentLengthIsOne", ok + "Content-Length: 5, 5\r\nContent-Length: 5\r\n\r\nhello", 200, false, "GET",
       false, "5, 5", "\r\nContent-Length: 5\r\n"},

      // Bytes after the end of a response: never read as the next request's answer.
      {"BytesAfterContentLengthBody", ok + hello + poison, 200, true},
      {"BytesAfterLastChunk", ok + te + "\r\n" + hello_chunks + poison, 200, true},
      {"BytesAfterHeadResponse", ok + "Content-Length: 5\r\n\r\n" + poison, 200, true, "HEAD"},
      {"BodyAfterHeadResponse", ok + hello, 200, true, "HEAD"},
      {"BytesAfter204", "HTTP/1.1 204 No Content\r\n\r\n" + poison, 204, true},
      {"BodyOn204", "HTTP/1.1 204 No Content\r\n" + hello, 204, true},
      {"BytesAfter304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n" + poison, 304, true},
      {"ChunkedBodyOn304", "HTTP/1.1 304 Not Modified\r\n" + te + "\r\n" + hello_chunks, 304, true},

      // Trailer fields: never header fields for the client; framing fields in them refused.
      {"TrailerSetCookie", ok + te + "\r\n5\r\nhello\r\n0\r\nSet-Cookie: session=stolen\r\n\r\n", 200, false, "GET",
       false, "stolen"},
      {"TrailerContentLength", ok + te + "\r\n5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n", 502},
      {"TrailerTransferEncoding", ok + te + "\r\n5\r\nhello\r\n0\r\n" + te + "\r\n", 502},

      // Chunk syntax (RFC 9112 section 7.1).
      {"BadChunkSize", ok + te + "\r\nzz\r\nhello\r\n0\r\n\r\n", 502},
      {"OverflowingChunkSize", ok + te + "\r\nffffffffffffffffff5\r\nhello\r\n0\r\n\r\n", 502},
      {"ChunkSizeWithHexPrefix", ok + te + "\r\n0x5\r\nhello\r\n0\r\n\r\n", 502},
      {"ChunkDataLongerThanSize", ok + te + "\r\n3\r\nhello\r\n0\r\n\r\n", 502},
      {"BareLineFeedAfterChunkSize", ok + te + "\r\n5\nhello\r\n0\r\n\r\n", 502},

      // Header syntax (RFC 9112 section 5).
      {"ObsFoldInResponseHeader", ok + "X-Folded: a\r\n b\r\n" + hello, 502},
      {"FoldedTransferEncoding", ok + "Transfer-Encoding:\r\n chunked\r\n\r\n" + hello_chunks, 502},
      {"NulInResponseHeader", ok + std::string("X-Nul: a\0b\r\n", 12) + hello, 502},
      {"BareCarriageReturnInHeader", ok + "X-Cr: a\rb\r\n" + hello, 502},
      {"BareLineFeedsInHead", "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello", 502},
      {"SpaceBeforeColon", ok + "Content-Length : 5\r\n\r\nhello", 502},
      {"OversizedResponseHead", ok + "X-Big: " + std::string(70 * 1024, 'a') + "\r\n" + hello, 502},
      {"UnrequestedUpgrade", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n", 502},

      // Well framed, for comparison: passed on, and the connection may be reused.
      {"CloseDelimitedBodyIsRechunked", ok + "Connection: close\r\n\r\nhello", 200, false, "GET", true, "",
       "\r\nTransfer-Encoding: chunked\r\n"},
      {"PlainContentLength", ok + hello, 200},
  };
}

class AdversaryFramingBase : public ::testing::Test {
 protected:
  // One origin and one proxy for the whole program: the bootstrap rule (naming the
  // origin's port) is loaded into the program's database once. They stop at exit.
  static void start() {
    if (!services_environment::available() || proxy_) return;
    origin_ = std::make_unique<hostile_origin>();
    tollgate_settings settings;
    settings.instance = "adversary-framing";
    // Loopback is a private destination: only an address rule reaches it.
    settings.bootstrap_rules_yaml =
        "- priority: 10\n"
        "  action: allow\n"
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [" + std::to_string(origin_->port()) + "]\n";
    proxy_ = tollgate_process::start(services_environment::postgres(), services_environment::ldap(), settings);
  }
  static std::string authority() { return "127.0.0.1:" + std::to_string(origin_->port()); }
  static std::string request(const std::string& method, const std::string& path, const std::string& user,
                             const std::string& extra = "") {
    return method + " http://" + authority() + path + " HTTP/1.1\r\nHost: " + authority() +
           "\r\nProxy-Authorization: " + basic_credentials(user) + "\r\n" + extra + "\r\n";
  }
  /// One request on `c`, its answer.
  static raw_connection::answer ask(raw_connection& c, const std::string& method, const std::string& path,
                                    const std::string& user, const std::string& extra = "") {
    if (!c.send(request(method, path, user, extra))) return {};
    return c.read_response(method == "HEAD");
  }
  /// One request on a new connection.
  static raw_connection::answer ask(const std::string& method, const std::string& path, const std::string& user,
                                    const std::string& extra = "") {
    raw_connection c(proxy_->proxy_port());
    return ask(c, method, path, user, extra);
  }
  /// The connection the origin read `path` on (the only request for it).
  static int connection_of(const std::string& path) {
    const auto seen = origin_->requests_for(path);
    return seen.size() == 1 ? seen[0].connection : -1;
  }
  /// The audit row of `path` as "status decision username error", waiting for the writer.
  static std::string audit_row(const std::string& path) {
    std::string row;
    for (int i = 0; i < 100 && row.empty(); ++i) {
      if (i > 0) std::this_thread::sleep_for(100ms);
      row = services_environment::postgres().psql(
          "SELECT status || ' ' || decision || ' ' || coalesce(username, '-') || ' ' || coalesce(error, '-') "
          "FROM audit_log WHERE instance = 'adversary-framing' AND path = '" + path + "'");
    }
    return row;
  }

  static inline std::unique_ptr<hostile_origin> origin_;
  static inline std::unique_ptr<tollgate_process> proxy_;
};

class AdversaryFramingCorpus : public AdversaryFramingBase, public ::testing::WithParamInterface<response_case> {
 protected:
  static void SetUpTestSuite() { start(); }
  static void TearDownTestSuite() { print_summary(); }

  struct row {
    std::string name;
    int status;
    bool closed;
    bool next_clean;
  };
  static void print_summary() {
    std::printf("\nResponse framing corpus: %zu cases\n", rows_.size());
    std::printf("%-34s %-7s %-26s %s\n", "case", "status", "origin connection closed", "next answers clean");
    for (const auto& r : rows_)
      std::printf("%-34s %-7d %-26s %s\n", r.name.c_str(), r.status, r.closed ? "yes" : "no (may be reused)",
                  r.next_clean ? "yes" : "NO");
    std::fflush(stdout);
  }
  static inline std::vector<row> rows_;
};

TEST_P(AdversaryFramingCorpus, AnsweredAndNeverReadByTheNextRequest) {
  TOLLGATE_REQUIRE_SERVICES();
  const auto& k = GetParam();
  origin_->answer_cases_with(k.bytes, k.origin_closes);
  const std::string path = "/case/" + k.name;

  raw_connection alice(proxy_->proxy_port());
  const auto got = ask(alice, k.method, path, "alice");
  EXPECT_EQ(got.status, k.status) << got.raw.substr(0, 500);
  const auto head = lower(got.head);
  EXPECT_LE(count_of(head, "\r\ntransfer-encoding:") + count_of(head, "\r\ncontent-length:"), 1u) << got.head;
  if (!k.never_shown.empty()) {
    EXPECT_EQ(got.raw.find(k.never_shown), std::string::npos) << got.raw;
  }
  if (!k.head_shows.empty()) {
    EXPECT_NE(got.head.find(k.head_shows), std::string::npos) << got.head;
  }
  if (k.status == 200 && k.method == "GET") {
    EXPECT_EQ(got.body, "hello") << got.raw;
  }
  EXPECT_EQ(got.raw.find("POISON"), std::string::npos) << got.raw;

  const int used = connection_of(path);
  ASSERT_GT(used, 0) << "the origin read the case " << origin_->requests_for(path).size() << " times";
  const bool must_close = k.leftover || k.status == 502;
  const bool closed = must_close && origin_->wait_closed(used, 5s);
  if (must_close) {
    EXPECT_TRUE(closed) << "the origin connection stayed open for reuse";
  }

  // The next requests: alice's on her connection (same io thread, so the same pool),
  // and bob's on a new connection per io thread.
  bool clean = true;
  auto expect_clean = [&](const raw_connection::answer& a, const std::string& who) {
    EXPECT_EQ(a.status, 200) << who << ": " << a.raw;
    EXPECT_EQ(a.body, "clean") << who << ": " << a.raw;
    clean = clean && a.status == 200 && a.body == "clean";
  };
  auto next = ask(alice, "GET", "/clean/" + k.name + "/alice", "alice");
  if (next.status == 0) next = ask("GET", "/clean/" + k.name + "/alice", "alice");  // the proxy closed hers
  expect_clean(next, "alice");
  for (int i = 0; i < io_threads; ++i) expect_clean(ask("GET", "/clean/" + k.name + "/bob", "bob"), "bob");
  if (must_close) {
    for (const auto& r : origin_->requests_for("/clean/" + k.name))
      EXPECT_NE(r.connection, used) << r.target << " went out on the connection that carried the case";
  }
  rows_.push_back({k.name, got.status, closed, clean});
}

INSTANTIATE_TEST_SUITE_P(ResponseFraming, AdversaryFramingCorpus, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<response_case>& p) { return p.param.name; });

class AdversaryFraming : public AdversaryFramingBase {
 protected:
  static void SetUpTestSuite() { start(); }
  void SetUp() override { TOLLGATE_REQUIRE_SERVICES(); }
  void TearDown() override {
    if (HasFailure() && proxy_) std::printf("tollgate log:\n%s\n", proxy_->log_text().c_str());
  }
};

// Bytes the origin sends after the response is complete (so they were not read with
// it) and before the connection is used again: the pool's check finds them.
TEST_F(AdversaryFraming, BytesArrivingAfterTheResponseAreNeverReadAsTheNextAnswer) {
  origin_->answer_cases_with("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  raw_connection alice(proxy_->proxy_port());
  const auto first = ask(alice, "GET", "/case/late-bytes", "alice");
  ASSERT_EQ(first.body, "hello") << first.raw;
  const int used = connection_of("/case/late-bytes");
  ASSERT_GT(used, 0);
  ASSERT_TRUE(origin_->send_on(used, poison));
  const auto next = ask(alice, "GET", "/clean/late-bytes/alice", "alice");
  EXPECT_EQ(next.body, "clean") << next.raw;
  for (int i = 0; i < io_threads; ++i) {
    const auto b = ask("GET", "/clean/late-bytes/bob", "bob");
    EXPECT_EQ(b.body, "clean") << b.raw;
  }
  EXPECT_TRUE(origin_->wait_closed(used, 5s));
  for (const auto& r : origin_->requests_for("/clean/late-bytes")) EXPECT_NE(r.connection, used) << r.target;
}

// A refused response is on record as the client saw it: 502, decision error, why.
TEST_F(AdversaryFraming, RefusedResponsesAreAuditedAs502Errors) {
  origin_->answer_cases_with("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(ask("GET", "/case/audited-framing", "alice").status, 502);
  origin_->answer_cases_with("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(ask("GET", "/case/audited-chunk", "bob").status, 502);

  const auto framing = audit_row("/case/audited-framing");
  EXPECT_EQ(framing.rfind("502 error alice ", 0), 0u) << framing;
  EXPECT_NE(framing.find("Transfer-Encoding other than chunked"), std::string::npos) << framing;
  const auto chunk = audit_row("/case/audited-chunk");
  EXPECT_EQ(chunk.rfind("502 error bob ", 0), 0u) << chunk;
  EXPECT_NE(chunk.find("chunk"), std::string::npos) << chunk;
}

// A 401 that offers NTLM makes the connection alice's: bob never gets it, alice's next
// request on her client connection does, and it closes with her client connection.
TEST_F(AdversaryFraming, NtlmChallengePinsTheConnectionToItsClient) {
  auto alice = std::make_unique<raw_connection>(proxy_->proxy_port());
  const auto challenge = ask(*alice, "GET", "/ntlm/alice-1", "alice");
  ASSERT_EQ(challenge.status, 401) << challenge.raw;
  EXPECT_NE(challenge.head.find("WWW-Authenticate: NTLM"), std::string::npos) << challenge.head;
  const int pinned = connection_of("/ntlm/alice-1");
  ASSERT_GT(pinned, 0);

  for (int i = 0; i < io_threads; ++i) EXPECT_EQ(ask("GET", "/ntlm/bob", "bob").status, 401);
  for (const auto& r : origin_->requests_for("/ntlm/bob"))
    EXPECT_NE(r.connection, pinned) << "bob got alice's connection";

  const auto answer = ask(*alice, "GET", "/ntlm/alice-2", "alice", "Authorization: NTLM TlRMTVNTUAADAAAA\r\n");
  EXPECT_EQ(answer.body, "conn=" + std::to_string(pinned)) << answer.raw;

  alice.reset();
  EXPECT_TRUE(origin_->wait_closed(pinned, 5s)) << "the pinned connection outlived its client connection";
}

// The same for Negotiate offered beside Basic, in one WWW-Authenticate field.
TEST_F(AdversaryFraming, NegotiateChallengePinsTheConnectionToItsClient) {
  raw_connection alice(proxy_->proxy_port());
  ASSERT_EQ(ask(alice, "GET", "/negotiate/alice-1", "alice").status, 401);
  const int pinned = connection_of("/negotiate/alice-1");
  ASSERT_GT(pinned, 0);
  for (int i = 0; i < io_threads; ++i) EXPECT_EQ(ask("GET", "/negotiate/bob", "bob").status, 401);
  for (const auto& r : origin_->requests_for("/negotiate/bob"))
    EXPECT_NE(r.connection, pinned) << "bob got alice's connection";
  const auto answer = ask(alice, "GET", "/negotiate/alice-2", "alice", "Authorization: Negotiate YIIGhgYGKwYBBQUC\r\n");
  EXPECT_EQ(answer.body, "conn=" + std::to_string(pinned)) << answer.raw;
}

// A request that carries Authorization: NTLM pins its connection as well, and another
// user on the same client connection does not inherit it.
TEST_F(AdversaryFraming, NtlmAuthorizationPinsTheConnectionToItsClientAndUser) {
  raw_connection shared(proxy_->proxy_port());
  const auto first = ask(shared, "GET", "/conn/alice-1", "alice", "Authorization: NTLM TlRMTVNTUAABAAAA\r\n");
  ASSERT_EQ(first.status, 200) << first.raw;
  const int pinned = connection_of("/conn/alice-1");
  ASSERT_GT(pinned, 0);
  EXPECT_EQ(first.body, "conn=" + std::to_string(pinned));

  for (int i = 0; i < io_threads; ++i) {
    const auto b = ask("GET", "/conn/bob-elsewhere", "bob");
    EXPECT_NE(b.body, "conn=" + std::to_string(pinned)) << "bob got alice's connection";
  }
  EXPECT_EQ(ask(shared, "GET", "/conn/alice-2", "alice").body, "conn=" + std::to_string(pinned));

  const auto bob = ask(shared, "GET", "/conn/bob-same-client", "bob");
  EXPECT_EQ(bob.status, 200);
  EXPECT_NE(bob.body, "conn=" + std::to_string(pinned))
      << "bob inherited alice's connection on a shared client connection";
  EXPECT_TRUE(origin_->wait_closed(pinned, 5s));
}

// A reused connection that breaks after the request went out: a POST is not sent again
// (the origin may have acted on it), a GET is, on a new connection.
TEST_F(AdversaryFraming, OnlyIdempotentMethodsAreRetriedOnAFailedReusedConnection) {
  raw_connection alice(proxy_->proxy_port());
  ASSERT_EQ(ask(alice, "GET", "/drop-second/post-1", "alice").body, "ok");
  const auto post = ask(alice, "POST", "/drop-second/post-2", "alice", "Content-Length: 0\r\n");
  EXPECT_EQ(post.status, 502) << post.raw;
  EXPECT_EQ(origin_->requests_for("/drop-second/post-2").size(), 1u) << "the POST was sent twice";
  const auto post_row = audit_row("/drop-second/post-2");
  EXPECT_EQ(post_row.rfind("502 error alice ", 0), 0u) << post_row;

  raw_connection again(proxy_->proxy_port());
  ASSERT_EQ(ask(again, "GET", "/drop-second/get-1", "alice").body, "ok");
  const auto get = ask(again, "GET", "/drop-second/get-2", "alice");
  EXPECT_EQ(get.status, 200) << get.raw;
  EXPECT_EQ(get.body, "ok");
  const auto tries = origin_->requests_for("/drop-second/get-2");
  ASSERT_EQ(tries.size(), 2u) << "the GET was not retried";
  EXPECT_GT(tries[0].index, 0) << "the first try was on the reused connection";
  EXPECT_EQ(tries[1].index, 0) << "the retry was on a new connection";
}

}  // namespace
}  // namespace tollgate::testing
