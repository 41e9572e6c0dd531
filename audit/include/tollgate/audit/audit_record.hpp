#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tollgate::audit {

enum class audit_event { request, tunnel_open, tunnel_close };

/// One row of `audit_log` (docs/audit-guide.md, "The table"). The proxy fills the
/// request fields; the sink assigns `instance`, `seq`, `prev_hash` and `hash`.
struct audit_record {
  std::chrono::system_clock::time_point ts{};  ///< when the request arrived
  audit_event event = audit_event::request;
  std::string client_ip;     ///< textual address
  std::uint16_t client_port = 0;
  std::string username;      ///< attempted user name, also when authentication failed; never a password
  std::vector<std::string> groups;
  std::string method;
  std::string scheme;        ///< "http" or "https" (CONNECT)
  std::string host;
  std::uint16_t port = 0;
  std::string path;          ///< query stripped unless audit.store_query
  int status = 0;
  std::string decision;      ///< allow|deny|auth_required|auth_failed|error
  std::optional<std::int64_t> rule_id;
  std::optional<std::int64_t> would_rule_id;
  std::int64_t policy_version = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  std::uint64_t duration_us = 0;
  std::string upstream_ip;   ///< empty when no upstream was contacted
  std::string user_agent;
  std::string error;         ///< empty when none

  // Assigned by the sink.
  std::string instance;
  std::int64_t seq = 0;
  std::vector<std::uint8_t> prev_hash;
  std::vector<std::uint8_t> hash;
};

std::string_view to_string(audit_event e) noexcept;

}  // namespace tollgate::audit
