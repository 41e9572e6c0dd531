#include "audit_fixture.hpp"

#include "tollgate/audit/checkpoint.hpp"

#include <ctime>
#include <thread>

namespace tollgate::audit::test {

audit_record request(int n) {
  audit_record r;
  r.ts = std::chrono::system_clock::now();
  r.event = n % 5 == 0 ? audit_event::tunnel_open : audit_event::request;
  r.client_ip = n % 7 == 0 ? "2001:db8::" + std::to_string(n % 100) : "10.9.8." + std::to_string(n % 250);
  r.client_port = static_cast<std::uint16_t>(30000 + n % 20000);
  r.username = n % 2 == 0 ? "alice" : "bob";
  r.groups = {"engineering", "quote\"and\\slash", "x,y {z}"};
  r.method = n % 5 == 0 ? "CONNECT" : "GET";
  r.scheme = n % 5 == 0 ? "https" : "http";
  r.host = "h" + std::to_string(n) + ".example.com";
  r.port = n % 5 == 0 ? 443 : 80;
  r.path = n % 5 == 0 ? "" : "/p/" + std::to_string(n) + "\ttab";
  r.status = n % 3 == 0 ? 403 : 200;
  r.decision = n % 3 == 0 ? "deny" : "allow";
  if (n % 4 != 0) r.rule_id = n % 10;
  if (n % 6 == 0) r.would_rule_id = 42;
  r.policy_version = 2;
  r.bytes_up = static_cast<std::uint64_t>(n);
  r.bytes_down = static_cast<std::uint64_t>(n) * 10;
  r.duration_us = 777;
  r.upstream_ip = n % 3 == 0 ? "" : "93.184.216.34";
  r.user_agent = "ua/\xff" + std::to_string(n);  // invalid UTF-8 must not break a batch
  return r;
}

std::chrono::system_clock::time_point month_from_now(int delta, std::string* yyyymm) {
  using std::chrono::system_clock;
  const auto now = system_clock::to_time_t(system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  int month = tm.tm_year * 12 + tm.tm_mon + delta;
  std::tm m{};
  m.tm_year = month / 12;
  m.tm_mon = month % 12;
  m.tm_mday = 1;
  m.tm_hour = 12;
  if (yyyymm) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d%02d", m.tm_year + 1900, m.tm_mon + 1);
    *yyyymm = buf;
  }
  return system_clock::from_time_t(timegm(&m));
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

double metric(prometheus::Registry& registry, const std::string& name) {
  for (const auto& f : registry.Collect()) {
    if (f.name != name || f.metric.empty()) continue;
    const auto& m = f.metric[0];
    return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return -1;
}

void audit_pg_test::SetUp() {
  TOLLGATE_REQUIRE_SERVICES();
  if (!pg().running()) pg().start();
  instance_ = std::string("it-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  dir_ = std::make_unique<testing::temp_dir>("tollgate-audit-it");
  key_file_ = dir_->write("audit-ed25519.pem", generate_ed25519_pem());
  checkpoint_file_ = dir_->file("checkpoints.log");
}

options audit_pg_test::sink_options() const {
  options o;
  o.dsn = testing::services_environment::postgres().writer_dsn();
  o.admin_dsn = testing::services_environment::postgres().owner_dsn();
  o.instance = instance_;
  o.spool_dir = dir_->file("spool");
  o.spool_max_bytes = 256ull << 20;
  o.batch_max = 500;
  o.flush_interval = std::chrono::milliseconds(20);
  o.checkpoint_every = 100;
  o.signing_key_file = key_file_;
  o.checkpoint_file = checkpoint_file_;
  return o;
}

std::unique_ptr<pg_audit_sink> audit_pg_test::make_sink(const options& o, prometheus::Registry& registry) {
  auto made = pg_audit_sink::create(o, registry);
  if (!made) {
    ADD_FAILURE() << made.error().message();
    return nullptr;
  }
  return std::move(*made);
}

std::string audit_pg_test::sql(const std::string& query, const std::string& role) {
  auto out = pg().psql(query, role);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

chain_report audit_pg_test::verify_mine() {
  const auto result = verify_audit_chains({pg().owner_dsn(), checkpoint_file_, key_file_});
  if (!result) {
    ADD_FAILURE() << "could not verify: " << result.error().message();
    return {};
  }
  for (const auto& r : result->instances)
    if (r.instance == instance_) return r;
  ADD_FAILURE() << "no report for " << instance_;
  return {};
}

}  // namespace tollgate::audit::test
