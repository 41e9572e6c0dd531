// `tollgate serve`: the composition root. Builds every component from the config,
// hands each the one metrics registry, wires them together, and owns the signals.
#include "commands.hpp"
#include "serve_runtime.hpp"
#include "tollgate/app/config.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace tollgate::app {

int run_serve(const command_args& args) {
  auto loaded = load_config(args.config_file);
  if (auto* problems = std::get_if<std::vector<config_problem>>(&loaded)) {
    for (const auto& p : *problems) std::cerr << to_string(p) << "\n";
    return exit_usage;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  try {
    auto runtime = serve_runtime::start(std::move(std::get<config>(loaded)));
    return runtime->run_until_signalled();
  } catch (const std::exception& e) {
    spdlog::critical("tollgate serve: {}", e.what());
    return exit_failure;
  }
}

}  // namespace tollgate::app
