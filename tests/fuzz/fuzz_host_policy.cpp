// libFuzzer: host normalisation and policy matching. The input is a host as written in
// a request. Invariants: normalising is idempotent; any spelling of an address inside
// 10.0.0.0/8 or 127.0.0.0/8 (IPv4, IPv4-mapped IPv6, decimal, octal, hex) meets the CIDR
// deny rule, so no spelling escapes it; decisions are deterministic.
#include "tollgate/policy/compiled_policy.hpp"
#include "tollgate/policy/rule.hpp"
#include "tollgate/common/host_name.hpp"

#include <cstdlib>
#include <memory>
#include <string_view>

namespace {

using namespace tollgate;

std::shared_ptr<const policy::compiled_policy> make_policy() {
  std::vector<policy::rule> rules;
  policy::rule deny_private;
  deny_private.id = 1;
  deny_private.priority = 1;
  deny_private.action = policy::policy_action::deny;
  deny_private.hosts = {"10.0.0.0/8", "127.0.0.0/8", "::1/128"};
  rules.push_back(deny_private);
  policy::rule allow_example;
  allow_example.id = 2;
  allow_example.priority = 2;
  allow_example.action = policy::policy_action::allow;
  allow_example.hosts = {".example.com", "*.example.org", "exact.example.net", "0.0.0.0/0", "::/0"};
  rules.push_back(allow_example);
  auto compiled = policy::compiled_policy::compile(std::move(rules), 1, policy::policy_action::deny);
  if (!std::holds_alternative<std::shared_ptr<const policy::compiled_policy>>(compiled)) std::abort();
  return std::get<std::shared_ptr<const policy::compiled_policy>>(compiled);
}

bool in_denied_range(const boost::asio::ip::address& a) {
  if (a.is_v6()) {
    const auto v6 = a.to_v6();
    if (v6.is_loopback()) return true;
    if (!v6.is_v4_mapped()) return false;
    return in_denied_range(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  }
  const auto b = a.to_v4().to_bytes();
  return b[0] == 10 || b[0] == 127;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto policy = make_policy();
  const std::string_view host(reinterpret_cast<const char*>(data), size);
  const auto n = normalise_host(host);
  if (!n) return 0;
  const auto again = normalise_host(n->name);
  if (!again || again->name != n->name || again->literal.has_value() != n->literal.has_value()) std::abort();

  identity who{"fuzz", {"engineering"}};
  request_facts facts;
  facts.method = "GET";
  facts.host = n->name;
  facts.address = n->literal;
  facts.port = 80;
  facts.path = "/";
  const auto d = policy->decide(who, facts);
  if (policy->decide(who, facts).rule_id != d.rule_id) std::abort();
  if (n->literal && in_denied_range(*n->literal) && d.rule_id != 1) std::abort();
  return 0;
}
