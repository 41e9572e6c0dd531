#pragma once
#include "tollgate/audit/audit_record.hpp"

#include <chrono>
#include <string>

namespace tollgate::audit::test {

/// A plausible request record; `n` varies the fields.
inline audit_record sample_record(int n = 1) {
  audit_record r;
  r.ts = std::chrono::system_clock::time_point(std::chrono::microseconds(1'700'000'000'000'000LL + n * 1000LL));
  r.event = n % 3 == 0 ? audit_event::tunnel_open : audit_event::request;
  r.client_ip = "10.1.2." + std::to_string(n % 250);
  r.client_port = static_cast<std::uint16_t>(40000 + n % 1000);
  r.username = "alice";
  r.groups = {"engineering", "engineering-all"};
  r.method = n % 3 == 0 ? "CONNECT" : "GET";
  r.scheme = n % 3 == 0 ? "https" : "http";
  r.host = "host" + std::to_string(n) + ".example.com";
  r.port = n % 3 == 0 ? 443 : 80;
  r.path = n % 3 == 0 ? "" : "/index.html";
  r.status = 200;
  r.decision = "allow";
  r.rule_id = 7;
  r.policy_version = 3;
  r.bytes_up = 100 + static_cast<std::uint64_t>(n);
  r.bytes_down = 5000;
  r.duration_us = 1234;
  r.upstream_ip = "93.184.216.34";
  r.user_agent = "curl/7.88.1";
  return r;
}

}  // namespace tollgate::audit::test
