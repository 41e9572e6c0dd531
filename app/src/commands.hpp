#pragma once
#include <string>
#include <vector>

namespace tollgate::app {

/// Exit codes shared by every command (README.md, "Command line").
enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_usage = 2, exit_unchecked = 3 };

struct command_args {
  std::string config_file;
  std::string migrations_dir;  ///< migrate only
};

int run_serve(const command_args& args);
int run_migrate(const command_args& args);
int run_check_config(const command_args& args);
int run_audit_verify(const command_args& args);

}  // namespace tollgate::app
