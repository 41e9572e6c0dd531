// Faults under load: the real binary serving steady load (http_load, 4 keep-alive
// clients) while one part of its world fails. The expected outcome of each scenario,
// as checked below:
//  - PostgreSQL stopped, then started: every request is still answered with 200;
//    /readyz says postgres down and audit degraded, the spool takes the records
//    (tollgate_audit_records_spooled_total grows) and the log names the outage. Once
//    it is back the spool replays: audit_log holds exactly one row per answered
//    request, none twice, `tollgate audit verify` passes, and lost stays 0.
//  - slapd stopped, then started: cached users keep getting 200, an uncached user
//    gets 503 (not 407, which would loop the password prompt); /readyz says ldap
//    degraded and tollgate_ldap_errors_total grows. After the restart the uncached
//    user is checked again. One row per answered request; lost 0.
//  - the origin resets mid-body: the client's download is cut short (curl reports a
//    partial transfer, never a complete one), the audit row carries the error and the
//    bytes that did cross, tollgate_upstream_errors_total grows, and the load beside
//    it sees no failure.
//  - the client vanishes mid-upload: the proxy drops the upstream connection (the
//    origin sees the upload end early), writes one audit row with the error, and the
//    load beside it sees no failure.
//  - the spool's disk is full (a 1 MiB tmpfs, so writes fail with ENOSPC) while
//    PostgreSQL is down: with on_spool_full: block, answers stop (requests wait,
//    none fails) and /readyz answers 503 with audit down; once PostgreSQL is back
//    every waiting request completes. With reject, requests get 503 while it is
//    full. In both, lost stays 0 and every answered request has its row.
#include "tollgate/testing/child_process.hpp"
#include "tollgate/testing/http_load.hpp"
#include "tollgate/testing/ldap_server.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/postgres_server.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/static_origin.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>

namespace tollgate::testing {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// A one-thread TCP server on a free loopback port; `serve` handles each connection.
class tcp_fixture_server {
 public:
  explicit tcp_fixture_server(std::function<void(int)> serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0)
      throw std::runtime_error(std::string("fixture server: ") + std::strerror(errno));
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        serve_(c);
      }
    });
  }
  ~tcp_fixture_server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  std::function<void(int)> serve_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string read_head(int fd) {
  std::string in;
  char c;
  while (in.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) in.push_back(c);
  return in;
}

/// Closes with a TCP reset instead of a FIN.
void reset_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

