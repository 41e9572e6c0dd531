// The harness itself: a real PostgreSQL with every migration applied and a real
// slapd loaded from the fixture directory, reached over real connections.
#include "tollgate/testing/services_environment.hpp"

#include "tollgate/app/migrator.hpp"
#include "tollgate/testing/child_process.hpp"

#include <gtest/gtest.h>

namespace tollgate::testing {
namespace {

TEST(PostgresFixture, MigrationsCreatedTheDesignTables) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  const auto tables = pg.psql(
      "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class "
      "WHERE relname IN ('audit_log','rules','admin_actions','schema_migrations','policy_version') "
      "AND relkind IN ('r','p')");
  EXPECT_EQ(tables, "admin_actions,audit_log,policy_version,rules,schema_migrations\n");
  // audit_log is partitioned by range on ts, with monthly partitions ahead of time.
  EXPECT_EQ(pg.psql("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'audit_log'::regclass"), "r\n");
  const auto partitions = std::stoi(pg.psql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_log'::regclass"));
  EXPECT_GE(partitions, 4);
}

TEST(PostgresFixture, SecondMigrateRunIsANoOp) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  const auto report = app::apply_migrations(pg.owner_dsn(), migrations_dir());
  EXPECT_TRUE(report.applied.empty());
  EXPECT_GE(report.already_applied, 1u);
}

TEST(PostgresFixture, WriterRoleMayInsertButNeverUpdateOrDelete) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  pg.psql(
      "INSERT INTO audit_log (ts, instance, seq, event, decision, prev_hash, hash) "
      "VALUES (now(), 'fixture-test', 1, 'request', 'allow', '\\x00', '\\x01')",
      "tollgate_writer");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM audit_log WHERE instance = 'fixture-test'", "tollgate_writer"), "1\n");
  EXPECT_THROW(pg.psql("UPDATE audit_log SET status = 200 WHERE instance = 'fixture-test'", "tollgate_writer"),
               std::runtime_error);
  EXPECT_THROW(pg.psql("DELETE FROM audit_log WHERE instance = 'fixture-test'", "tollgate_writer"),
               std::runtime_error);
  // A replayed record collides with its first copy.
  EXPECT_THROW(pg.psql("INSERT INTO audit_log (ts, instance, seq, event, decision, prev_hash, hash) "
                       "SELECT ts, instance, seq, event, decision, prev_hash, hash FROM audit_log "
                       "WHERE instance = 'fixture-test'",
                       "tollgate_writer"),
               std::runtime_error);
}

TEST(PostgresFixture, RuleChangesBumpTheVersionAndNotify) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  const auto before = std::stoll(pg.psql("SELECT version FROM policy_version"));
  pg.psql("INSERT INTO rules (priority, action, hosts) VALUES (5, 'allow', '{example.com}')");
  const auto after = std::stoll(pg.psql("SELECT version FROM policy_version"));
  EXPECT_EQ(after, before + 1);
  pg.psql("DELETE FROM rules WHERE priority = 5 AND hosts = '{example.com}'");
}

TEST(LdapFixture, ServiceAccountSearchFindsAUser) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& ldap = services_environment::ldap();
  const auto r = run_command({"ldapsearch", "-x", "-LLL", "-H", ldap.uri(), "-D", ldap_server::service_dn, "-w",
                              ldap_server::service_password, "-b", ldap_server::people_base, "(uid=alice)", "dn"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dn: uid=alice,ou=people,dc=example,dc=com"), std::string::npos) << r.out;
}

TEST(LdapFixture, AnonymousClientsReadNothing) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& ldap = services_environment::ldap();
  const auto r = run_command({"ldapsearch", "-x", "-LLL", "-H", ldap.uri(), "-b", ldap_server::people_base,
                              "(uid=alice)", "dn"});
  EXPECT_EQ(r.out.find("uid=alice"), std::string::npos) << r.out;
}

TEST(LdapFixture, UserBindSucceedsWithTheRightPasswordOnly) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& ldap = services_environment::ldap();
  const auto before = ldap.bind_count("uid=alice,ou=people,dc=example,dc=com");
  const auto ok = run_command(
      {"ldapwhoami", "-x", "-H", ldap.uri(), "-D", "uid=alice,ou=people,dc=example,dc=com", "-w", "alice-pw"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "dn:uid=alice,ou=people,dc=example,dc=com\n");
  const auto bad = run_command(
      {"ldapwhoami", "-x", "-H", ldap.uri(), "-D", "uid=alice,ou=people,dc=example,dc=com", "-w", "wrong"});
  EXPECT_EQ(bad.exit_code, 49) << bad.out;  // invalidCredentials
  EXPECT_EQ(ldap.bind_count("uid=alice,ou=people,dc=example,dc=com"), before + 1);
}

TEST(LdapFixture, NestedGroupHoldsAnotherGroup) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& ldap = services_environment::ldap();
  const auto r = run_command({"ldapsearch", "-x", "-LLL", "-H", ldap.uri(), "-D", ldap_server::service_dn, "-w",
                              ldap_server::service_password, "-b", ldap_server::groups_base,
                              "(member=cn=contractors,ou=groups,dc=example,dc=com)", "cn"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cn: engineering-all"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tollgate::testing
