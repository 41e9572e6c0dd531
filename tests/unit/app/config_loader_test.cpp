#include "tollgate/app/config.hpp"

#include "tollgate/testing/temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace tollgate::app {
namespace {

using namespace std::chrono_literals;
using tollgate::testing::temp_dir;

std::string fixture(const std::string& name) { return std::string(TOLLGATE_SOURCE_DIR) + "/tests/fixtures/config/" + name; }

std::string describe(const std::vector<config_problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += "  " + to_string(p) + "\n";
  return out;
}

std::vector<config_problem> problems_of(const std::string& file) {
  auto loaded = load_config(file);
  if (loaded) {
    ADD_FAILURE() << file << " loaded, but it should not have";
    return {};
  }
  return loaded.error();
}

config config_of(const std::string& file) {
  auto loaded = load_config(file);
  if (!loaded) {
    ADD_FAILURE() << file << " did not load:\n" << describe(loaded.error());
    return {};
  }
  return std::move(*loaded);
}

// True when exactly the printed form "FILE:LINE: KEY: ..." contains `fragment`.
::testing::AssertionResult has_problem(const std::vector<config_problem>& problems, const std::string& file, int line,
                                       const std::string& key, const std::string& fragment) {
  const std::string prefix = file + ":" + std::to_string(line) + ": " + key + ": ";
  for (const auto& p : problems) {
    const auto text = to_string(p);
    if (text.rfind(prefix, 0) == 0 && text.find(fragment, prefix.size()) != std::string::npos)
      return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no problem \"" << prefix << "..." << fragment << "...\" among:\n"
                                       << describe(problems);
}

// A valid file body with the required keys; `extra` lines are appended per section.
struct body {
  std::string proxy, admin, ldap = "  bind_password_file: ldap-password\n", postgres, audit, policy;
  std::string text() const {
    return "proxy:\n  listen: [\"127.0.0.1:3128\"]\n" + proxy + "admin:\n  listen: \"127.0.0.1:9090\"\n" + admin +
           "ldap:\n  bind_dn: \"cn=tollgate,ou=services,dc=example,dc=com\"\n"
           "  user_base: \"ou=people,dc=example,dc=com\"\n  group_base: \"ou=groups,dc=example,dc=com\"\n" +
           ldap + "postgres:\n  dsn: \"postgresql://tollgate_writer@127.0.0.1/tollgate\"\n" + postgres +
           "audit:\n  spool_dir: spool\n" + audit + "policy:\n  default: deny\n" + policy;
  }
};

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_.write("ldap-password", "service-secret\n"); }
  std::string write(const body& b) { return dir_.write("tollgate.yaml", b.text()); }
  temp_dir dir_;
};

// RAII for an environment variable, so a failing test leaves none behind.
struct scoped_env {
  scoped_env(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~scoped_env() { ::unsetenv(name_); }
  const char* name_;
};

// --- the four broken cases of issue 2, from files in tests/fixtures/config ---

TEST(ConfigFixtures, WrongTypeNamesFileLineAndKey) {
  const auto file = fixture("wrong_type.yaml");
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 3, "proxy.io_threads", "expected a whole number (got \"four\")"));
  EXPECT_TRUE(has_problem(problems, file, 4, "proxy.realm", "expected string, got a list"));
  EXPECT_EQ(problems.size(), 2u) << describe(problems);
}

TEST(ConfigFixtures, UnknownKeyNamesFileLineAndKey) {
  const auto file = fixture("unknown_key.yaml");
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 5, "proxy.timeouts.heed", "unknown key (did you mean 'head'?)"));
  EXPECT_EQ(problems.size(), 1u) << describe(problems);
}

TEST(ConfigFixtures, BadDurationNamesFileLineAndKey) {
  const auto file = fixture("bad_duration.yaml");
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 3, "proxy.timeouts.head", "unknown duration unit"));
  EXPECT_TRUE(has_problem(problems, file, 9, "ldap.cache_ttl", "a duration needs a unit"));
  EXPECT_EQ(problems.size(), 2u) << describe(problems);
}

TEST(ConfigFixtures, MissingRequiredKeyNamesFileLineAndKey) {
  const auto file = fixture("missing_required.yaml");
  const auto problems = problems_of(file);
  // The line is that of the section the key belongs in.
  EXPECT_TRUE(has_problem(problems, file, 3, "ldap.user_base", "required key is missing"));
  EXPECT_TRUE(has_problem(problems, file, 7, "postgres.dsn", "required key is missing"));
  EXPECT_EQ(problems.size(), 2u) << describe(problems);
}

