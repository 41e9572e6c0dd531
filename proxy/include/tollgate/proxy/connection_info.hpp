#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tollgate::proxy {

enum class connection_kind { http, tunnel };
std::string_view to_string(connection_kind k) noexcept;

/// One live client connection, as listed by the admin API (`GET /api/v1/connections`).
struct connection_info {
  std::string user;         ///< authenticated user of the latest request; empty before one
  std::string client;       ///< "ip:port" of the client
  std::string destination;  ///< "host:port" of the latest request; empty before one
  std::uint64_t bytes_up = 0;    ///< client to proxy, whole connection so far
  std::uint64_t bytes_down = 0;  ///< proxy to client, whole connection so far
  std::chrono::milliseconds age{0};
  connection_kind kind = connection_kind::http;
};

}  // namespace tollgate::proxy
