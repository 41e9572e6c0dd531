#pragma once
// Helpers for the proxy integration tests: the test origin (started once), a proxy
// testbed process per test, curl, and a raw-socket client for malformed input.
#include "tollgate/testing/child_process.hpp"
#include "tollgate/testing/raw_client.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tollgate::testing::proxy {

/// The test origin server and its self-signed certificate, shared by all tests.
class origin_environment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
  static std::uint16_t http_port();
  static std::uint16_t tls_port();
  static std::uint16_t sink_port();
  static int pid();
};

/// `http://127.0.0.1:<origin>` + path.
std::string origin_url(const std::string& path);

/// How many request heads the test origin has read so far (its `GET /count`, asked
/// directly, not through a proxy); -1 when it does not answer.
long origin_requests();

/// A proxy_testbed process with its own config, audit file and port.
class proxy_process {
 public:
  /// `lines` are added to the default config (users alice/bob, allow 127.0.0.1/32
  /// by address rule unless `allow_loopback` is false, short-ish timeouts).
  explicit proxy_process(const std::vector<std::string>& lines = {}, bool allow_loopback = true);
  ~proxy_process();

  std::uint16_t port() const { return port_; }
  int pid() { return process_.pid(); }
  std::string proxy_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// The audit records written so far (one JSON object per line); waits up to
  /// `wait` for at least `at_least` of them.
  std::vector<std::string> audit(std::size_t at_least = 0,
                                 std::chrono::milliseconds wait = std::chrono::seconds(5)) const;
  /// Rewrites the config with `lines` added to the defaults and sends SIGHUP.
  void reload(const std::vector<std::string>& lines);
  /// Prometheus text + "# connection ..." lines, via SIGUSR1.
  std::string metrics();
  /// SIGTERM; returns the exit status (waitpid form), -1 on timeout.
  int terminate(std::chrono::milliseconds wait = std::chrono::seconds(20));
  std::string output() const;

 private:
  void write_config(const std::vector<std::string>& lines);
  temp_dir dir_{"tollgate-proxy-test"};
  bool allow_loopback_;
  child_process process_;
  std::uint16_t port_ = 0;
  int reloads_ = 0;
};

/// curl through `proxy` as alice (unless `user` is given). Returns stdout; exit code in `code`.
command_result curl(const proxy_process& proxy, std::vector<std::string> args, const std::string& user = "alice:alice-pw");

/// A JSON string or number field from an audit line (tiny extractor for the fake sink's output).
std::string json_field(const std::string& line, const std::string& key);

}  // namespace tollgate::testing::proxy
