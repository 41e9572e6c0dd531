#pragma once
#include "tollgate/testing/child_process.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace tollgate::testing {

/// A static-file origin (`python3 -m http.server`) on a free loopback port, serving
/// `files` (path below the root -> content). Stopped by PID on destruction.
class static_origin {
 public:
  /// Throws std::runtime_error when the server does not open its port.
  explicit static_origin(const std::map<std::string, std::string>& files);

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  const temp_dir& dir() const { return dir_; }

 private:
  temp_dir dir_;
  std::uint16_t port_ = 0;
  child_process process_;
};

}  // namespace tollgate::testing
