// Issue 16, class 4: the audit trail cannot be flooded. The real binary, its own slapd
// (to count what reaches the directory), the harness's PostgreSQL, and raw client sockets
// that pipeline thousands of requests without credentials, with long paths and user
// agents, plus malformed ones. What must hold: the rows they leave are few and bounded,
// their counts add up to exactly the requests answered, clients past their 407 rate get
// 429 without the directory being asked, and authenticated requests from the same and
// another address during the flood each keep their own whole row. Nothing is lost.
#include "tollgate/testing/http_load.hpp"
#include "tollgate/testing/ldap_server.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/postgres_server.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/static_origin.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace tollgate::testing {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// The limits the proxy under test runs with (small, so a few thousand requests cross them).
constexpr int challenges_per_second = 5;
constexpr int challenge_burst = 20;
constexpr int records_per_second = 5;
constexpr int records_burst = 20;

// A connection to the proxy from `source` (any 127.0.0.0/8 address: Linux answers for all
// of them on loopback), so one test can be several clients.
int connect_from(const std::string& source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads answers (head and Content-Length body) until `want` arrived or the connection
// ends; returns their status codes in order.
std::vector<int> read_answers(int fd, std::size_t want) {
  std::vector<int> statuses;
  std::string in;
  char buf[16384];
  while (statuses.size() < want) {
    const auto end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      const auto head = in.substr(0, end);
      std::size_t length = 0;
      for (const std::string name : {"Content-Length: ", "content-length: "})
        if (auto p = head.find(name); p != std::string::npos) length = std::stoul(head.substr(p + name.size()));
      if (in.size() >= end + 4 + length) {
        statuses.push_back(std::stoi(head.substr(9, 3)));
        in.erase(0, end + 4 + length);
        continue;
      }
    }
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  return statuses;
}

struct tally {
  std::mutex mutex;
  std::map<int, std::uint64_t> by_status;
  std::uint64_t sent = 0;
  std::uint64_t answered() {
    std::lock_guard lock(mutex);
    std::uint64_t n = 0;
    for (const auto& [s, c] : by_status) n += c;
    return n;
  }
  std::uint64_t count(int status) {
    std::lock_guard lock(mutex);
    return by_status[status];
  }
  void add(const std::vector<int>& statuses, std::size_t sent_now) {
    std::lock_guard lock(mutex);
    sent += sent_now;
    for (int s : statuses) ++by_status[s];
  }
};

// Requests a PostgreSQL row stands for: an aggregate row says "aggregate of N requests".
constexpr const char* represented =
    "sum(CASE WHEN error LIKE 'aggregate of %' THEN substring(error from '^aggregate of ([0-9]+) ')::bigint "
    "ELSE 1 END)";

class AdversaryFlood : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_environment::available()) return;
    try {
      ldap_ = ldap_server::start_new();
    } catch (const std::exception& e) {
      ldap_error_ = e.what();
      return;
    }
    origin_ = std::make_unique<static_origin>(std::map<std::string, std::string>{{"index.html", "hello\n"}});
    tollgate_settings settings;
    settings.instance = "flood-e2e";
    settings.proxy_extra = "  flood:\n    challenges_per_second: " + std::to_string(challenges_per_second) +
                           "\n    challenge_burst: " + std::to_string(challenge_burst) + "\n";
    settings.audit_extra = "  unauthenticated:\n    records_per_second: " + std::to_string(records_per_second) +
                           "\n    records_burst: " + std::to_string(records_burst) +
                           "\n    aggregate_interval: 1s\n";
    // No lockout: the directory would otherwise be spared by the lockout, not by the rate.
    settings.ldap_extra = "  lockout:\n    threshold: 0\n";
    settings.bootstrap_rules_yaml =
        "- priority: 10\n"
        "  action: allow\n"
        "  groups: [engineering-all]\n"
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [" + std::to_string(origin_->port()) + "]\n";
    proxy_ = tollgate_process::start(services_environment::postgres(), *ldap_, settings);
  }
  static void TearDownTestSuite() {
    proxy_.reset();
    origin_.reset();
    ldap_.reset();
  }
  void SetUp() override {
    TOLLGATE_REQUIRE_SERVICES();
    TOLLGATE_REQUIRE_OWN_SERVER(ldap_ != nullptr, ldap_error_);
  }

  static std::string origin_target() { return "http://127.0.0.1:" + std::to_string(origin_->port()); }

  // One authenticated GET from `source` with a 1000-byte user agent, to a destination no
  // rule allows (a documentation address): the answer is the policy's 403, so the test
  // needs no origin; returns the status.
  static int authenticated_get(const std::string& source, const std::string& user) {
    const int fd = connect_from(source, proxy_->proxy_port());
    if (fd < 0) return -1;
    const std::string req = "GET http://192.0.2.1/" + std::string(1000, 'q') +
                            " HTTP/1.1\r\nHost: 192.0.2.1\r\nProxy-Authorization: " + basic_credentials(user) +
                            "\r\nUser-Agent: " + std::string(1000, 'A') + "\r\nConnection: close\r\n\r\n";
    send_all(fd, req);
    const auto got = read_answers(fd, 1);
    ::close(fd);
    return got.empty() ? -1 : got[0];
  }

  static std::string sql(const std::string& query) { return services_environment::postgres().psql(query); }
  static std::uint64_t sql_number(const std::string& query) {
    const auto out = sql(query);
    return out.empty() || out == "\n" ? 0 : std::stoull(out);
  }

  static inline std::unique_ptr<ldap_server> ldap_;
  static inline std::string ldap_error_;
  static inline std::unique_ptr<static_origin> origin_;
  static inline std::unique_ptr<tollgate_process> proxy_;
};