TEST(ConfigFixtures, YamlSyntaxErrorHasALine) {
  const auto file = fixture("syntax_error.yaml");
  const auto problems = problems_of(file);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_GE(problems[0].line, 2) << describe(problems);
  EXPECT_LE(problems[0].line, 4) << describe(problems);
  EXPECT_NE(problems[0].message.find("YAML syntax error"), std::string::npos) << describe(problems);
}

TEST(ConfigFixtures, EveryProblemIsReportedAtOnceInLineOrder) {
  const auto file = fixture("many_problems.yaml");
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 2, "proxy.listen", "port 99999 is out of range"));
  EXPECT_TRUE(has_problem(problems, file, 2, "proxy.listen", "expected host:port (got \"nonsense\")"));
  EXPECT_TRUE(has_problem(problems, file, 3, "proxy.io_threads", "5000 is out of range (0-1024)"));
  EXPECT_TRUE(has_problem(problems, file, 5, "proxy.limits.max_header_bytes", "unknown size unit"));
  EXPECT_TRUE(has_problem(problems, file, 9, "admin.tls.cert_file", "missing-cert.pem"));
  EXPECT_TRUE(has_problem(problems, file, 9, "admin.tls.key_file", "must be set together with admin.tls.cert_file"));
  EXPECT_TRUE(has_problem(problems, file, 11, "ldap.uris", "expected an ldap://, ldaps:// or ldapi:// URI"));
  EXPECT_TRUE(has_problem(problems, file, 13, "ldap.bind_password_file", "cannot read"));
  EXPECT_TRUE(has_problem(problems, file, 15, "ldap.user_filter", "must contain {user}"));
  EXPECT_TRUE(has_problem(problems, file, 17, "ldap.start_tls", "expected true or false"));
  EXPECT_TRUE(has_problem(problems, file, 21, "audit.on_spool_full", "expected block or reject"));
  EXPECT_TRUE(has_problem(problems, file, 24, "policy.default", "expected allow or deny"));
  EXPECT_TRUE(has_problem(problems, file, 25, "surprise", "unknown key"));
  EXPECT_EQ(problems.size(), 13u) << describe(problems);
  EXPECT_TRUE(std::is_sorted(problems.begin(), problems.end(),
                             [](const auto& a, const auto& b) { return a.line < b.line; }));
}

TEST(ConfigFixtures, MinimalFileGetsEveryDefault) {
  const auto cfg = config_of(fixture("minimal.yaml"));
  EXPECT_EQ(cfg.file, fixture("minimal.yaml"));
  EXPECT_EQ(cfg.proxy.listen, proxy::options{}.listen);
  EXPECT_EQ(cfg.proxy.head_timeout, 10s);
  EXPECT_EQ(cfg.ldap.bind_password, "service-secret");  // relative to the config file's folder
  EXPECT_EQ(cfg.postgres.admin_dsn, cfg.postgres.dsn);
  EXPECT_EQ(cfg.audit.dsn, cfg.postgres.dsn);
  EXPECT_EQ(cfg.audit.admin_dsn, cfg.postgres.dsn);
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(cfg.audit.instance, host);
  EXPECT_EQ(cfg.audit.signing_key_file, "/var/lib/tollgate/audit-ed25519.pem");
  EXPECT_EQ(cfg.audit.checkpoint_file, "/var/lib/tollgate/checkpoints.log");
  EXPECT_EQ(cfg.policy.default_action, policy::policy_action::deny);
}

// --- whole-file behaviour ---

TEST(ConfigLoad, UnreadableFileIsOneClearProblem) {
  const auto problems = problems_of("/nonexistent/tollgate.yaml");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(to_string(problems[0]), "/nonexistent/tollgate.yaml: cannot read the config file: No such file or directory");
}

TEST_F(ConfigFile, EmptyFileReportsTheRequiredKeys) {
  const auto file = dir_.write("empty.yaml", "# nothing\n");
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 1, "ldap.bind_dn", "required key is missing"));
  EXPECT_TRUE(has_problem(problems, file, 1, "postgres.dsn", "required key is missing"));
  EXPECT_TRUE(has_problem(problems, file, 1, "ldap.bind_password_file", "required key is missing"));
}