struct readiness {
  std::string status;
  std::string body;
};
readiness readyz(const tollgate_process& p) {
  const auto r = curl({"-w", "\n%{http_code}", p.admin_url() + "/readyz"}).out;
  const auto nl = r.rfind('\n');
  return {r.substr(nl + 1), r.substr(0, nl)};
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 30s) {
  const auto until = clock_type::now() + limit;
  while (clock_type::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

class Faults : public ::testing::Test {
 protected:
  // Once per program: the parameterised suite below shares these, and the rules
  // (bootstrapped by the first proxy into the shared database) name their ports.
  static void SetUpTestSuite() {
    if (!services_environment::available() || origin_) return;
    try {
      ldap_ = ldap_server::start_new();
    } catch (const std::exception& e) {
      ldap_error_ = e.what();
      return;
    }
    origin_ = std::make_unique<static_origin>(std::map<std::string, std::string>{{"index.html", std::string(1024, 'x')}});
    // Answers 200 with a 1,000,000-byte Content-Length, sends 64 KiB, then resets.
    resetting_origin_ = std::make_unique<tcp_fixture_server>([](int fd) {
      read_head(fd);
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                       std::to_string(reset_promised) + "\r\n\r\n" + std::string(reset_sent, 'r'));
      std::this_thread::sleep_for(100ms);
      reset_close(fd);
    });
    // Reads an upload until the connection ends; never answers.
    upload_sink_ = std::make_unique<tcp_fixture_server>([](int fd) {
      read_head(fd);
      long total = 0;
      char buf[65536];
      for (;;) {
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        total += n;
      }
      ::close(fd);
      upload_received_ = total;
    });
  }
  void SetUp() override {
    TOLLGATE_REQUIRE_SERVICES();
    TOLLGATE_REQUIRE_OWN_SERVER(ldap_ != nullptr, ldap_error_);
  }
  void TearDown() override {
    if (!services_environment::available()) return;
    if (!services_environment::postgres().running()) services_environment::postgres().start();
    if (ldap_ && !ldap_->running()) ldap_->start();
  }

  /// engineering may reach the three origins on 127.0.0.1.
  static std::unique_ptr<tollgate_process> start_proxy(const std::string& instance, tollgate_settings s = {}) {
    const std::string ports = std::to_string(origin_->port()) + ", " + std::to_string(resetting_origin_->port()) +
                              ", " + std::to_string(upload_sink_->port());
    s.instance = instance;
    s.ldap_extra += "  network_timeout: 1s\n  operation_timeout: 2s\n  stale_if_error: 1h\n";
    s.bootstrap_rules_yaml =
        "- priority: 10\n"
        "  action: allow\n"
        "  groups: [engineering]\n"
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [" + ports + "]\n";
    return tollgate_process::start(services_environment::postgres(), *ldap_, s);
  }
  static std::unique_ptr<http_load> load_on(const tollgate_process& p, const std::string& user = "alice") {
    http_load::settings s;
    s.proxy_port = p.proxy_port();
    s.url = origin_->url("/index.html");
    s.host = "127.0.0.1:" + std::to_string(origin_->port());
    s.user = user;
    return std::make_unique<http_load>(s);
  }
  static long rows(const std::string& instance, const std::string& where = "true") {
    return std::stol(services_environment::postgres().psql("SELECT count(*) FROM audit_log WHERE instance = '" +
                                                           instance + "' AND " + where));
  }
  /// Waits until the instance's rows stop changing and its queue is empty.
  static long settled_rows(const tollgate_process& p, const std::string& instance) {
    long last = -1;
    for (int stable = 0, i = 0; i < 300 && stable < 3; ++i) {
      const long now = rows(instance);
      stable = (now == last && p.metric("tollgate_audit_queue_depth") == 0) ? stable + 1 : 0;
      last = now;
      std::this_thread::sleep_for(200ms);
    }
    return last;
  }
  static std::uint64_t answered_after(const http_load& load, std::chrono::milliseconds wait) {
    const auto before = load.answered();
    std::this_thread::sleep_for(wait);
    return load.answered() - before;
  }
  static void expect_exact_audit(const tollgate_process& p, const std::string& instance, std::uint64_t answered) {
    const long n = settled_rows(p, instance);
    EXPECT_EQ(n, static_cast<long>(answered)) << "one row per answered request";
    EXPECT_EQ(rows(instance, "true") - std::stol(services_environment::postgres().psql(
                                           "SELECT count(DISTINCT seq) FROM audit_log WHERE instance = '" + instance +
                                           "'")),
              0)
        << "no record twice";
    EXPECT_EQ(p.metric("tollgate_audit_records_lost_total"), 0);
  }

  static inline std::unique_ptr<ldap_server> ldap_;
  static inline std::string ldap_error_;
  static inline std::unique_ptr<static_origin> origin_;
  static constexpr std::size_t reset_promised = 1'000'000;
  static constexpr std::size_t reset_sent = 64 * 1024;
  static inline std::unique_ptr<tcp_fixture_server> resetting_origin_;
  static inline std::unique_ptr<tcp_fixture_server> upload_sink_;
  static inline std::atomic<long> upload_received_{-1};
};

TEST_F(Faults, PostgresStoppedAndStartedUnderLoadLosesNothing) {
  auto proxy = start_proxy("fault-pg");
  auto load = load_on(*proxy);
  ASSERT_GT(answered_after(*load, 1s), 0u) << proxy->log_text();

  services_environment::postgres().stop();
  EXPECT_TRUE(eventually([&] { return proxy->metric("tollgate_audit_records_spooled_total") > 0; }))
      << proxy->log_text();
  const auto during = answered_after(*load, 2s);
  EXPECT_GT(during, 0u) << "requests are answered while PostgreSQL is down";
  const auto ready = readyz(*proxy);
  EXPECT_NE(ready.body.find("\"postgres\":\"down\""), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find("\"audit\":\"degraded\""), std::string::npos) << ready.body;
  std::cout << "postgres down: " << during << " answers in 2 s, readyz " << ready.status << " " << ready.body << "\n";

  services_environment::postgres().start();
  EXPECT_TRUE(eventually([&] { return readyz(*proxy).body.find("\"audit\":\"ok\"") != std::string::npos; }, 60s))
      << readyz(*proxy).body;
  load->stop();
  std::cout << "load: " << load->summary() << "\n";
  EXPECT_EQ(load->failures(), 0u);
  EXPECT_EQ(load->count(200), load->answered());
  expect_exact_audit(*proxy, "fault-pg", load->answered());
  const auto log = proxy->log_text();
  EXPECT_NE(log.find("PostgreSQL"), std::string::npos) << log;
  const auto verify = run_command({tollgate_binary(), "audit", "verify", "--config", proxy->config_file()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(Faults, DirectoryStoppedAndStartedUnderLoad) {
  auto proxy = start_proxy("fault-ldap");
  auto load = load_on(*proxy);
  ASSERT_GT(answered_after(*load, 1s), 0u) << proxy->log_text();
  const auto status_of = [&](const std::string& user) {
    return curl({"-x", proxy->proxy_url(), "-U", user + ":" + user + "-pw", "-o", "/dev/null", "-w", "%{http_code}",
                 origin_->url("/index.html")})
        .out;
  };
  int extra = 0;  // requests made here besides the load

  ldap_->stop();
  const auto during = answered_after(*load, 2s);
  EXPECT_GT(during, 0u) << "cached users keep their access";
  EXPECT_EQ(status_of("bob"), "503");  // never seen: cannot be checked
  ++extra;
  const auto ready = readyz(*proxy);
  EXPECT_NE(ready.body.find("\"ldap\":\"degraded\""), std::string::npos) << ready.body;
  EXPECT_GT(proxy->metric("tollgate_ldap_errors_total"), 0);
  std::cout << "slapd down: " << during << " answers in 2 s, readyz " << ready.body << "\n";

  ldap_->start();
  std::string bob;
  EXPECT_TRUE(eventually([&] {
    bob = status_of("bob");
    ++extra;
    return bob == "403";  // sales: checked again, and denied by the rules
  })) << bob;
  EXPECT_TRUE(eventually([&] { return readyz(*proxy).body.find("\"ldap\":\"ok\"") != std::string::npos; }))
      << readyz(*proxy).body;
  load->stop();
  std::cout << "load: " << load->summary() << "\n";
  EXPECT_EQ(load->failures(), 0u);
  EXPECT_EQ(load->count(200), load->answered());
  expect_exact_audit(*proxy, "fault-ldap", load->answered() + static_cast<std::uint64_t>(extra));
}

TEST_F(Faults, OriginResettingMidBodyCutsOnlyThatDownload) {
  constexpr auto promised = reset_promised;
  constexpr auto sent = reset_sent;
  auto proxy = start_proxy("fault-origin");
  auto load = load_on(*proxy);
  const auto errors_before = proxy->metric("tollgate_upstream_errors_total");

  const auto r = curl({"-x", proxy->proxy_url(), "-U", "alice:alice-pw", "-o", "/dev/null", "-w", "%{size_download}",
                       "http://127.0.0.1:" + std::to_string(resetting_origin_->port()) + "/big"});
  EXPECT_NE(r.exit_code, 0) << "curl must not see a complete download";
  const auto got = std::stoul(r.out.empty() ? "0" : r.out);
  EXPECT_GE(got, sent / 2);
  EXPECT_LT(got, promised);
  std::cout << "origin reset: curl exit " << r.exit_code << " after " << got << " of " << promised << " bytes\n";

  EXPECT_TRUE(eventually([&] { return proxy->metric("tollgate_upstream_errors_total") > errors_before; }));
  load->stop();
  EXPECT_EQ(load->failures(), 0u) << load->summary();
  expect_exact_audit(*proxy, "fault-origin", load->answered() + 1);
  const auto row = services_environment::postgres().psql(
      "SELECT status || ' ' || bytes_down || ' ' || coalesce(error, '-') FROM audit_log WHERE instance = "
      "'fault-origin' AND path = '/big'");
  std::cout << "audit row: " << row << "\n";
  EXPECT_EQ(row.substr(0, 4), "200 ") << row;
  EXPECT_EQ(row.find(" -"), std::string::npos) << "the row names the error: " << row;
  const auto bytes_down = std::stoul(row.substr(4));
  EXPECT_GE(bytes_down, sent / 2);
  EXPECT_LT(bytes_down, promised);
}

TEST_F(Faults, ClientVanishingMidUploadEndsTheUpstreamToo) {
  auto proxy = start_proxy("fault-upload");
  auto load = load_on(*proxy);
  upload_received_ = -1;

  constexpr long declared = 10'000'000;
  constexpr long uploaded = 256 * 1024;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(proxy->proxy_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const auto target = "127.0.0.1:" + std::to_string(upload_sink_->port());
  send_all(fd, "POST http://" + target + "/upload HTTP/1.1\r\nHost: " + target +
                   "\r\nProxy-Authorization: " + basic_credentials("alice") + "\r\nContent-Length: " + std::to_string(declared) +
                   "\r\n\r\n" + std::string(uploaded, 'u'));
  std::this_thread::sleep_for(300ms);
  reset_close(fd);

  ASSERT_TRUE(eventually([&] { return upload_received_.load() >= 0; }, 15s)) << "the upstream connection stays open";
  EXPECT_LT(upload_received_.load(), declared);
  std::cout << "client vanished: the origin got " << upload_received_.load() << " of " << declared << " bytes\n";
  load->stop();
  EXPECT_EQ(load->failures(), 0u) << load->summary();
  expect_exact_audit(*proxy, "fault-upload", load->answered() + 1);
  const auto row = services_environment::postgres().psql(
      "SELECT method || ' ' || bytes_up || ' ' || coalesce(error, '-') FROM audit_log WHERE instance = "
      "'fault-upload' AND path = '/upload'");
  std::cout << "audit row: " << row << "\n";
  EXPECT_EQ(row.substr(0, 5), "POST ") << row;
  EXPECT_EQ(row.find(" -"), std::string::npos) << "the row names the error: " << row;
}

/// A 1 MiB tmpfs (root only); unmounted on destruction.
class small_tmpfs {
 public:
  explicit small_tmpfs(const std::string& path) : path_(path) {
    run_command({"mkdir", "-p", path_});
    const auto r = run_command({"mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs", path_});
    mounted_ = r.exit_code == 0;
    error_ = r.err;
  }
  ~small_tmpfs() {
    if (mounted_) run_command({"umount", "-l", path_});
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

class SpoolDiskFull : public Faults, public ::testing::WithParamInterface<std::string> {};

TEST_P(SpoolDiskFull, WhilePostgresIsDown) {
  const auto mode = GetParam();
  const auto instance = "fault-disk-" + mode;
  temp_dir dir("tollgate-disk-full");
  small_tmpfs spool(dir.file("spool"));
  if (!spool.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << spool.error();
  tollgate_settings s;
  s.spool_dir_override = dir.file("spool");
  s.audit_extra = "  on_spool_full: " + mode + "\n  queue_capacity: 2000\n  batch_max: 200\n  spool_max_bytes: 64MiB\n";
  auto proxy = start_proxy(instance, s);
  auto load = load_on(*proxy);
  ASSERT_GT(answered_after(*load, 500ms), 0u) << proxy->log_text();

  services_environment::postgres().stop();
  // The spool fills the tmpfs, then the queue fills.
  ASSERT_TRUE(eventually([&] { return readyz(*proxy).status == "503"; }, 60s)) << readyz(*proxy).body;
  const auto ready = readyz(*proxy);
  EXPECT_NE(ready.body.find("\"audit\":\"down\""), std::string::npos) << ready.body;
  std::cout << mode << ": spool disk full after " << load->answered() << " answers; readyz " << ready.body << "\n";
  const auto log = proxy->log_text();
  EXPECT_NE(log.find("No space left on device"), std::string::npos) << log;
  if (mode == "block") {
    // The queue takes records until it holds queue_capacity; then requests wait.
    EXPECT_TRUE(eventually([&] { return answered_after(*load, 1s) == 0; }, 30s)) << load->summary();
    EXPECT_EQ(answered_after(*load, 2s), 0u) << "requests wait while nothing can record them";
  } else {
    EXPECT_TRUE(eventually([&] { return load->count(503) > 0; }, 10s)) << load->summary();
  }
  EXPECT_EQ(proxy->metric("tollgate_audit_records_lost_total"), 0);

  services_environment::postgres().start();
  EXPECT_TRUE(eventually([&] { return answered_after(*load, 500ms) > 0 && load->count(200) > 0; }, 60s));
  EXPECT_TRUE(eventually([&] { return readyz(*proxy).body.find("\"audit\":\"ok\"") != std::string::npos; }, 90s))
      << readyz(*proxy).body;
  load->stop();
  std::cout << mode << ": load " << load->summary() << "\n";
  EXPECT_EQ(load->failures(), 0u);
  if (mode == "block") {
    EXPECT_EQ(load->count(200), load->answered());
  }
  expect_exact_audit(*proxy, instance, load->answered());
}

INSTANTIATE_TEST_SUITE_P(OnSpoolFull, SpoolDiskFull, ::testing::Values("block", "reject"));

}  // namespace
}  // namespace tollgate::testing