TEST_F(AdversaryFlood, CredentialLessFloodLeavesFewRowsWhoseCountsAddUp) {
  // alice logs in before the flood (her login is cached); erin logs in during it from
  // another address, through the directory.
  ASSERT_EQ(authenticated_get("127.0.0.1", "alice"), 403) << proxy_->log_text();

  const std::string host = "127.0.0.1:" + std::to_string(origin_->port());
  const std::string long_path = "/" + std::string(2000, 'p');
  const std::string long_agent = std::string(4000, 'u');
  auto pipelined = [&](int n, bool bad_credentials) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      out += "GET " + origin_target() + long_path + std::to_string(i) + " HTTP/1.1\r\nHost: " + host +
             "\r\nUser-Agent: " + long_agent + "\r\n";
      if (bad_credentials) out += "Proxy-Authorization: Basic !!!\r\n";
      out += "\r\n";
    }
    return out;
  };
  // A Host that disagrees with the target: 400, and the connection closes.
  const std::string malformed = "GET " + origin_target() + long_path + " HTTP/1.1\r\nHost: elsewhere.example\r\n"
                                "User-Agent: " + long_agent + "\r\n\r\n";

  // At least this much flood, and it goes on until the authenticated requests are done,
  // so they are made during it whatever the machine's speed.
  constexpr int connections = 30;
  constexpr int per_connection = 100;
  constexpr int malformed_connections = 300;
  constexpr int most_connections = 100'000;  // a bound on the loops, never reached
  tally flood;
  std::atomic<std::uint64_t> malformed_sent{0};
  std::atomic<bool> authenticated_done{false};
  const auto t0 = steady::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int c = t; (c < connections || !authenticated_done) && c < most_connections; c += 3) {
        const int fd = connect_from("127.0.0.1", proxy_->proxy_port());
        if (fd < 0) continue;
        const bool bad = c % 5 == 0;  // a fifth with unusable credentials (auth_failed)
        send_all(fd, pipelined(per_connection, bad));
        flood.add(read_answers(fd, per_connection), per_connection);
        ::close(fd);
      }
    });
  }
  threads.emplace_back([&] {
    for (int c = 0; (c < malformed_connections || !authenticated_done) && c < most_connections; ++c) {
      const int fd = connect_from("127.0.0.1", proxy_->proxy_port());
      if (fd < 0) continue;
      send_all(fd, malformed);
      ++malformed_sent;
      flood.add(read_answers(fd, 1), 1);
      ::close(fd);
    }
  });
  // During the flood: the same address with a cached login, another one through LDAP.
  while (flood.answered() < 500 && steady::now() - t0 < 20s) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(authenticated_get("127.0.0.1", "alice"), 403);
  EXPECT_EQ(authenticated_get("127.0.0.2", "erin"), 403);
  authenticated_done = true;
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(steady::now() - t0).count();

  const std::uint64_t sent = flood.sent;
  EXPECT_GE(sent, static_cast<std::uint64_t>(connections) * per_connection + malformed_connections);
  EXPECT_EQ(flood.answered(), sent) << "every request got an answer (407 and 429 keep the connection)";
  EXPECT_EQ(flood.count(400), malformed_sent.load());
  EXPECT_GT(flood.count(429), 0u) << "the client never met its 407 rate";
  EXPECT_LE(flood.count(407), challenge_burst + challenges_per_second * std::ceil(seconds + 1));

  // Every answered request is on record: one row each, or counted in an aggregate row.
  const std::string flood_rows = "FROM audit_log WHERE instance = 'flood-e2e' AND client_ip = '127.0.0.1' "
                                 "AND decision <> 'deny'";
  std::uint64_t on_record = 0;
  const auto deadline = steady::now() + 20s;
  while ((on_record = sql_number(std::string("SELECT ") + represented + " " + flood_rows)) < sent &&
         steady::now() < deadline)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(on_record, sent);
  const auto rows = sql_number("SELECT count(*) " + flood_rows);
  std::printf("flood: %llu requests in %.2f s (%llu x 407, %llu x 429, %llu x 400) left %llu rows\n",
              static_cast<unsigned long long>(sent), seconds, static_cast<unsigned long long>(flood.count(407)),
              static_cast<unsigned long long>(flood.count(429)), static_cast<unsigned long long>(flood.count(400)),
              static_cast<unsigned long long>(rows));
  // The rate's rows plus at most one aggregate per kind (407, 407 auth_failed, 429, 400)
  // and interval; thousands of requests, a bounded handful of rows.
  const double row_bound = records_burst + records_per_second * (seconds + 2) + 4 * (seconds + 3);
  EXPECT_LE(static_cast<double>(rows), row_bound) << rows << " rows for " << sent << " requests in " << seconds << " s";
  EXPECT_GT(sql_number("SELECT count(*) " + flood_rows + " AND error LIKE 'aggregate of %'"), 0u);
  EXPECT_LE(sql_number("SELECT coalesce(max(length(path)), 0) " + flood_rows), 256u);
  EXPECT_LE(sql_number("SELECT coalesce(max(length(user_agent)), 0) " + flood_rows), 256u);
  // The first rows of the rate are individual and cut; which kind they are (pipelined or
  // malformed, whose head holds the same 4000-byte user agent) depends on which thread's
  // requests reach the proxy first.
  EXPECT_GT(sql_number("SELECT count(*) " + flood_rows + " AND error LIKE '%truncated:%user_agent (4000 bytes)%'"),
            0u)
      << sql("SELECT DISTINCT status || ' ' || decision || ' ' || coalesce(error, '-') " + flood_rows);
  EXPECT_EQ(sql_number("SELECT count(*) " + flood_rows + " AND status = 429 AND error NOT LIKE 'aggregate%'") +
                sql_number("SELECT coalesce(sum(substring(error from '^aggregate of ([0-9]+) ')::bigint), 0) " +
                           flood_rows + " AND status = 429 AND error LIKE 'aggregate%'"),
            flood.count(429));

  // The authenticated requests: one whole row each, nothing cut.
  const std::string whole = " AND decision = 'deny' AND status = 403 AND length(path) = 1001 "
                            "AND length(user_agent) = 1000 AND error NOT LIKE '%truncated%'";
  EXPECT_EQ(sql_number("SELECT count(*) FROM audit_log WHERE instance = 'flood-e2e' AND client_ip = '127.0.0.1' "
                       "AND username = 'alice'" + whole),
            2u);
  EXPECT_EQ(sql_number("SELECT count(*) FROM audit_log WHERE instance = 'flood-e2e' AND client_ip = '127.0.0.2' "
                       "AND username = 'erin'" + whole),
            1u);

  EXPECT_EQ(proxy_->metric("tollgate_audit_records_lost_total"), 0);
  EXPECT_EQ(proxy_->metric("tollgate_audit_records_aggregated_total"),
            static_cast<double>(sql_number("SELECT coalesce(sum(substring(error from '^aggregate of ([0-9]+) ')"
                                           "::bigint), 0) FROM audit_log WHERE instance = 'flood-e2e' AND error "
                                           "LIKE 'aggregate of %'")));
  EXPECT_GE(proxy_->metric("tollgate_auth_throttled_total"), static_cast<double>(flood.count(429)));
}

