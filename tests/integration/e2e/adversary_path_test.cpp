// Issue 16, class 1: the policy sees the same path the origin serves. The real binary,
// the harness's PostgreSQL and slapd, raw client sockets (so no client tidies a path
// first), and an origin that records every request target exactly as it arrived.
// Each spelling is checked at the origin: a path is either refused by the proxy (400),
// denied by a rule (403), or reaches the origin as the normal form the policy decided
// on, and even the laxest reading of what arrived stays where the rule allowed.
#include "tollgate/testing/http_load.hpp"
#include "tollgate/testing/lax_path.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/postgres_server.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace tollgate::testing {
namespace {

// An origin on 127.0.0.1 that answers every request with 200 and the target it got,
// and keeps the list of targets.
class recording_origin {
 public:
  recording_origin() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("recording origin: cannot listen");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~recording_origin() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mutex_);
    return targets_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    targets_.clear();
  }

 private:
  void serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      const auto sp1 = head.find(' ');
      const auto sp2 = head.find(' ', sp1 + 1);
      if (sp1 != std::string::npos && sp2 != std::string::npos) {
        const std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
        {
          std::lock_guard lock(mutex_);
          targets_.push_back(target);
        }
        const std::string body = "served " + target;
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body;
        send_all(c, answer);
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> targets_;
};