TEST_F(ConfigFile, TopLevelMustBeAMapping) {
  const auto file = dir_.write("list.yaml", "- a\n- b\n");
  const auto problems = problems_of(file);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(to_string(problems[0]), file + ":1: expected a mapping of sections, got a list");
}

TEST_F(ConfigFile, DuplicateKeysAreErrors) {
  body b;
  b.proxy = "  realm: \"A\"\n  realm: \"B\"\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 4, "proxy.realm", "duplicate key (the first one is at line 3)"));
}

TEST_F(ConfigFile, SectionOfTheWrongShape) {
  body b;
  b.proxy = "  timeouts: 10s\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 3, "proxy.timeouts", "expected a mapping, got a scalar"));
}

TEST_F(ConfigFile, KeyWithoutValue) {
  body b;
  b.proxy = "  realm:\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 3, "proxy.realm", "has no value"));
}

TEST_F(ConfigFile, DesignExampleFlowStyleLoads) {
  body b;
  b.proxy = "  limits: {max_header_bytes: 16384, max_connections: 20000, max_body_bytes: 0}\n"
            "  timeouts: {head: 10s, idle: 60s, connect: 10s, tunnel_idle: 300s}\n";
  const auto cfg = config_of(write(b));
  EXPECT_EQ(cfg.proxy.max_header_bytes, 16384u);
  EXPECT_EQ(cfg.proxy.max_connections, 20000u);
  EXPECT_EQ(cfg.proxy.tunnel_idle_timeout, 300s);
}

TEST_F(ConfigFile, ValuesReachTheirFields) {
  body b;
  b.proxy = "  io_threads: 3\n  timeouts:\n    shutdown_grace: 2s\n  via: \"\"\n  x_forwarded_for: true\n"
            "  upstream_idle_per_host: 4\n  support_contact: \"it@example.com\"\n  limits:\n    max_body_bytes: 8MiB\n";
  b.admin = "  admin_groups: []\n  metrics_require_token: true\n  io_threads: 2\n  limits:\n    max_body_bytes: 2MiB\n"
            "  timeouts:\n    write: 5s\n";
  b.ldap += "  nested_group_depth: 0\n  workers: 2\n  stale_if_error: 0s\n  lockout:\n    threshold: 0\n"
            "    window: 1m\n    duration: 2h\n  cache_max_entries: 50\n  max_pending_checks: 7\n  down_retry_interval: 0s\n";
  b.audit = "  instance: \"edge-7\"\n  spool_max_bytes: 512MiB\n  on_spool_full: reject\n  store_query: true\n"
            "  queue_capacity: 10\n  retention_months: 13\n";
  b.policy = "  bootstrap_rules_file: rules.yaml\n";
  dir_.write("rules.yaml", "[]\n");
  const auto cfg = config_of(write(b));
  EXPECT_EQ(cfg.proxy.io_threads, 3u);
  EXPECT_EQ(cfg.proxy.shutdown_grace, 2s);
  EXPECT_EQ(cfg.proxy.via, "");
  EXPECT_TRUE(cfg.proxy.x_forwarded_for);
  EXPECT_EQ(cfg.proxy.upstream_idle_per_host, 4u);
  EXPECT_EQ(cfg.proxy.support_contact, "it@example.com");
  EXPECT_EQ(cfg.proxy.max_body_bytes, 8u << 20);
  EXPECT_TRUE(cfg.admin.admin_groups.empty());
  EXPECT_TRUE(cfg.admin.metrics_require_token);
  EXPECT_EQ(cfg.admin.io_threads, 2u);
  EXPECT_EQ(cfg.admin.max_body_bytes, 2u << 20);
  EXPECT_EQ(cfg.admin.write_timeout, 5s);
  EXPECT_EQ(cfg.ldap.nested_group_depth, 0u);
  EXPECT_EQ(cfg.ldap.workers, 2u);
  EXPECT_EQ(cfg.ldap.stale_if_error, 0ms);
  EXPECT_EQ(cfg.ldap.lockout_threshold, 0u);
  EXPECT_EQ(cfg.ldap.lockout_window, 1min);
  EXPECT_EQ(cfg.ldap.lockout_duration, 2h);
  EXPECT_EQ(cfg.ldap.cache_max_entries, 50u);
  EXPECT_EQ(cfg.ldap.max_pending_checks, 7u);
  EXPECT_EQ(cfg.ldap.down_retry_interval, 0ms);
  EXPECT_EQ(cfg.audit.instance, "edge-7");
  EXPECT_EQ(cfg.audit.spool_max_bytes, 512u << 20);
  EXPECT_EQ(cfg.audit.on_spool_full, audit::spool_full_mode::reject);
  EXPECT_TRUE(cfg.audit.store_query);
  EXPECT_TRUE(cfg.proxy.store_query);  // audit.store_query also tells the proxy
  EXPECT_EQ(cfg.audit.queue_capacity, 10u);
  EXPECT_EQ(cfg.audit.retention_months, 13u);
  EXPECT_EQ(cfg.audit.spool_dir, dir_.file("spool"));  // relative to the config file
  EXPECT_EQ(cfg.policy.bootstrap_rules_file, dir_.file("rules.yaml"));
}

