#pragma once
// An origin server that answers with exactly the bytes a test names, however wrong,
// and records what it received on which connection. In-process: a thread accepts on a
// free loopback port and each connection gets a thread of its own, so a connection the
// proxy keeps idle never holds up the next one.
//
// What it answers, by the request target's path:
//   /case/...      the bytes set by answer_cases_with() (then closes, if asked to)
//   /clean         200, body "clean" (Content-Length, keep-alive)
//   /conn          200, body "conn=<connection number>"
//   /drop-second   200 "ok" as the first request on its connection; any later request
//                  on that connection is read, then the connection closes unanswered
//   /ntlm          401 with WWW-Authenticate: NTLM, unless the request carries
//                  Authorization: NTLM ...; then 200 "conn=<connection number>"
//   /negotiate     the same with WWW-Authenticate: Basic realm="intranet", Negotiate
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tollgate::testing {

class hostile_origin {
 public:
  struct request {
    int connection = 0;  ///< numbered from 1 in accept order
    int index = 0;       ///< 0 for the first request on its connection
    std::string method;
    std::string target;
    std::string head;
  };

  hostile_origin();
  ~hostile_origin();
  hostile_origin(const hostile_origin&) = delete;
  hostile_origin& operator=(const hostile_origin&) = delete;

  std::uint16_t port() const { return port_; }

  /// The answer to every later /case/ request; `close_after`: close the connection then.
  void answer_cases_with(std::string bytes, bool close_after = false);

  std::vector<request> requests() const;
  /// The requests whose target starts with `prefix`.
  std::vector<request> requests_for(const std::string& prefix) const;
  /// Waits until `connection` is closed by the peer (or by us); false after `within`.
  bool wait_closed(int connection, std::chrono::milliseconds within) const;
  /// Writes `bytes` on an open connection, from the test's thread.
  bool send_on(int connection, const std::string& bytes);

 private:
  void accept_loop();
  void serve(int id, int fd);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  bool stopping_ = false;  // guarded by mu_
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::string case_bytes_;
  bool case_close_ = false;
  std::vector<request> requests_;
  std::map<int, int> open_fds_;  // connection -> fd, while open
  std::set<int> closed_;
  int connections_ = 0;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace tollgate::testing
