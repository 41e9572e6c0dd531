// `tollgate migrate` as an operator runs it: the real binary, a config file,
// a fresh database; the second run is a no-op that says so.
#include "tollgate/testing/services_environment.hpp"

#include "tollgate/testing/child_process.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <gtest/gtest.h>

namespace tollgate::testing {
namespace {

std::string config_for(const std::string& dsn, const temp_dir& dir) {
  dir.write("ldap-password", "service-secret\n");
  return dir.write("tollgate.yaml", R"(proxy:
  listen: ["127.0.0.1:0"]
admin:
  listen: "127.0.0.1:0"
ldap:
  uris: ["ldap://127.0.0.1:389"]
  bind_dn: "cn=tollgate,ou=services,dc=example,dc=com"
  bind_password_file: )" + dir.file("ldap-password") + R"(
  user_base: "ou=people,dc=example,dc=com"
  group_base: "ou=groups,dc=example,dc=com"
postgres:
  dsn: ")" + dsn + R"("
  admin_dsn: ")" + dsn + R"("
audit:
  spool_dir: )" + dir.file("spool") + R"(
)");
}

TEST(MigrateCommand, AppliesOnceThenSaysNothingToDo) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  pg.psql("CREATE DATABASE tollgate_cli OWNER tollgate", "postgres");
  temp_dir dir("tollgate-migrate");
  const auto dsn = "postgresql://tollgate@127.0.0.1:" + std::to_string(pg.port()) + "/tollgate_cli";
  const auto config = config_for(dsn, dir);

  const auto first = run_command({tollgate_binary(), "migrate", "--config", config, "--migrations", migrations_dir()});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("applied 0001_initial.sql"), std::string::npos) << first.out;

  const auto second = run_command({tollgate_binary(), "migrate", "--config", config, "--migrations", migrations_dir()});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("nothing to do"), std::string::npos) << second.out;
}

TEST(MigrateCommand, UnreachableDatabaseIsARuntimeFailure) {
  TOLLGATE_REQUIRE_SERVICES();
  temp_dir dir("tollgate-migrate");
  // A port nothing listens on: bound and released a moment ago.
  const auto config = config_for("postgresql://tollgate@127.0.0.1:1/tollgate", dir);
  const auto r = run_command({tollgate_binary(), "migrate", "--config", config, "--migrations", migrations_dir()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot connect to PostgreSQL"), std::string::npos) << r.err;
}

TEST(MigrateCommand, MissingMigrationsFolderIsBadUsage) {
  TOLLGATE_REQUIRE_SERVICES();
  temp_dir dir("tollgate-migrate");
  const auto config = config_for(services_environment::postgres().owner_dsn(), dir);
  const auto r = run_command({tollgate_binary(), "migrate", "--config", config, "--migrations", dir.file("none")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("migrations folder not found"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tollgate::testing
