#pragma once
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace tollgate {

/// The facts about one request that an access decision depends on.
struct request_facts {
  std::string method;   ///< upper-case token, e.g. "GET", "CONNECT"
  bool is_connect = false;
  std::string host;     ///< normalised by normalise_host(): lower-case, no trailing dot, IDNA; or an IP literal
  std::optional<boost::asio::ip::address> address;  ///< destination address once resolved (or the literal)
  std::uint16_t port = 0;
  std::string path;     ///< plain HTTP only; empty for CONNECT
  std::chrono::system_clock::time_point when{};
};

}  // namespace tollgate
