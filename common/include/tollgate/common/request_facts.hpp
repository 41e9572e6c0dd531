#pragma once
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tollgate {

/// The facts about one request that an access decision depends on.
struct request_facts {
  std::string method;   ///< upper-case token, e.g. "GET", "CONNECT"
  bool is_connect = false;
  std::string host;     ///< normalised by normalise_host(): lower-case, no trailing dot, IDNA; or an IP literal
  std::optional<boost::asio::ip::address> address;  ///< destination address once resolved (or the literal)
  std::uint16_t port = 0;
  std::string path;     ///< plain HTTP only, normalised by normalise_request_path(); empty for CONNECT
  /// Other ways origin servers read `path`, each differing from it (usually none):
  /// without ';' parameters (servlet containers), and without trailing dots and spaces
  /// (Windows, `windows_only`: read by case-insensitive rules). Filled with `path` by
  /// assign_request_path().
  struct path_reading {
    std::string path;
    bool windows_only = false;
  };
  std::vector<path_reading> other_path_readings;
  std::chrono::system_clock::time_point when{};
};

}  // namespace tollgate