// Sends `request` to 127.0.0.1:port on a fresh connection; returns the whole answer.
std::string exchange(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && send_all(fd, request)) {
    char buf[4096];
    for (;;) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

int status_of(const std::string& answer) {
  return answer.size() > 12 && answer.starts_with("HTTP/1.") ? std::stoi(answer.substr(9, 3)) : 0;
}

struct spelling {
  std::string name;
  std::string user;       ///< bob may read /public/ only; alice anything but /internal/ and /admin/ (any case)
  std::string path;       ///< as the client writes it (after http://127.0.0.1:<origin>)
  int status;             ///< 200, 400 or 403
  std::string forwarded;  ///< for 200: the target the origin must get
};

void PrintTo(const spelling& s, std::ostream* os) { *os << s.name; }

std::vector<spelling> spellings() {
  return {
      // Plain and harmless
      {"PublicAsIs", "bob", "/public/a.html", 200, "/public/a.html"},
      {"PublicWithQuery", "bob", "/public/a.html?x=../internal/&y=%2e%2e", 200, "/public/a.html?x=../internal/&y=%2e%2e"},
      {"InternalAsIs", "bob", "/internal/", 403, ""},
      {"AliceInternalAsIs", "alice", "/internal/secret", 403, ""},
      // Dot segments (RFC 3986 section 5.2.4): normalised, then decided
      {"DotDot", "bob", "/public/../internal/", 403, ""},
      {"DotDotAlice", "alice", "/public/../internal/secret", 403, ""},
      {"DotDotStaysInside", "bob", "/public/x/../a.html", 200, "/public/a.html"},
      {"Dot", "bob", "/public/./a.html", 200, "/public/a.html"},
      {"DotDotAboveRoot", "bob", "/../../public/a.html", 200, "/public/a.html"},
      {"DotDotAboveRootAlice", "alice", "/../../internal/x", 403, ""},
      {"TrailingDotDot", "bob", "/public/a/..", 200, "/public/"},
      {"DotDotOutOfPublic", "bob", "/public/..", 403, ""},
      // Repeated slashes collapse
      {"DoubleSlash", "bob", "//public//a.html", 200, "/public/a.html"},
      {"DoubleSlashInternal", "alice", "//internal//x", 403, ""},
      {"DoubleSlashDotDot", "alice", "/public//../internal/x", 403, ""},
      // Percent-encoded unreserved characters decode
      {"EncodedLetters", "alice", "/%69nternal/x", 403, ""},
      {"EncodedLettersAllUpper", "alice", "/%49%4E%54%45%52%4E%41%4C/x", 200, "/INTERNAL/x"},
      {"EncodedTilde", "bob", "/public/%7euser", 200, "/public/~user"},
      {"EncodedDotInName", "bob", "/public/a%2ehtml", 200, "/public/a.html"},
      {"LowerHexUpperCased", "bob", "/public/caf%c3%a9", 200, "/public/caf%C3%A9"},
      {"RawUtf8Escaped", "bob", "/public/caf\xc3\xa9", 200, "/public/caf%C3%A9"},
      // Encoded dot segments, slashes, backslashes: origins disagree, so 400
      {"EncodedDotDot", "bob", "/public/%2e%2e/internal/", 400, ""},
      {"EncodedDotDotUpper", "bob", "/public/%2E%2E/internal/", 400, ""},
      {"HalfEncodedDotDot", "bob", "/public/.%2e/internal/", 400, ""},
      {"OtherHalfEncodedDotDot", "bob", "/public/%2e./internal/", 400, ""},
      {"EncodedSlash", "bob", "/public%2f..%2finternal/", 400, ""},
      {"EncodedSlashUpper", "alice", "/internal%2Fx", 400, ""},
      {"RawBackslash", "bob", "/public\\..\\internal\\", 400, ""},
      {"EncodedBackslash", "bob", "/public/..%5cinternal/", 400, ""},
      {"EncodedNul", "bob", "/public/a%00.html", 400, ""},
      {"BadEscape", "bob", "/public/%zz", 400, ""},
      {"IisUnicodeEscape", "bob", "/public/%u002e%u002e/internal/", 400, ""},
      // Double encoding (IIS decodes twice)
      {"DoubleEncodedDots", "bob", "/public/%252e%252e/internal/", 400, ""},
      {"DoubleEncodedSlash", "bob", "/public/..%252finternal/", 400, ""},
      {"DoubleEncodedBackslash", "bob", "/public/..%255cinternal/", 400, ""},
      {"DoubleEncodedViaUnreserved", "bob", "/public/%25%32%65%25%32%65/internal/", 400, ""},
      {"PercentLiteralIsFine", "bob", "/public/100%25", 200, "/public/100%25"},
      // Overlong UTF-8 (lax decoders turn these into '.', '/', '\')
      {"OverlongDots", "bob", "/public/%c0%ae%c0%ae/internal/", 400, ""},
      {"OverlongSlash", "bob", "/public/..%c0%afinternal/", 400, ""},
      {"OverlongBackslash", "bob", "/public/..%c1%9cinternal/", 400, ""},
      {"ThreeByteOverlongDot", "bob", "/public/%e0%80%ae%e0%80%ae/internal/", 400, ""},
      {"RawOverlongDots", "bob", "/public/\xc0\xae\xc0\xae/internal/", 400, ""},
      // Tomcat path parameters
      {"TomcatDotDotParameter", "bob", "/public/..;/internal/", 400, ""},
      {"TomcatDotDotEncodedParameter", "bob", "/public/..%3b/internal/", 400, ""},
      {"TomcatDotParameter", "bob", "/public/.;x/a.html", 400, ""},
      {"ParameterHidesDenyPrefix", "alice", "/internal;x/secret", 403, ""},
      {"EncodedParameterHidesDenyPrefix", "alice", "/internal%3bx/secret", 403, ""},
      {"ParameterOnPublicName", "bob", "/public;x/a.html", 403, ""},
      {"SessionIdStays", "bob", "/public/a.jsp;jsessionid=1", 200, "/public/a.jsp;jsessionid=1"},
      // Windows: trailing dots and spaces
      {"ThreeDots", "bob", "/public/.../internal/", 400, ""},
      {"DotDotSpace", "bob", "/public/..%20/internal/", 400, ""},
      // Case: exact by default, folded where the rule says so
      {"UpperCasePublicIsNotPublic", "bob", "/PUBLIC/a.html", 403, ""},
      {"AdminAnyCaseDenied", "alice", "/ADMIN/x", 403, ""},
      {"AdminMixedCaseDenied", "alice", "/aDmIn/x", 403, ""},
      {"AdminEncodedLetterDenied", "alice", "/%41dmin/x", 403, ""},
      {"AdminDotDotDenied", "alice", "/x/../Admin/x", 403, ""},
      {"AdminTrailingDotDenied", "alice", "/admin./x", 403, ""},
      {"AdminTrailingSpaceDenied", "alice", "/ADMIN%20/x", 403, ""},
      {"AdminParameterDenied", "alice", "/Admin;x/y", 403, ""},
      {"ExactRuleIgnoresTrailingDot", "alice", "/internal./x", 200, "/internal./x"},
  };
}

class AdversaryPath : public ::testing::TestWithParam<spelling> {
 protected:
  // One proxy and origin for both suites of this fixture (the spellings and the
  // single tests): the bootstrap rules reach PostgreSQL only while it has none, so a
  // second start would keep the first origin's port. They stop when the program ends.
  static void SetUpTestSuite() {
    if (!services_environment::available() || proxy_) return;
    origin_ = std::make_unique<recording_origin>();
    const std::string where =
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [" + std::to_string(origin_->port()) + "]\n";
    tollgate_settings settings;
    settings.instance = "path-e2e";
    // Every refused spelling is checked in the trail one by one: none may be counted
    // into an aggregate row (refusals before authentication are, past a rate).
    settings.audit_extra =
        "  unauthenticated:\n"
        "    records_per_second: 100000\n"
        "    records_burst: 100000\n";
    settings.bootstrap_rules_yaml =
        "- priority: 10\n  action: deny\n  groups: [engineering]\n  path_prefixes: [\"/internal/\"]\n" + where +
        "- priority: 11\n  action: deny\n  groups: [engineering]\n  path_prefixes: [\"/admin/\"]\n"
        "  path_case: insensitive\n" + where +
        "- priority: 12\n  action: deny\n  groups: [engineering]\n  hosts: [localhost]\n"
        "  path_prefixes: [\"/secret/\"]\n  ports: [" + std::to_string(origin_->port()) + "]\n" +
        "- priority: 20\n  action: allow\n  groups: [engineering]\n" + where +
        "- priority: 30\n  action: allow\n  groups: [sales]\n  path_prefixes: [\"/public/\"]\n" + where;
    proxy_ = tollgate_process::start(services_environment::postgres(), services_environment::ldap(), settings);
  }
  void SetUp() override { TOLLGATE_REQUIRE_SERVICES(); }

  static std::string authority(const std::string& host = "127.0.0.1") {
    return host + ":" + std::to_string(origin_->port());
  }
  static std::string get(const std::string& user, const std::string& path, const std::string& host = "127.0.0.1") {
    return exchange(proxy_->proxy_port(), "GET http://" + authority(host) + path + " HTTP/1.1\r\nHost: " +
                                              authority(host) + "\r\nProxy-Authorization: " +
                                              basic_credentials(user) + "\r\nConnection: close\r\n\r\n");
  }

  static inline std::unique_ptr<recording_origin> origin_;
  static inline std::unique_ptr<tollgate_process> proxy_;
};

TEST_P(AdversaryPath, OriginServesOnlyWhatThePolicyDecidedOn) {
  const auto& c = GetParam();
  origin_->clear();
  const auto answer = get(c.user, c.path);
  EXPECT_EQ(status_of(answer), c.status) << answer.substr(0, answer.find("\r\n"));
  const auto targets = origin_->targets();
  if (c.status != 200) {
    EXPECT_TRUE(targets.empty()) << "the origin was asked for " << targets.front();
    return;
  }
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets.front(), c.forwarded);
  // However lax the origin, what it serves is where the rule allowed.
  if (c.user == "bob") {
    EXPECT_TRUE(lax_path_reading(targets.front(), false).starts_with("/public/")) << targets.front();
  } else {
    EXPECT_FALSE(lax_path_reading(targets.front(), false).starts_with("/internal/")) << targets.front();
    EXPECT_FALSE(lax_path_reading(targets.front(), true).starts_with("/admin/")) << targets.front();
  }
}

