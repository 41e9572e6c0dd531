// Policy decisions against 10,000 rules of mixed kinds, one core (issue 5).
// Target: at least 2 million decisions per second. policy_decide_by_rule_count
// shows the cost per decision from 10 to 100,000 rules (issue 9: adding rules must
// not slow the proxy).
#include "tollgate/policy/compiled_policy.hpp"
#include "tollgate/policy/engine.hpp"

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace {

using namespace tollgate::policy;

constexpr int default_rule_total = 10000;
constexpr int group_total = 200;

std::string group_name(int i) { return "group-" + std::to_string(i); }

// The mix a large company might run: mostly exact sites, then wildcard and dot domains,
// networks (nested v4, v6), a few group-wide rules, some with ports, methods, paths,
// schedules, report mode.
std::vector<rule> make_rules(int rule_total = default_rule_total) {
  std::mt19937 rng(42);
  std::vector<rule> rules;
  rules.reserve(rule_total);
  for (int i = 0; i < rule_total; ++i) {
    rule r;
    r.id = i + 1;
    r.priority = static_cast<int>(rng() % 1000);
    r.action = rng() % 3 == 0 ? policy_action::deny : policy_action::allow;
    if (rng() % 2 == 0) r.groups = {group_name(static_cast<int>(rng() % group_total))};
    const int kind = i % 100;
    if (kind < 45) {
      r.hosts = {"site" + std::to_string(i) + ".example.com"};
    } else if (kind < 65) {
      r.hosts = {"*.wild" + std::to_string(i) + ".example.net"};
    } else if (kind < 80) {
      r.hosts = {".dot" + std::to_string(i) + ".example.org"};
    } else if (kind < 90) {
      const unsigned a = 10 + static_cast<unsigned>(i % 50);
      const unsigned b = static_cast<unsigned>(i / 50 % 256);
      const int bits[] = {8, 16, 24, 32};
      const int prefix = bits[rng() % 4];
      const std::string base = prefix == 8    ? std::to_string(a) + ".0.0.0"
                               : prefix == 16 ? std::to_string(a) + "." + std::to_string(b) + ".0.0"
                               : prefix == 24 ? std::to_string(a) + "." + std::to_string(b) + ".7.0"
                                              : std::to_string(a) + "." + std::to_string(b) + ".7.9";
      r.hosts = {base + "/" + std::to_string(prefix)};
    } else if (kind < 95) {
      r.hosts = {"2001:db8:" + std::to_string(i % 9000) + "::/48"};
    } else if (kind < 97) {
      r.hosts = {};  // group-wide rule
      r.groups = {group_name(static_cast<int>(rng() % group_total))};
    } else {
      r.hosts = {"site" + std::to_string(i - 50) + ".example.com", "api" + std::to_string(i) + ".example.com"};
      r.path_prefixes = {"/v1/", "/v2/"};
      r.methods = {"GET", "POST"};
    }
    if (rng() % 10 == 0) r.ports = {{443, 443}, {8000, 8999}};
    if (rng() % 20 == 0) r.schedule = rule_schedule{{"mon", "tue", "wed", "thu", "fri"}, "07:00", "19:00", "Europe/Berlin"};
    if (rng() % 25 == 0) r.mode = rule_mode::report;
    rules.push_back(std::move(r));
  }
  return rules;
}

struct request {
  tollgate::identity who;
  tollgate::request_facts facts;
};

std::vector<request> make_requests(int rule_total = default_rule_total) {
  std::mt19937 rng(7);
  std::vector<request> out;
  const auto now = std::chrono::system_clock::now();
  for (int n = 0; n < 4096; ++n) {
    request q;
    for (int g = 0; g < 6; ++g) q.who.groups.push_back(group_name(static_cast<int>(rng() % group_total)));
    std::sort(q.who.groups.begin(), q.who.groups.end());
    q.who.user = "user" + std::to_string(n);
    const int i = static_cast<int>(rng() % rule_total);
    const int kind = n % 10;
    q.facts.method = "GET";
    q.facts.port = 443;
    q.facts.path = "/v1/items/42";
    q.facts.when = now;
    if (kind < 3) {
      q.facts.host = "site" + std::to_string(i) + ".example.com";
    } else if (kind < 5) {
      q.facts.host = "www.cdn.wild" + std::to_string(i) + ".example.net";
    } else if (kind < 6) {
      q.facts.host = "dot" + std::to_string(i) + ".example.org";
    } else if (kind < 8) {
      q.facts.host = "unknown" + std::to_string(i) + ".example.io";  // no rule: the default
    } else if (kind < 9) {
      q.facts.method = "CONNECT";
      q.facts.is_connect = true;
      q.facts.path.clear();
      q.facts.host = "api" + std::to_string(i) + ".example.com";
    } else {
      q.facts.host = "10." + std::to_string(rng() % 256) + ".7.9";
    }
    // Every destination resolves: address rules are consulted for names too.
    q.facts.address = boost::asio::ip::make_address_v4(
        static_cast<boost::asio::ip::address_v4::uint_type>(0x0A000000u | (rng() & 0xFFFFFF)));
    if (kind == 9) q.facts.address = boost::asio::ip::make_address(q.facts.host);
    out.push_back(std::move(q));
  }
  return out;
}

std::shared_ptr<const compiled_policy> compiled(int rule_total = default_rule_total) {
  auto r = compiled_policy::compile(make_rules(rule_total), 1, policy_action::deny);
  return std::get<std::shared_ptr<const compiled_policy>>(r);
}

void run_decisions(benchmark::State& state, int rule_total) {
  const auto policy = compiled(rule_total);
  const auto requests = make_requests(rule_total);
  std::size_t i = 0;
  std::size_t allowed = 0;
  for (auto _ : state) {
    const auto& q = requests[i++ & (requests.size() - 1)];
    const auto d = policy->decide(q.who, q.facts);
    allowed += d.action == policy_action::allow;
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allowed_share"] = static_cast<double>(allowed) / static_cast<double>(state.iterations());
}

void policy_decide_10k_rules(benchmark::State& state) { run_decisions(state, default_rule_total); }
BENCHMARK(policy_decide_10k_rules);

// The same mix of rules and requests at each size; requests aim at rules that exist
// in that set, so the share of matches stays comparable.
void policy_decide_by_rule_count(benchmark::State& state) { run_decisions(state, static_cast<int>(state.range(0))); }
BENCHMARK(policy_decide_by_rule_count)->Arg(10)->Arg(1000)->Arg(10000)->Arg(100000);

void policy_engine_decide_10k_rules(benchmark::State& state) {
  policy_engine engine;
  engine.install(compiled());
  const auto requests = make_requests();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& q = requests[i++ & (requests.size() - 1)];
    benchmark::DoNotOptimize(engine.decide(q.who, q.facts));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(policy_engine_decide_10k_rules);

void policy_compile_10k_rules(benchmark::State& state) {
  const auto rules = make_rules();
  for (auto _ : state) {
    benchmark::DoNotOptimize(compiled_policy::compile(rules, 1, policy_action::deny));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * default_rule_total);
}
BENCHMARK(policy_compile_10k_rules)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
