// A large rule set through the real binary: bootstrapped from a file, loaded, and
// then only the compiled policy stays resident. With 100,000 rules Tollgate used to
// keep 930 MiB of freed parse buffers (the bootstrap YAML, the loaded rows) mapped.
#include "tollgate/testing/services_environment.hpp"

#include "tollgate/app/migrator.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/sanitizer_build.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace tollgate::testing {
namespace {

constexpr int rule_total = 50000;

std::string rules_yaml() {
  std::string y;
  y.reserve(static_cast<std::size_t>(rule_total) * 120);
  for (int i = 0; i < rule_total; ++i) {
    y += "- priority: " + std::to_string(100 + i % 50) + "\n  action: allow\n  groups: [engineering]\n"
         "  hosts: [\"site" + std::to_string(i) + ".example.com\"]\n  comment: generated rule " +
         std::to_string(i) + "\n";
  }
  return y;
}

TEST(LargePolicy, FiftyThousandRulesLeaveOnlyTheCompiledPolicyResident) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  // A database of its own: bootstrap rules go in only where there are none.
  pg.psql("DROP DATABASE IF EXISTS tollgate_large_policy", "postgres");
  pg.psql("CREATE DATABASE tollgate_large_policy OWNER tollgate", "postgres");
  const auto on_db = [](std::string dsn) { return dsn.substr(0, dsn.rfind('/') + 1) + "tollgate_large_policy"; };
  tollgate::app::apply_migrations(on_db(pg.owner_dsn()), migrations_dir());

  tollgate_settings s;
  s.instance = "large-policy";
  s.dsn_override = on_db(pg.writer_dsn());
  s.admin_dsn_override = on_db(pg.owner_dsn());
  s.bootstrap_rules_yaml = rules_yaml();
  // Serve opens its ports after the bootstrap; 50,000 rules took 25-30 s under ASan.
  s.start_timeout = std::chrono::seconds(120);
  auto proxy = tollgate_process::start(pg, services_environment::ldap(), s);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (proxy->metric("tollgate_policy_rules") != rule_total && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(proxy->metric("tollgate_policy_rules"), rule_total) << proxy->log_text();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the trim follows the install

  const long rss = current_rss_kib(proxy->pid());
  const long peak = peak_rss_kib(proxy->pid());
  std::cout << "tollgate with " << rule_total << " rules: RSS " << rss << " KiB (peak during loading " << peak
            << " KiB)\n";
  if (address_sanitizer_build()) GTEST_SKIP() << "RSS means nothing under ASan";
  // Compiled, 100,000 rules took about 40 MiB above an idle Tollgate's 35 MiB.
  EXPECT_LT(rss, 160 * 1024) << "freed loading buffers are still resident";
}

}  // namespace
}  // namespace tollgate::testing