// --- ${ENV} ---

TEST_F(ConfigFile, EnvironmentVariablesAreSubstitutedInScalarsAndLists) {
  scoped_env port("TOLLGATE_TEST_PORT", "4128");
  scoped_env group("TOLLGATE_TEST_GROUP", "net-admins");
  body b;
  b.proxy = "  realm: \"Gate ${TOLLGATE_TEST_PORT}\"\n";
  b.admin = "  admin_groups: [\"${TOLLGATE_TEST_GROUP}\"]\n";
  b.postgres = "  admin_dsn: \"postgresql://tollgate@127.0.0.1:${TOLLGATE_TEST_PORT}/tollgate\"\n";
  const auto cfg = config_of(write(b));
  EXPECT_EQ(cfg.proxy.realm, "Gate 4128");
  EXPECT_EQ(cfg.admin.admin_groups, std::vector<std::string>{"net-admins"});
  EXPECT_EQ(cfg.postgres.admin_dsn, "postgresql://tollgate@127.0.0.1:4128/tollgate");
}

TEST_F(ConfigFile, UnsetEnvironmentVariableNamesKeyAndLine) {
  ::unsetenv("TOLLGATE_TEST_UNSET");
  body b;
  b.audit = "  instance: \"${TOLLGATE_TEST_UNSET}\"\n";
  const auto file = write(b);
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 14, "audit.instance", "environment variable TOLLGATE_TEST_UNSET is not set"));
  EXPECT_EQ(problems.size(), 1u) << describe(problems);
}

TEST_F(ConfigFile, EnvironmentCanCarryTypedValues) {
  scoped_env t("TOLLGATE_TEST_TIMEOUT", "250ms");
  body b;
  b.proxy = "  timeouts:\n    connect: ${TOLLGATE_TEST_TIMEOUT}\n";
  EXPECT_EQ(config_of(write(b)).proxy.connect_timeout, 250ms);
}

// --- secrets ---

TEST_F(ConfigFile, BindPasswordFromEnvironment) {
  scoped_env pw("TOLLGATE_TEST_LDAP_PW", "from-env");
  body b;
  b.ldap = "  bind_password: \"${TOLLGATE_TEST_LDAP_PW}\"\n";
  EXPECT_EQ(config_of(write(b)).ldap.bind_password, "from-env");
}

TEST_F(ConfigFile, BindPasswordFileContentIsTheSecret) {
  dir_.write("pw", "s3cr3t:with spaces\r\n");
  body b;
  b.ldap = "  bind_password_file: " + dir_.file("pw") + "\n";
  EXPECT_EQ(config_of(write(b)).ldap.bind_password, "s3cr3t:with spaces");
}

TEST_F(ConfigFile, MissingSecretFileNamesKeyAndLine) {
  body b;
  b.ldap = "  bind_password_file: /nonexistent/ldap-password\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 9, "ldap.bind_password_file",
                          "cannot read '/nonexistent/ldap-password': No such file or directory"));
}

TEST_F(ConfigFile, EmptySecretFileIsAnError) {
  dir_.write("empty-pw", "\n");
  body b;
  b.ldap = "  bind_password_file: empty-pw\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 9, "ldap.bind_password_file", "is empty"));
}

TEST_F(ConfigFile, BothPasswordKindsIsAnError) {
  body b;
  b.ldap += "  bind_password: \"x\"\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 10, "ldap.bind_password", "not both"));
}

