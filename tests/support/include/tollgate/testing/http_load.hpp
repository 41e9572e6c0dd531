#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tollgate::testing {

/// "Basic <base64 of user:user-pw>", the fixture directory's password convention.
std::string basic_credentials(const std::string& user);
/// "Basic <base64 of user:password>", for any password (a wrong one, say).
std::string basic_credentials(const std::string& user, const std::string& password);

/// Steady load through a forward proxy for fault tests: `clients` threads, each on
/// its own keep-alive connection (reopened when the proxy closes it), sending
/// absolute-form GETs with Proxy-Authorization and reading each answer whole before
/// the next. stop() lets every request in flight finish, so the counts are exact:
/// every request sent got a whole answer (counted by status) or a connection
/// failure (counted as `failures`).
class http_load {
 public:
  struct settings {
    std::uint16_t proxy_port = 0;
    std::string url;                  ///< absolute-form target
    std::string host;                 ///< Host header
    std::string user;                 ///< password is <user>-pw
    int clients = 4;
    int answer_timeout_seconds = 60;  ///< per answer; a blocked audit holds answers back
  };

  explicit http_load(settings s);
  ~http_load();
  http_load(const http_load&) = delete;
  http_load& operator=(const http_load&) = delete;

  void stop();  ///< idempotent; joins the threads

  std::uint64_t answered() const { return answered_.load(); }  ///< answers of any status
  std::uint64_t failures() const { return failures_.load(); }
  std::uint64_t count(int status) const;
  std::string summary() const;  ///< "answered=N failures=F 200:n 503:m ..."

 private:
  void run();
  bool one_request(int& fd);

  settings s_;
  std::string request_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> answered_{0};
  std::atomic<std::uint64_t> failures_{0};
  mutable std::mutex mutex_;
  std::map<int, std::uint64_t> by_status_;
  std::vector<std::thread> threads_;
};

}  // namespace tollgate::testing