INSTANTIATE_TEST_SUITE_P(Spellings, AdversaryPath, ::testing::ValuesIn(spellings()),
                         [](const auto& p) { return p.param.name; });

// A path rule on a host name holds for every spelling of the name: case, a trailing
// dot and full-width (IDN) letters fold before the rule is asked. localhost resolves
// to 127.0.0.1, so the address rule opens the rest of the origin to alice.
TEST_F(AdversaryPath, PathRulesOnANameHoldForEverySpellingOfIt) {
  for (const std::string host : {"localhost", "LOCALHOST", "localhost.", "LocalHost.",
                                 "\xef\xbd\x8c\xef\xbd\x8f\xef\xbd\x83\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x88"
                                 "\xef\xbd\x8f\xef\xbd\x93\xef\xbd\x94"}) {
    origin_->clear();
    EXPECT_EQ(status_of(get("alice", "/secret/x", host)), 403) << host;
    EXPECT_EQ(status_of(get("alice", "/public/../secret/x", host)), 403) << host;
    EXPECT_TRUE(origin_->targets().empty()) << host;
    EXPECT_EQ(status_of(get("alice", "/public/x", host)), 200) << host;
    EXPECT_EQ(origin_->targets(), std::vector<std::string>{"/public/x"}) << host;
  }
}

// The reproduction, with curl as a user would run it.
TEST_F(AdversaryPath, CurlPathAsIsDotDotIsDenied) {
  origin_->clear();
  const auto r = curl({"--path-as-is", "-x", proxy_->proxy_url(), "-U", "bob:bob-pw", "-o", "/dev/null", "-w",
                       "%{http_code}", "http://" + authority() + "/public/../internal/"});
  EXPECT_EQ(r.out, "403");
  EXPECT_TRUE(origin_->targets().empty());
}

// The audit trail records the path that was decided on, and the refused spelling as sent.
TEST_F(AdversaryPath, AuditRecordsTheDecidedPathAndTheRefusedSpelling) {
  get("bob", "/public/x/../../internal/audit-denied");
  get("bob", "/public/%2e%2e/internal/audit-refused");
  std::string rows;
  for (int i = 0; i < 100 && rows.find("audit-refused") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rows = services_environment::postgres().psql(
        "SELECT decision || ' ' || status || ' ' || path FROM audit_log WHERE instance = 'path-e2e' "
        "AND path LIKE '%/audit-%' ORDER BY seq");
  }
  EXPECT_NE(rows.find("deny 403 /internal/audit-denied"), std::string::npos) << rows;
  EXPECT_NE(rows.find("error 400 /public/%2e%2e/internal/audit-refused"), std::string::npos) << rows;
}

}  // namespace
}  // namespace tollgate::testing
