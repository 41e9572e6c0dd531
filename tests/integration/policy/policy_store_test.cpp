// policy_store against a real PostgreSQL with every migration applied: CRUD with
// optimistic versions, the admin record, bootstrap once, policy version bumps.
#include "tollgate/policy/store.hpp"

#include "tollgate/testing/services_environment.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace tollgate::policy {
namespace {

using tollgate::testing::services_environment;

class policy_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    TOLLGATE_REQUIRE_SERVICES();
    services_environment::postgres().psql("TRUNCATE rules; DELETE FROM admin_actions");
    store_ = policy_store::create(services_environment::postgres().owner_dsn());
  }

  static rule sample() {
    rule r;
    r.priority = 100;
    r.action = policy_action::allow;
    r.groups = {"engineering"};
    r.hosts = {"example.com", "*.example.com", "10.0.0.0/8", "bücher.de"};
    r.ports = {{443, 443}, {8000, 8999}};
    r.methods = {"GET", "CONNECT"};
    r.path_prefixes = {"/api"};
    r.schedule = rule_schedule{{"mon", "tue"}, "08:00", "18:00", "Europe/Berlin"};
    r.mode = rule_mode::report;
    r.comment = "it's a \"test\"";
    return r;
  }

  std::unique_ptr<policy_store> store_;
};

TEST_F(policy_store_test, create_then_get_round_trips_every_field) {
  auto created = store_->create(sample());
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->version, 1);
  rule expected = sample();
  expected.id = created->id;
  expected.version = 1;
  EXPECT_EQ(*created, expected);
  auto fetched = store_->get(created->id);
  ASSERT_TRUE(fetched.has_value());
  EXPECT_EQ(*fetched, expected);
}

TEST_F(policy_store_test, list_is_in_decision_order) {
  rule late = sample();
  late.priority = 50;
  rule early = sample();
  early.priority = 10;
  const auto a = store_->create(late).value();
  const auto b = store_->create(early).value();
  const auto c = store_->create(late).value();
  auto rules = store_->list();
  ASSERT_TRUE(rules.has_value());
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].id, b.id);
  EXPECT_EQ((*rules)[1].id, a.id);
  EXPECT_EQ((*rules)[2].id, c.id);
}

TEST_F(policy_store_test, update_needs_the_current_version) {
  const auto created = store_->create(sample()).value();
  rule changed = sample();
  changed.action = policy_action::deny;
  changed.schedule.reset();
  auto stale = store_->update(created.id, changed, 7);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, store_errc::conflict);
  auto updated = store_->update(created.id, changed, 1);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->action, policy_action::deny);
  EXPECT_FALSE(updated->schedule.has_value());
  // The same If-Match again is now stale.
  EXPECT_EQ(store_->update(created.id, changed, 1).error().code, store_errc::conflict);
  EXPECT_EQ(store_->update(created.id + 1000, changed, 1).error().code, store_errc::not_found);
}

TEST_F(policy_store_test, remove_needs_the_current_version) {
  const auto created = store_->create(sample()).value();
  EXPECT_EQ(store_->remove(created.id, 2).error().code, store_errc::conflict);
  EXPECT_TRUE(store_->remove(created.id, 1).has_value());
  EXPECT_EQ(store_->get(created.id).error().code, store_errc::not_found);
  EXPECT_EQ(store_->remove(created.id, 1).error().code, store_errc::not_found);
}

TEST_F(policy_store_test, invalid_rules_are_refused_naming_the_field) {
  rule bad = sample();
  bad.hosts.push_back("not a host");
  bad.ports.push_back({70000, 70000});
  auto r = store_->create(bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, store_errc::invalid);
  ASSERT_EQ(r.error().problems.size(), 2u);
  EXPECT_EQ(r.error().problems[0].field, "hosts[4]");
  EXPECT_EQ(r.error().problems[1].field, "ports[2]");
  EXPECT_EQ(services_environment::postgres().psql("SELECT count(*) FROM rules"), "0\n");
}

