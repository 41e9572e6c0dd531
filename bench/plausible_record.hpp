#pragma once
// A request record as a busy office produces them: 5,000 users, about 1,000 hosts,
// a browser user agent. Shared by the audit benchmarks so their figures compare.
#include "tollgate/audit/audit_record.hpp"

#include <chrono>
#include <string>

namespace tollgate::bench {

inline audit::audit_record plausible_record(long n) {
  audit::audit_record r;
  r.ts = std::chrono::system_clock::now();
  r.client_ip = "10.20." + std::to_string(n % 200) + "." + std::to_string(n % 250);
  r.client_port = static_cast<std::uint16_t>(1024 + n % 60000);
  r.username = "user" + std::to_string(n % 5000);
  r.groups = {"engineering", "engineering-all"};
  r.method = "GET";
  r.scheme = "http";
  r.host = "www" + std::to_string(n % 997) + ".example.com";
  r.port = 80;
  r.path = "/assets/app.js";
  r.status = 200;
  r.decision = "allow";
  r.rule_id = 3;
  r.policy_version = 7;
  r.bytes_up = 400;
  r.bytes_down = 18000;
  r.duration_us = 25000;
  r.upstream_ip = "93.184.216.34";
  r.user_agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
  return r;
}

}  // namespace tollgate::bench
