#pragma once
#include "tollgate/app/config.hpp"

#include <memory>

namespace tollgate::app {

/// Everything `tollgate serve` runs, built in dependency order and torn down in
/// reverse: metrics registry, audit sink, policy (store, watcher, engine),
/// authenticator, proxy server, admin API.
///
/// Lifecycle: start() builds and starts all of it or throws with a readable reason
/// (nothing is left running). run_until_signalled() blocks the calling thread on
/// SIGTERM/SIGINT (graceful stop, exit code 0) and SIGHUP (config reload).
class serve_runtime {
 public:
  static std::unique_ptr<serve_runtime> start(config cfg);
  virtual ~serve_runtime() = default;
  virtual int run_until_signalled() = 0;
};

}  // namespace tollgate::app
