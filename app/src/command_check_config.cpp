// `tollgate check-config`: the same loader `serve` uses, so a file that passes
// here is a file `serve` accepts. Problems go to stderr, one per line; no value
// of a secret key is ever printed.
#include "commands.hpp"
#include "tollgate/app/config.hpp"

#include <iostream>

namespace tollgate::app {

int run_check_config(const command_args& args) {
  const auto loaded = load_config(args.config_file);
  if (const auto* problems = std::get_if<std::vector<config_problem>>(&loaded)) {
    for (const auto& p : *problems) std::cerr << to_string(p) << "\n";
    return exit_usage;
  }
  std::cout << args.config_file << ": OK\n";
  return exit_ok;
}

}  // namespace tollgate::app