TEST_F(ConfigFile, SecretValuesAreNeverPrinted) {
  // Invalid secrets (control characters) are reported without their values.
  scoped_env dsn("TOLLGATE_TEST_DSN", "postgresql://u:topsecret\x02@h/db");
  body b;
  b.ldap = "  bind_password: \"hunter2\x01\"\n";
  b.postgres = "  admin_dsn: \"${TOLLGATE_TEST_DSN}\"\n";
  const auto file = write(b);
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 9, "ldap.bind_password", "control characters"));
  EXPECT_TRUE(has_problem(problems, file, 12, "postgres.admin_dsn", "control characters"));
  for (const auto& p : problems) {
    EXPECT_EQ(to_string(p).find("hunter2"), std::string::npos) << to_string(p);
    EXPECT_EQ(to_string(p).find("topsecret"), std::string::npos) << to_string(p);
  }
}

// --- ranges and cross-field checks ---

TEST_F(ConfigFile, OutOfRangeValues) {
  body b;
  b.proxy = "  io_threads: 1025\n  timeouts:\n    head: 50ms\n";
  b.ldap += "  workers: 0\n";
  b.audit = "  spool_max_bytes: 1KiB\n";
  const auto file = write(b);
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 3, "proxy.io_threads", "1025 is out of range (0-1024)"));
  EXPECT_TRUE(has_problem(problems, file, 5, "proxy.timeouts.head", "must be between 100ms and 1h"));
  EXPECT_TRUE(has_problem(problems, file, 13, "ldap.workers", "0 is out of range (1-64)"));
  EXPECT_TRUE(has_problem(problems, file, 18, "audit.spool_max_bytes", "must be between 1MiB and"));
}

TEST_F(ConfigFile, TlsNeedsBothCertAndKey) {
  dir_.write("cert.pem", "x");
  body b;
  b.admin = "  tls:\n    cert_file: cert.pem\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 6, "admin.tls.key_file", "must be set together with admin.tls.cert_file"));
}

TEST_F(ConfigFile, StartTlsWithLdapsIsAnError) {
  body b;
  b.ldap += "  uris: [\"ldaps://ldap.example.com\"]\n  start_tls: true\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 11, "ldap.start_tls", "cannot be combined with an ldaps:// URI"));
}

TEST_F(ConfigFile, AdminListenMustDifferFromProxyListen) {
  std::string text = body{}.text();
  text.replace(text.find("127.0.0.1:9090"), 14, "127.0.0.1:3128");
  const auto file = dir_.write("tollgate.yaml", text);
  EXPECT_TRUE(has_problem(problems_of(file), file, 4, "admin.listen", "127.0.0.1:3128 is also a proxy.listen address"));
}

TEST_F(ConfigFile, LdapFilterParenthesesMustPairUp) {
  body b;
  b.ldap += "  user_filter: \"(uid={user}))\"\n  group_filter: \"(member={dn})(cn=x)\"\n";
  const auto file = write(b);
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 10, "ldap.user_filter", "its parentheses do not pair up"));
  EXPECT_TRUE(has_problem(problems, file, 11, "ldap.group_filter", "its parentheses do not pair up"));
}

TEST_F(ConfigFile, LdapFilterWithNestedPartsAndEscapesIsAccepted) {
  body b;
  b.ldap += "  user_filter: \"(&(uid={user})(description=a\\\\29b))\"\n";
  const auto cfg = config_of(write(b));
  EXPECT_EQ(cfg.ldap.user_filter, "(&(uid={user})(description=a\\29b))");
}

TEST_F(ConfigFile, SigningKeyNeedsCheckpointFile) {
  dir_.write("key.pem", "k");
  body b;
  b.audit = "  signing_key_file: key.pem\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 14, "audit.checkpoint_file", "must be set when audit.signing_key_file is"));
}

TEST_F(ConfigFile, CheckpointsAreOnByDefaultInTheSpoolFoldersParent) {
  const auto cfg = config_of(write(body{}));  // spool_dir: spool, beside the file
  EXPECT_EQ(cfg.audit.spool_dir, dir_.file("spool"));
  EXPECT_EQ(cfg.audit.signing_key_file, dir_.file("audit-ed25519.pem"));
  EXPECT_EQ(cfg.audit.checkpoint_file, dir_.file("checkpoints.log"));
  EXPECT_TRUE(cfg.audit.create_signing_key);
}

TEST_F(ConfigFile, CheckpointsAreOffWhenBothKeysAreEmpty) {
  body b;
  b.audit = "  signing_key_file: \"\"\n  checkpoint_file: \"\"\n";
  const auto cfg = config_of(write(b));
  EXPECT_EQ(cfg.audit.signing_key_file, "");
  EXPECT_EQ(cfg.audit.checkpoint_file, "");
  EXPECT_FALSE(cfg.audit.create_signing_key);
}

