#include "hostile_origin.hpp"

#include "tollgate/testing/net_util.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tollgate::testing {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t content_length_of(const std::string& head) {
  const auto l = lower(head);
  const auto at = l.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return static_cast<std::size_t>(std::strtoull(l.c_str() + at + 17, nullptr, 10));
}

std::string ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

hostile_origin::hostile_origin() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error(std::string("hostile origin: ") + std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

hostile_origin::~hostile_origin() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (const auto& [id, fd] : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  acceptor_.join();
  for (auto& t : threads_) t.join();  // no new thread once the acceptor has stopped
  ::close(listen_fd_);
}

void hostile_origin::accept_loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    const int id = ++connections_;
    open_fds_[id] = fd;
    threads_.emplace_back([this, id, fd] { serve(id, fd); });
  }
}

void hostile_origin::serve(int id, int fd) {
  std::string buf;
  auto fill = [&] {
    char tmp[4096];
    const auto n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<std::size_t>(n));
    return true;
  };
  for (int index = 0;; ++index) {
    std::size_t end = 0;
    bool open = true;
    while (open && (end = buf.find("\r\n\r\n")) == std::string::npos) open = fill();
    if (!open) break;
    request r;
    r.connection = id;
    r.index = index;
    r.head = buf.substr(0, end + 4);
    buf.erase(0, end + 4);
    const auto body = content_length_of(r.head);
    while (open && buf.size() < body) open = fill();
    if (!open) break;
    buf.erase(0, body);
    const auto line_end = r.head.find("\r\n");
    const auto sp1 = r.head.find(' ');
    const auto sp2 = r.head.find(' ', sp1 + 1);
    r.method = r.head.substr(0, sp1);
    if (sp2 != std::string::npos && sp2 < line_end) r.target = r.head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string answer;
    bool close_after = false;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(r);
      changed_.notify_all();
      if (r.target.starts_with("/case/")) {
        answer = case_bytes_;
        close_after = case_close_;
      }
    }
    if (r.target.starts_with("/clean")) {
      answer = ok("clean");
    } else if (r.target.starts_with("/conn")) {
      answer = ok("conn=" + std::to_string(id));
    } else if (r.target.starts_with("/drop-second")) {
      if (index > 0) break;  // read, never answered
      answer = ok("ok");
    } else if (r.target.starts_with("/ntlm") || r.target.starts_with("/negotiate")) {
      const bool ntlm = r.target.starts_with("/ntlm");
      const std::string offer = ntlm ? "NTLM" : "Basic realm=\"intranet\", Negotiate";
      answer = lower(r.head).find(ntlm ? "\r\nauthorization: ntlm " : "\r\nauthorization: negotiate ") !=
                       std::string::npos
                   ? ok("conn=" + std::to_string(id))
                   : "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: " + offer + "\r\nContent-Length: 0\r\n\r\n";
    }
    if (!send_all(fd, answer) || close_after) break;
  }
  std::lock_guard lock(mu_);
  open_fds_.erase(id);
  closed_.insert(id);
  ::close(fd);
  changed_.notify_all();
}

void hostile_origin::answer_cases_with(std::string bytes, bool close_after) {
  std::lock_guard lock(mu_);
  case_bytes_ = std::move(bytes);
  case_close_ = close_after;
}

std::vector<hostile_origin::request> hostile_origin::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<hostile_origin::request> hostile_origin::requests_for(const std::string& prefix) const {
  std::vector<request> out;
  for (auto& r : requests()) {
    if (r.target.starts_with(prefix)) out.push_back(r);
  }
  return out;
}

bool hostile_origin::wait_closed(int connection, std::chrono::milliseconds within) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, within, [&] { return closed_.count(connection) != 0; });
}

bool hostile_origin::send_on(int connection, const std::string& bytes) {
  std::lock_guard lock(mu_);  // the connection cannot be closed meanwhile
  const auto it = open_fds_.find(connection);
  return it != open_fds_.end() && send_all(it->second, bytes);
}

}  // namespace tollgate::testing
