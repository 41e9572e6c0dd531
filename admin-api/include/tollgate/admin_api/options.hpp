#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace tollgate::admin_api {

/// Config `admin:`. Every limit below bounds one input of the admin listener.
struct options {
  std::string listen = "127.0.0.1:9090";
  std::vector<std::string> admin_groups{"proxy-admins"};
  std::vector<std::string> auditor_groups{"auditors"};
  std::string tokens_file;      ///< lines "sha256-hex role [name]"; optional
  std::string tls_cert_file;    ///< both set: the admin listener speaks HTTPS
  std::string tls_key_file;
  bool metrics_require_token = false;  ///< /metrics needs a bearer token (any role)

  unsigned io_threads = 1;            ///< threads running the admin listener's own io_context
  unsigned worker_threads = 4;        ///< threads for blocking calls (PostgreSQL, directory, reload)
  std::size_t max_connections = 256;  ///< past it a new connection gets 503 and is closed
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;    ///< larger request bodies get 413
  std::chrono::milliseconds read_timeout{10'000};   ///< whole request (head and body), and TLS handshake
  std::chrono::milliseconds idle_timeout{60'000};   ///< keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{60'000};  ///< each response write, each export chunk
};

}  // namespace tollgate::admin_api