TEST_F(ConfigFile, ANamedSigningKeyIsNeverGenerated) {
  dir_.write("key.pem", "k");
  body b;
  b.audit = "  signing_key_file: key.pem\n  checkpoint_file: checkpoints.log\n";
  const auto cfg = config_of(write(b));
  EXPECT_EQ(cfg.audit.signing_key_file, dir_.file("key.pem"));
  EXPECT_FALSE(cfg.audit.create_signing_key);
}

TEST_F(ConfigFile, ABadPathInAPairIsReportedOnce) {
  body b;
  b.audit = "  signing_key_file: missing.pem\n  checkpoint_file: checkpoints.log\n";
  const auto file = write(b);
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 14, "audit.signing_key_file", "cannot read"));
  EXPECT_EQ(problems.size(), 1u) << describe(problems);
}

TEST_F(ConfigFile, EmptyListWhereOneIsNeeded) {
  body b;
  b.ldap += "  uris: []\n";
  const auto file = write(b);
  EXPECT_TRUE(has_problem(problems_of(file), file, 10, "ldap.uris", "must list at least one entry"));
}

TEST_F(ConfigFile, ListEntriesMustBeScalarsAndDistinct) {
  body b;
  b.admin = "  auditor_groups: [\"a\", \"a\"]\n  admin_groups: [[\"x\"]]\n";
  const auto file = write(b);
  const auto problems = problems_of(file);
  EXPECT_TRUE(has_problem(problems, file, 5, "admin.auditor_groups", "\"a\" is listed twice"));
  EXPECT_TRUE(has_problem(problems, file, 6, "admin.admin_groups", "list entries must be scalars"));
}

// --- the shipped example ---

