#pragma once
#include <chrono>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace tollgate::testing {

/// Options for starting a child process.
struct spawn_options {
  std::string output_file;                   ///< stdout and stderr go here; empty = /dev/null
  std::map<std::string, std::string> env;    ///< added to (or replacing in) the inherited environment
  std::string run_as_user;                   ///< when root: drop to this user (e.g. "postgres")
  std::string working_dir;
};

/// A process this test started. Stopped by PID (SIGTERM, then SIGKILL after a grace
/// period) when stop() is called or the object is destroyed, also when a test fails.
class child_process {
 public:
  child_process() = default;
  static child_process spawn(const std::vector<std::string>& argv, const spawn_options& opts = {});
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();

  pid_t pid() const { return pid_; }
  bool running();
  /// Sends `sig` and waits up to `grace`; then SIGKILL. Returns the exit status (waitpid form).
  int stop(int sig = 15, std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// Waits for the process to end by itself; -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  void kill_hard();  ///< SIGKILL, for crash tests

 private:
  explicit child_process(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int status_ = -1;
};

/// Result of run_command().
struct command_result {
  int exit_code = -1;   ///< -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

/// Runs a command to completion (e.g. curl), capturing its output.
command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60),
                           const spawn_options& opts = {});

/// Looks a program up in PATH and the sbin/PostgreSQL folders Debian keeps off PATH.
/// Empty when not found.
std::string find_program(const std::string& name);

}  // namespace tollgate::testing
