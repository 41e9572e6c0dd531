#pragma once
// A policy with a few knobs, for tests that drive the proxy without the rule engine.
#include "tollgate/policy/policy.hpp"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace tollgate::testing {

/// Allow all but listed: host names in `deny_hosts` are denied by rule 7; an address
/// inside an `allow_cidrs` entry is allowed by rule 1 (matched by address, so it may be
/// private); CONNECT only to `connect_ports` (when non-empty); everything else allowed by rule 2.
class fake_policy final : public policy::policy {
 public:
  std::vector<std::string> deny_hosts;
  std::vector<std::string> allow_cidrs;
  std::set<std::uint16_t> connect_ports;

  tollgate::policy::decision decide(const tollgate::identity&, const tollgate::request_facts& f) const override {
    tollgate::policy::decision d;
    d.version = 42;
    for (const auto& h : deny_hosts) {
      if (f.host == h) {
        d.action = tollgate::policy::policy_action::deny;
        d.rule_id = 7;
        return d;
      }
    }
    if (f.is_connect && !connect_ports.empty() && !connect_ports.contains(f.port)) {
      d.action = tollgate::policy::policy_action::deny;
      return d;  // default
    }
    if (f.address) {
      for (const auto& c : allow_cidrs) {
        if (contains(c, *f.address)) {
          d.action = tollgate::policy::policy_action::allow;
          d.rule_id = 1;
          d.matched_by_address = true;
          return d;
        }
      }
    }
    d.action = tollgate::policy::policy_action::allow;
    d.rule_id = 2;
    return d;
  }

 private:
  static bool contains(const std::string& cidr, const boost::asio::ip::address& a) {
    boost::system::error_code ec;
    if (a.is_v4()) {
      auto n = boost::asio::ip::make_network_v4(cidr, ec);
      if (ec) return false;
      auto host = boost::asio::ip::make_network_v4(a.to_v4(), n.prefix_length());
      return host.network() == n.network();
    }
    auto n = boost::asio::ip::make_network_v6(cidr, ec);
    if (ec) return false;
    auto host = boost::asio::ip::make_network_v6(a.to_v6(), n.prefix_length());
    return host.network() == n.network();
  }
};

}  // namespace tollgate::testing