TEST(ConfigExample, DeployExampleLoadsWithItsSecretsProvided) {
  temp_dir dir;
  std::string text = tollgate::testing::read_file(std::string(TOLLGATE_SOURCE_DIR) + "/deploy/tollgate.example.yaml");
  ASSERT_FALSE(text.empty());
  // The example points at /etc/tollgate and /var/lib/tollgate; the test provides those files in a scratch folder.
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"/etc/tollgate/", dir.file("etc/")},
                                 {"/var/lib/tollgate/", dir.file("var/")}}) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  }
  dir.write("etc/ldap-password", "service-secret\n");
  dir.write("etc/admin-tokens", "");
  dir.write("etc/audit-ed25519.pem", "-----BEGIN PRIVATE KEY-----\n");
  dir.write("etc/rules.yaml", "[]\n");
  scoped_env writer("TOLLGATE_PG_WRITER_PASSWORD", "w-pw");
  scoped_env owner("TOLLGATE_PG_OWNER_PASSWORD", "o-pw");
  const auto cfg = config_of(dir.write("tollgate.yaml", text));

  EXPECT_EQ(cfg.ldap.bind_password, "service-secret");
  EXPECT_EQ(cfg.postgres.dsn, "postgresql://tollgate_writer:w-pw@127.0.0.1:5432/tollgate");
  EXPECT_EQ(cfg.postgres.admin_dsn, "postgresql://tollgate:o-pw@127.0.0.1:5432/tollgate");
  EXPECT_EQ(cfg.audit.dsn, cfg.postgres.dsn);
  EXPECT_EQ(cfg.audit.instance, "proxy-1");
  EXPECT_EQ(cfg.audit.signing_key_file, dir.file("etc/audit-ed25519.pem"));
  EXPECT_EQ(cfg.audit.spool_dir, dir.file("var/spool"));

  // The example claims to show each default: hold it to that.
  const proxy::options p;
  EXPECT_EQ(cfg.proxy.listen, p.listen);
  EXPECT_EQ(cfg.proxy.realm, p.realm);
  EXPECT_EQ(cfg.proxy.io_threads, p.io_threads);
  EXPECT_EQ(cfg.proxy.max_header_bytes, p.max_header_bytes);
  EXPECT_EQ(cfg.proxy.max_connections, p.max_connections);
  EXPECT_EQ(cfg.proxy.max_body_bytes, p.max_body_bytes);
  EXPECT_EQ(cfg.proxy.head_timeout, p.head_timeout);
  EXPECT_EQ(cfg.proxy.idle_timeout, p.idle_timeout);
  EXPECT_EQ(cfg.proxy.connect_timeout, p.connect_timeout);
  EXPECT_EQ(cfg.proxy.tunnel_idle_timeout, p.tunnel_idle_timeout);
  EXPECT_EQ(cfg.proxy.shutdown_grace, p.shutdown_grace);
  EXPECT_EQ(cfg.proxy.block_private_destinations, p.block_private_destinations);
  EXPECT_EQ(cfg.proxy.via, p.via);
  EXPECT_EQ(cfg.proxy.x_forwarded_for, p.x_forwarded_for);
  EXPECT_EQ(cfg.proxy.upstream_idle_per_host, p.upstream_idle_per_host);
  const admin_api::options a;
  EXPECT_EQ(cfg.admin.listen, a.listen);
  EXPECT_EQ(cfg.admin.admin_groups, a.admin_groups);
  EXPECT_EQ(cfg.admin.auditor_groups, a.auditor_groups);
  EXPECT_EQ(cfg.admin.tls_cert_file, a.tls_cert_file);
  EXPECT_EQ(cfg.admin.metrics_require_token, a.metrics_require_token);
  EXPECT_EQ(cfg.admin.io_threads, a.io_threads);
  EXPECT_EQ(cfg.admin.worker_threads, a.worker_threads);
  EXPECT_EQ(cfg.admin.max_connections, a.max_connections);
  EXPECT_EQ(cfg.admin.max_header_bytes, a.max_header_bytes);
  EXPECT_EQ(cfg.admin.max_body_bytes, a.max_body_bytes);
  EXPECT_EQ(cfg.admin.read_timeout, a.read_timeout);
  EXPECT_EQ(cfg.admin.idle_timeout, a.idle_timeout);
  EXPECT_EQ(cfg.admin.write_timeout, a.write_timeout);
  const auth::ldap_options l;
  EXPECT_EQ(cfg.ldap.uris, l.uris);
  EXPECT_EQ(cfg.ldap.start_tls, l.start_tls);
  EXPECT_EQ(cfg.ldap.ca_file, l.ca_file);
  EXPECT_EQ(cfg.ldap.user_filter, l.user_filter);
  EXPECT_EQ(cfg.ldap.group_filter, l.group_filter);
  EXPECT_EQ(cfg.ldap.group_attr, l.group_attr);
  EXPECT_EQ(cfg.ldap.nested_group_depth, l.nested_group_depth);
  EXPECT_EQ(cfg.ldap.workers, l.workers);
  EXPECT_EQ(cfg.ldap.network_timeout, l.network_timeout);
  EXPECT_EQ(cfg.ldap.operation_timeout, l.operation_timeout);
  EXPECT_EQ(cfg.ldap.cache_ttl, l.cache_ttl);
  EXPECT_EQ(cfg.ldap.negative_cache_ttl, l.negative_cache_ttl);
  EXPECT_EQ(cfg.ldap.stale_if_error, l.stale_if_error);
  EXPECT_EQ(cfg.ldap.cache_max_entries, l.cache_max_entries);
  EXPECT_EQ(cfg.ldap.max_pending_checks, l.max_pending_checks);
  EXPECT_EQ(cfg.ldap.down_retry_interval, l.down_retry_interval);
  EXPECT_EQ(cfg.ldap.lockout_threshold, l.lockout_threshold);
  EXPECT_EQ(cfg.ldap.lockout_window, l.lockout_window);
  EXPECT_EQ(cfg.ldap.lockout_duration, l.lockout_duration);
  const audit::options au;
  EXPECT_EQ(cfg.audit.spool_max_bytes, au.spool_max_bytes);
  EXPECT_EQ(cfg.audit.queue_capacity, au.queue_capacity);
  EXPECT_EQ(cfg.audit.batch_max, au.batch_max);
  EXPECT_EQ(cfg.audit.flush_interval, au.flush_interval);
  EXPECT_EQ(cfg.audit.on_spool_full, au.on_spool_full);
  EXPECT_EQ(cfg.audit.checkpoint_every, au.checkpoint_every);
  EXPECT_EQ(cfg.audit.retention_months, au.retention_months);
  EXPECT_EQ(cfg.audit.store_query, au.store_query);
  EXPECT_EQ(cfg.policy.default_action, policy::policy_options{}.default_action);
}

}  // namespace
}  // namespace tollgate::app