TEST_F(AdversaryFlood, PastItsRateAClientNoLongerReachesTheDirectory) {
  const std::string bob = "uid=bob,ou=people,dc=example,dc=com";
  const int binds_before = ldap_->bind_attempts(bob);
  // Credential stuffing from one address: distinct wrong passwords, pipelined.
  constexpr int guesses = 300;
  std::string out;
  for (int i = 0; i < guesses; ++i)
    out += "GET " + origin_target() + "/index.html HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(origin_->port()) +
           "\r\nProxy-Authorization: " + basic_credentials("bob", "guess-" + std::to_string(i)) + "\r\n\r\n";
  const auto t0 = steady::now();
  const int fd = connect_from("127.0.0.3", proxy_->proxy_port());
  ASSERT_GE(fd, 0);
  send_all(fd, out);
  const auto statuses = read_answers(fd, guesses);
  ::close(fd);
  const double seconds = std::chrono::duration<double>(steady::now() - t0).count();
  ASSERT_EQ(statuses.size(), static_cast<std::size_t>(guesses));
  std::map<int, int> by_status;
  for (int s : statuses) ++by_status[s];
  EXPECT_GT(by_status[429], 0);
  EXPECT_EQ(by_status[407] + by_status[429], guesses);
  const double allowed = challenge_burst + challenges_per_second * std::ceil(seconds + 1);
  EXPECT_LE(by_status[407], allowed);
  // Each 407 here was one check with the directory; a 429 was none.
  const int binds = ldap_->bind_attempts(bob) - binds_before;
  std::printf("stuffing: %d guesses in %.2f s: %d x 407, %d x 429, %d binds reached the directory\n", guesses,
              seconds, by_status[407], by_status[429], binds);
  EXPECT_GT(binds, 0) << "no guess reached the directory at all: the test proves nothing";
  EXPECT_LE(binds, by_status[407]) << "the directory was asked for requests answered 429";
  EXPECT_LE(binds, allowed);
  // A user whose login is cached is not held back by the spent budget.
  ASSERT_EQ(authenticated_get("127.0.0.4", "erin"), 403);
  EXPECT_EQ(authenticated_get("127.0.0.3", "erin"), 403);
}

