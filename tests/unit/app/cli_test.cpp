// The built `tollgate` binary as an operator runs it: exit codes and output.
#include "tollgate/testing/child_process.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>

namespace tollgate::app {
namespace {

using tollgate::testing::command_result;
using tollgate::testing::run_command;

const std::string binary = TOLLGATE_BINARY_PATH;
std::string fixture(const std::string& name) { return std::string(TOLLGATE_SOURCE_DIR) + "/tests/fixtures/config/" + name; }

command_result tollgate(std::vector<std::string> args) {
  args.insert(args.begin(), binary);
  return run_command(args);
}

TEST(Cli, CheckConfigOnAValidFilePrintsOk) {
  const auto file = fixture("minimal.yaml");
  const auto r = tollgate({"check-config", "--config", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, file + ": OK\n");
  EXPECT_EQ(r.err, "");
}

TEST(Cli, CheckConfigOnABrokenFilePrintsEveryProblemAndExits2) {
  const auto file = fixture("bad_duration.yaml");
  const auto r = tollgate({"check-config", "--config", file});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, file + ":3: proxy.timeouts.head: unknown duration unit; use ms, s, m, h or d (e.g. 10s) (got \"10x\")\n" +
                       file + ":9: ldap.cache_ttl: a duration needs a unit: ms, s, m, h or d (e.g. 10s) (got \"300\")\n");
}

TEST(Cli, CheckConfigOnAnUnreadableFileExits2) {
  const auto r = tollgate({"check-config", "--config", "/nonexistent/tollgate.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/tollgate.yaml: cannot read the config file"), std::string::npos) << r.err;
}

TEST(Cli, CheckConfigNeverPrintsTheSecretFileContent) {
  testing::scratch_dir dir;
  dir.write("pw", "do-not-print-me\n");
  const auto file = dir.write("t.yaml", "ldap:\n  bind_password_file: pw\n  bind_dn: x\npostgres:\n  dsn: \"\"\n");
  const auto r = tollgate({"check-config", "--config", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ((r.out + r.err).find("do-not-print-me"), std::string::npos) << r.err;
}

TEST(Cli, VersionPrintsTheVersion) {
  const auto r = tollgate({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("tollgate ", 0), 0u) << r.out;
}

TEST(Cli, HelpPrintsUsage) {
  const auto r = tollgate({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("tollgate check-config --config FILE"), std::string::npos) << r.out;
}

TEST(Cli, BadUsageExits2) {
  EXPECT_EQ(tollgate({}).exit_code, 2);
  EXPECT_EQ(tollgate({"frobnicate", "--config", "x"}).exit_code, 2);
  EXPECT_EQ(tollgate({"check-config"}).exit_code, 2);
  EXPECT_EQ(tollgate({"check-config", "--config"}).exit_code, 2);
  EXPECT_EQ(tollgate({"check-config", "--config", "x", "--bogus"}).exit_code, 2);
  EXPECT_EQ(tollgate({"audit", "--config", "x"}).exit_code, 2);
}

}  // namespace
}  // namespace tollgate::app
