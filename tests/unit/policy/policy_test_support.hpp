#pragma once
// Small builders shared by the policy unit tests.
#include "tollgate/policy/compiled_policy.hpp"
#include "tollgate/policy/rule.hpp"
#include "tollgate/common/request_path.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace tollgate::policy::testing {

inline rule make_rule(std::int64_t id, policy_action action, std::vector<std::string> hosts = {}) {
  rule r;
  r.id = id;
  r.action = action;
  r.hosts = std::move(hosts);
  return r;
}

inline std::shared_ptr<const compiled_policy> compile_ok(std::vector<rule> rules, std::int64_t version = 7,
                                                         policy_action def = policy_action::deny) {
  auto result = compiled_policy::compile(std::move(rules), version, def);
  if (auto* problems = std::get_if<std::vector<rule_problem>>(&result)) {
    std::string text;
    for (const auto& p : *problems) text += p.field + ": " + p.message + "\n";
    ADD_FAILURE() << "compile failed:\n" << text;
    return compiled_policy::empty(version, def);
  }
  return std::get<std::shared_ptr<const compiled_policy>>(result);
}

inline request_facts http_get(std::string host, std::uint16_t port = 80, std::string path = "/") {
  request_facts f;
  f.method = "GET";
  f.host = std::move(host);
  f.port = port;
  // As the proxy does: the policy sees the normalised path.
  if (const auto ec = assign_request_path(f, path)) ADD_FAILURE() << path << ": " << ec.message();
  return f;
}

inline request_facts connect_to(std::string host, std::uint16_t port = 443) {
  request_facts f;
  f.method = "CONNECT";
  f.is_connect = true;
  f.host = std::move(host);
  f.port = port;
  return f;
}

inline request_facts with_address(request_facts f, const std::string& address) {
  f.address = boost::asio::ip::make_address(address);
  return f;
}

/// UTC instant from calendar fields.
inline std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm};
}

inline const identity& anyone() {
  static const identity who{"alice", {"engineering"}};
  return who;
}

/// The deciding rule id, or -1 for the default.
inline std::int64_t decided_by(const decision& d) { return d.rule_id.value_or(-1); }

}  // namespace tollgate::policy::testing