// The audit queue is bounded in bytes, not only in records: with PostgreSQL out of reach
// and a 1 MiB spool, records of 14 KiB (authenticated, so kept whole) close admission once
// the queue holds 1 MiB, after a few hundred requests, though queue_capacity allows 100,000.
TEST_F(AdversaryFlood, LargeRecordsFillTheAuditQueueByTheirBytes) {
  tollgate_settings settings;
  settings.instance = "flood-bytes";
  settings.dsn_override = "postgresql://tollgate_writer@127.0.0.1:1/tollgate";  // nothing listens there
  settings.audit_extra = "  spool_max_bytes: 1MiB\n  queue_capacity: 100000\n  queue_max_bytes: 1MiB\n"
                         "  on_spool_full: reject\n";
  auto proxy = tollgate_process::start(services_environment::postgres(), *ldap_, settings);
  const std::string request = "GET http://192.0.2.1/" + std::string(8000, 'q') +
                              " HTTP/1.1\r\nHost: 192.0.2.1\r\nProxy-Authorization: " + basic_credentials("alice") +
                              "\r\nUser-Agent: " + std::string(6000, 'A') + "\r\n\r\n";
  constexpr int most = 3000;  // 42 MB of records: far past the byte bound, far below the count bound
  int answered = 0;
  int refused = 0;
  int fd = -1;
  while (answered < most && refused == 0) {
    if (fd < 0) fd = connect_from("127.0.0.1", proxy->proxy_port());
    ASSERT_GE(fd, 0);
    send_all(fd, request);
    const auto got = read_answers(fd, 1);
    if (got.empty()) {  // the proxy closed a kept-alive connection: try a new one
      ::close(fd);
      fd = -1;
      continue;
    }
    ++answered;
    if (got[0] == 503) ++refused;
    else ASSERT_EQ(got[0], 403) << proxy->log_text();
  }
  if (fd >= 0) ::close(fd);
  std::printf("queue bytes: %d requests of 14 KiB answered before the first 503\n", answered);

  // With on_spool_full: reject, a 503 is the answer of a closed admission (the directory is up).
  EXPECT_EQ(refused, 1) << "admission never closed: " << answered << " requests of 14 KiB";
  // 1 MiB in the spool, a batch the writer holds, 1 MiB in the queue: about 200 at most.
  EXPECT_LT(answered, 500);
  EXPECT_EQ(proxy->metric("tollgate_audit_records_lost_total"), 0);
}

}  // namespace
}  // namespace tollgate::testing