TEST_F(policy_store_test, every_change_bumps_the_policy_version) {
  const auto v0 = store_->load().value().version;
  const auto created = store_->create(sample()).value();
  const auto v1 = store_->load().value().version;
  EXPECT_GT(v1, v0);
  store_->update(created.id, sample(), 1).value();
  const auto v2 = store_->load().value().version;
  EXPECT_GT(v2, v1);
  store_->remove(created.id, 2).value();
  const auto snapshot = store_->load().value();
  EXPECT_GT(snapshot.version, v2);
  EXPECT_TRUE(snapshot.rules.empty());
}

TEST_F(policy_store_test, changes_with_an_actor_are_recorded_in_the_same_transaction) {
  const change_actor carol{"carol", "admin", "127.0.0.1"};
  const auto created = store_->create(sample(), carol).value();
  store_->update(created.id, sample(), 1, carol).value();
  store_->remove(created.id, 2, carol).value();
  EXPECT_EQ(services_environment::postgres().psql(
                "SELECT string_agg(action || ' ' || actor || ' ' || target || ' ' || host(client_ip) || ' ' || "
                "coalesce(after->>'version', '-'), ',' ORDER BY id) FROM admin_actions"),
            "rule.create carol rule/" + std::to_string(created.id) + " 127.0.0.1 1,rule.update carol rule/" +
                std::to_string(created.id) + " 127.0.0.1 2,rule.delete carol rule/" + std::to_string(created.id) +
                " 127.0.0.1 -\n");
}

TEST_F(policy_store_test, bootstrap_fills_an_empty_table_once) {
  std::vector<rule> rules{sample(), sample()};
  rules[1].action = policy_action::deny;
  auto first = store_->bootstrap(rules);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(*first, 2u);
  auto second = store_->bootstrap(rules);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, 0u);
  EXPECT_EQ(store_->list().value().size(), 2u);
}

TEST_F(policy_store_test, bootstrap_keeps_every_field_and_the_order_and_bumps_the_version_per_batch) {
  // 12,000 rules: every field as written, ids in file order, and the policy version
  // bumped once per batched statement (3), not once per rule.
  std::vector<rule> rules;
  for (int i = 0; i < 12000; ++i) {
    auto r = sample();
    r.priority = 10 + i % 7;
    r.comment = "rule " + std::to_string(i) + " \\ \"quoted\"";
    if (i % 3 == 0) r.schedule.reset();
    if (i % 5 == 0) r.enabled = false;
    rules.push_back(r);
  }
  const auto before = store_->load().value().version;
  auto n = store_->bootstrap(rules);
  ASSERT_TRUE(n.has_value()) << n.error().message;
  EXPECT_EQ(*n, rules.size());
  const auto after = store_->load().value();
  EXPECT_EQ(after.version - before, 3);
  auto stored = after.rules;
  ASSERT_EQ(stored.size(), rules.size());
  std::sort(stored.begin(), stored.end(), [](const rule& a, const rule& b) { return a.id < b.id; });
  for (std::size_t i = 0; i < rules.size(); ++i) {
    auto got = stored[i];
    got.id = 0;
    got.version = rules[i].version;
    ASSERT_EQ(got, rules[i]) << "rule " << i;
  }
}

TEST_F(policy_store_test, bootstrap_refuses_an_invalid_set_whole) {
  std::vector<rule> rules{sample(), sample()};
  rules[1].methods = {"get"};
  auto r = store_->bootstrap(rules);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, store_errc::invalid);
  ASSERT_EQ(r.error().problems.size(), 1u);
  EXPECT_EQ(r.error().problems[0].field, "rules[1].methods[0]");
  EXPECT_TRUE(store_->list().value().empty());
}

TEST(policy_store_unreachable, reports_unavailable_instead_of_throwing) {
  auto store = policy_store::create("postgresql://tollgate@127.0.0.1:1/tollgate?connect_timeout=2");
  auto r = store->list();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, store_errc::unavailable);
}

}  // namespace
}  // namespace tollgate::policy
