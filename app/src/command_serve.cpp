// `tollgate serve`: the composition root. Builds every component from the config,
// hands each the one metrics registry, wires them together, and owns the signals.
#include "commands.hpp"
#include "serve_runtime.hpp"
#include "tollgate/app/config.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#ifdef BOOST_ASIO_HAS_IO_URING
#include <liburing.h>

#include <cstring>
#endif

namespace tollgate::app {
namespace {

// An io_uring build cannot fall back to epoll: say so plainly, instead of the bare
// system_error the first io_context would throw.
bool io_backend_available() {
#ifdef BOOST_ASIO_HAS_IO_URING
  io_uring ring{};
  if (const int rc = ::io_uring_queue_init(2, &ring, 0); rc < 0) {
    std::cerr << "tollgate serve: this build does its network I/O through io_uring, and the system refuses it ("
              << std::strerror(-rc)
              << "): a container's seccomp profile or kernel.io_uring_disabled. Allow io_uring, or use a build "
                 "configured with -DTOLLGATE_IO_URING=OFF (as the container image is).\n";
    return false;
  }
  ::io_uring_queue_exit(&ring);
#endif
  return true;
}

}  // namespace

int run_serve(const command_args& args) {
  auto loaded = load_config(args.config_file);
  if (!loaded) {
    for (const auto& p : loaded.error()) std::cerr << to_string(p) << "\n";
    return exit_usage;
  }
  if (!io_backend_available()) return exit_failure;
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  try {
    auto runtime = serve_runtime::start(std::move(*loaded));
    return runtime->run_until_signalled();
  } catch (const std::exception& e) {
    spdlog::critical("tollgate serve: {}", e.what());
    return exit_failure;
  }
}

}  // namespace tollgate::app
