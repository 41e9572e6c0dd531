#include "tollgate/policy/engine.hpp"

#include "policy_test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace tollgate::policy {
namespace {

using testing::anyone;
using testing::compile_ok;
using testing::http_get;
using testing::make_rule;

TEST(policy_engine, fails_closed_until_the_first_install) {
  policy_engine engine;
  EXPECT_FALSE(engine.loaded());
  const auto d = engine.decide(anyone(), http_get("a.example"));
  EXPECT_EQ(d.action, policy_action::deny);
  EXPECT_EQ(d.version, 0);
}

TEST(policy_engine, install_swaps_and_old_holders_keep_theirs) {
  policy_engine engine;
  engine.install(compile_ok({make_rule(1, policy_action::allow, {"a.example"})}, 1));
  EXPECT_TRUE(engine.loaded());
  auto held = engine.current();  // what a request in flight holds
  engine.install(compile_ok({make_rule(2, policy_action::deny, {"a.example"})}, 2));
  EXPECT_EQ(engine.decide(anyone(), http_get("a.example")).rule_id, 2);
  EXPECT_EQ(engine.decide(anyone(), http_get("a.example")).version, 2);
  EXPECT_EQ(held->decide(anyone(), http_get("a.example")).rule_id, 1);
  EXPECT_EQ(held->version(), 1);
}

TEST(policy_engine, decisions_race_installs_safely) {
  policy_engine engine;
  engine.install(compile_ok({make_rule(1, policy_action::allow, {"a.example"})}, 1));
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0};
  std::thread reader([&] {
    while (!stop.load()) {
      const auto d = engine.decide(anyone(), http_get("a.example"));
      // Version v always carries rule id v: a torn policy would break that.
      if (!d.rule_id || *d.rule_id != d.version) ++bad;
    }
  });
  for (int v = 2; v < 300; ++v) {
    engine.install(compile_ok({make_rule(v, policy_action::allow, {"a.example"})}, v));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(engine.current()->version(), 299);
}

}  // namespace
}  // namespace tollgate::policy
