#include "tollgate/testing/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace tollgate::testing {
namespace {

using clock_type = std::chrono::steady_clock;

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> all;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) all[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : all) out.push_back(k + "=" + v);
  return out;
}

// Everything the child does between fork and exec; only async-signal-safe calls, and
// no allocation: another thread may have held the allocator's lock at fork() (under
// ASan a child that allocated here hung for good).
[[noreturn]] void exec_child(char* const* args, char* const* envp, const spawn_options& opts, int out_fd,
                             int err_fd, uid_t uid, gid_t gid) {
  setpgid(0, 0);  // own process group, so a stop reaches helpers it forks too
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  if (out_fd >= 0) dup2(out_fd, 1);
  if (err_fd >= 0) dup2(err_fd, 2);
  if (!opts.working_dir.empty() && chdir(opts.working_dir.c_str()) != 0) _exit(126);
  if (!opts.run_as_user.empty() && geteuid() == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
  }
  execve(args[0], args, envp);
  _exit(127);
}

pid_t fork_exec(const std::vector<std::string>& argv_in, const spawn_options& opts, int out_fd, int err_fd) {
  if (argv_in.empty()) throw std::invalid_argument("spawn: empty argv");
  std::vector<std::string> argv = argv_in;
  if (argv[0].find('/') == std::string::npos) {
    const auto found = find_program(argv[0]);
    if (found.empty()) throw std::runtime_error("spawn: program not found: " + argv[0]);
    argv[0] = found;
  }
  uid_t uid = 0;
  gid_t gid = 0;
  auto env_extra = opts.env;
  if (!opts.run_as_user.empty() && geteuid() == 0) {
    const passwd* pw = getpwnam(opts.run_as_user.c_str());
    if (pw == nullptr) throw std::runtime_error("spawn: no such user: " + opts.run_as_user);
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    env_extra.try_emplace("HOME", pw->pw_dir);
    env_extra.try_emplace("USER", opts.run_as_user);
  }
  const auto env = merged_environment(env_extra);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(args.data(), envp.data(), opts, out_fd, err_fd, uid, gid);
  return pid;
}

}  // namespace

std::string find_program(const std::string& name) {
  std::string path = getenv("PATH") != nullptr ? getenv("PATH") : "/usr/bin:/bin";
  path += ":/usr/sbin:/sbin:/usr/lib/postgresql/15/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = path.find(':', start);
    const auto dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty()) {
      const auto candidate = dir + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return {};
}

child_process child_process::spawn(const std::vector<std::string>& argv, const spawn_options& opts) {
  int out_fd = -1;
  if (!opts.output_file.empty()) {
    out_fd = open(opts.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) throw std::runtime_error("spawn: cannot open " + opts.output_file);
    if (!opts.run_as_user.empty() && geteuid() == 0) {
      if (const passwd* pw = getpwnam(opts.run_as_user.c_str())) {
        if (fchown(out_fd, pw->pw_uid, pw->pw_gid) != 0) { /* best effort: the log stays root's */ }
      }
    }
  }
  const pid_t pid = fork_exec(argv, opts, out_fd, out_fd);
  if (out_fd >= 0) close(out_fd);
  return child_process(pid);
}

child_process::child_process(child_process&& other) noexcept : pid_(other.pid_), status_(other.status_) {
  other.pid_ = -1;
}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) stop();
    pid_ = other.pid_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

child_process::~child_process() {
  if (pid_ > 0) stop();
}

bool child_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    pid_ = -1;
    return false;
  }
  return r == 0;
}

int child_process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      status_ = status;
      pid_ = -1;
      return status_;
    }
    if (clock_type::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

int child_process::stop(int sig, std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_;
  ::kill(pid_, sig);
  if (wait(grace) != -1) return status_;
  kill_hard();
  return status_;
}

void child_process::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  status_ = status;
  pid_ = -1;
}

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const spawn_options& opts) {
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (pipe2(out_pipe.data(), O_CLOEXEC) != 0 || pipe2(err_pipe.data(), O_CLOEXEC) != 0)
    throw std::runtime_error("run_command: pipe failed");
  const pid_t pid = fork_exec(argv, opts, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);

  command_result result;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  const auto deadline = clock_type::now() + timeout;
  int open_fds = 2;
  bool timed_out = false;
  std::array<char, 65536> buf{};
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) { timed_out = true; break; }
    const int n = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { timed_out = n == 0; break; }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = read(fds[i].fd, buf.data(), buf.size());
      if (got > 0) {
        (i == 0 ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(got));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) if (f.fd >= 0) close(f.fd);
  if (timed_out) ::kill(-pid, SIGKILL), ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) {
    result.exit_code = -1;
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);  // as a shell reports it
  } else {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return result;
}

}  // namespace tollgate::testing
