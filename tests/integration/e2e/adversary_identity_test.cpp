// Issue 16, class 3: one identity per person. The real binary, its own slapd (whose
// `loglevel stats` log shows every bind that reached it), the harness's PostgreSQL and
// curl. slapd matches uid case-insensitively and ignores surrounding spaces, so `Alice`,
// `alice `, `ＡＬＩＣＥ` and `ALİCE` all bind as alice's entry: they must log in as `alice`,
// be audited as `alice`, share alice's one lockout budget and be flushed together. A spray
// of guesses from many addresses locks the user; a flood of other names never pushes a
// lock out of the table; a table full of locks refuses new names instead of forgetting a
// lock; a password containing NUL never reaches the directory.
#include "tollgate/testing/http_load.hpp"
#include "tollgate/testing/ldap_server.hpp"
#include "tollgate/testing/postgres_server.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/static_origin.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace tollgate::testing {
namespace {

// The proxy's lockout: small numbers, so a test crosses them with a few requests.
constexpr int pair_threshold = 4;
constexpr int user_threshold = 8;

std::string user_dn(const std::string& uid) { return "uid=" + uid + ",ou=people,dc=example,dc=com"; }

// One proxy, its slapd and an origin that serves `pages`; every authenticated user may
// reach the origin, so an answer is 200 when the login worked and 407 when it did not.
struct proxied_directory {
  std::unique_ptr<ldap_server> ldap;
  std::unique_ptr<static_origin> origin;
  std::unique_ptr<tollgate_process> proxy;
  std::string instance;

  void start(const std::string& name, const std::string& lockout_extra, const std::string& flood) {
    // Its own chain in the shared database: rows of an earlier run never count.
    instance = name + "-" + std::to_string(::getpid());
    ldap = ldap_server::start_new();
    origin = std::make_unique<static_origin>(std::map<std::string, std::string>{
        {"index.html", "hello\n"}, {"spelling.html", "hello\n"}, {"budget.html", "hello\n"}});
    tollgate_settings settings;
    settings.instance = instance;
    settings.ldap_extra = "  cache_ttl: 5m\n"
                          "  negative_cache_ttl: 30s\n"
                          "  lockout:\n"
                          "    threshold: " + std::to_string(pair_threshold) + "\n"
                          "    user_threshold: " + std::to_string(user_threshold) + "\n"
                          "    window: 5m\n"
                          "    duration: 10m\n" + lockout_extra;
    // Every failed login keeps a row of its own.
    settings.proxy_extra = "  flood:\n" + flood;
    settings.audit_extra = "  unauthenticated:\n    records_per_second: 1000000\n    records_burst: 1000000\n";
    // Any port: rules live in the shared database and only the first proxy of this
    // program loads them, while each suite's origin has a port of its own.
    settings.bootstrap_rules_yaml =
        "- priority: 10\n"
        "  action: allow\n"
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [\"1024-65535\"]\n";
    proxy = tollgate_process::start(services_environment::postgres(), *ldap, settings);
  }

  void stop() {
    proxy.reset();
    origin.reset();
    ldap.reset();
  }

  std::vector<std::string> proxy_args(const std::string& user_password, const std::string& from,
                                      const std::string& page) const {
    std::vector<std::string> args{"-x", proxy->proxy_url(), "-U", user_password, "-o", "/dev/null",
                                  "-w", "%{http_code}\n"};
    if (!from.empty()) args.insert(args.end(), {"--interface", from});
    args.push_back(origin->url("/" + page));
    return args;
  }
  /// The status of one request with curl's `-U user:password`, from `from` (a 127.0.0.0/8
  /// address; Linux answers for all of them on loopback).
  std::string status(const std::string& user_password, const std::string& from = {},
                     const std::string& page = "index.html") const {
    const auto r = curl(proxy_args(user_password, from, page));
    auto out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (out == "000") ADD_FAILURE() << "curl: " << r.err << "\n" << proxy->log_text();
    return out;
  }
  /// The status of a request carrying this Proxy-Authorization value as it is.
  std::string status_with_header(const std::string& proxy_authorization) const {
    return curl({"-x", proxy->proxy_url(), "-H", "Proxy-Authorization: " + proxy_authorization, "-o", "/dev/null",
                 "-w", "%{http_code}", origin->url("/index.html")})
        .out;
  }
  void flush(const std::string& user_json) const {
    const auto r = curl({"-u", "carol:carol-pw", "-X", "POST", "-H", "Content-Type: application/json",
                         "--data-binary", "{\"user\": \"" + user_json + "\"}", "-o", "/dev/null", "-w", "%{http_code}",
                         proxy->admin_url() + "/api/v1/auth/cache/flush"});
    ASSERT_EQ(r.out, "200") << r.out << r.err;
  }
  /// `what` of this instance's audit rows matching `where`, one per line in seq order,
  /// once at least `rows` rows match (the writer flushes every 50 ms).
  std::string audit(const std::string& what, const std::string& where, int rows = 1) const {
    const std::string from = " FROM audit_log WHERE instance = '" + instance + "' AND (" + where + ")";
    for (int i = 0; i < 100; ++i) {
      if (std::stoi(services_environment::postgres().psql("SELECT count(*)" + from)) >= rows) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return services_environment::postgres().psql("SELECT " + what + from + " ORDER BY 1");
  }
};

// One proxy (and slapd) per test suite: `Suite::name` names its audit chain,
// `Suite::lockout_extra` sizes its lockout table, `Suite::flood` sets its 407 rate limit.
template <typename Suite>
class proxy_suite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_environment::available()) return;
    try {
      env_.start(Suite::name, Suite::lockout_extra, Suite::flood);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  static void TearDownTestSuite() { env_.stop(); }
  void SetUp() override {
    TOLLGATE_REQUIRE_SERVICES();
    TOLLGATE_REQUIRE_OWN_SERVER(env_.proxy != nullptr, error_);
  }

  static inline proxied_directory env_;
  static inline std::string error_;
};

class AdversaryIdentity : public proxy_suite<AdversaryIdentity> {
 public:
  static constexpr const char* name = "identity-e2e";
  // 64 counters, 4 per shard: a flood of names has to evict, and no shard fills with locks.
  static constexpr const char* lockout_extra = "    max_entries: 64\n";
  // Many 407s from one address are the point here, not the 407 rate limit.
  static constexpr const char* flood = "    challenges_per_second: 0\n";
};

TEST_F(AdversaryIdentity, EverySpellingLogsInAndIsAuditedAsTheEntrysUid) {
  const std::vector<std::string> spellings{"Alice", "ALICE", "alice ", " alice", "ＡＬＩＣＥ", "ALİCE", "ａｌｉｃｅ"};
  for (const auto& s : spellings) EXPECT_EQ(env_.status(s + ":alice-pw", {}, "spelling.html"), "200") << s;
  const auto where = "decision = 'allow' AND path = '/spelling.html'";
  const int rows = static_cast<int>(spellings.size());
  EXPECT_EQ(env_.audit("count(*)", where, rows), std::to_string(rows) + "\n");
  EXPECT_EQ(env_.audit("DISTINCT username", where, rows), "alice\n")
      << "the audit trail names someone other than the directory's alice";
}

TEST_F(AdversaryIdentity, SpellingsShareOneLockoutBudget) {
  const int binds_before = env_.ldap->bind_attempts(user_dn("mallory"));
  // Four wrong guesses, each under another spelling: one budget of four, now spent.
  EXPECT_EQ(env_.status("Mallory:guess-1", {}, "budget.html"), "407");
  EXPECT_EQ(env_.status("mallory :guess-2", {}, "budget.html"), "407");
  EXPECT_EQ(env_.status("ＭＡＬＬＯＲＹ:guess-3", {}, "budget.html"), "407");
  EXPECT_EQ(env_.status(" MALLORY:guess-4", {}, "budget.html"), "407");
  EXPECT_EQ(env_.ldap->bind_attempts(user_dn("mallory")) - binds_before, pair_threshold);
  // Locked: the right password under any spelling is refused, and slapd is not asked.
  for (const std::string s : {"mallory", "Mallory", "ｍａｌｌｏｒｙ", "mallory  "})
    EXPECT_EQ(env_.status(s + ":mallory-pw", {}, "budget.html"), "407") << s;
  EXPECT_EQ(env_.ldap->bind_attempts(user_dn("mallory")) - binds_before, pair_threshold);
  const auto where = "decision = 'auth_failed' AND path = '/budget.html'";
  EXPECT_EQ(env_.audit("count(*)", where, 8), "8\n");
  EXPECT_EQ(env_.audit("DISTINCT username", where, 8), "mallory\n");
  // The guess that locked, and the four after it.
  EXPECT_EQ(env_.audit("count(*)", std::string(where) + " AND error LIKE '%locked%'", 5), "5\n");  // the guess that locked, and the four after it
}

TEST_F(AdversaryIdentity, FlushOfASpellingFlushesTheUser) {
  for (int i = 0; i < pair_threshold; ++i) env_.status("BOB:guess-" + std::to_string(i));
  ASSERT_EQ(env_.status("bob:bob-pw"), "407");
  env_.flush("Bob ");
  EXPECT_EQ(env_.status("bob:bob-pw"), "200") << "flushing 'Bob ' left bob locked out";
}

TEST_F(AdversaryIdentity, SprayingFromManyAddressesLocksTheUser) {
  // Three guesses from each of three addresses stay under the per-address threshold of
  // four; together they pass the per-user threshold of eight.
  int guesses = 0;
  for (const std::string from : {"127.0.0.2", "127.0.0.3", "127.0.0.4"})
    for (int i = 0; i < pair_threshold - 1 && guesses < user_threshold; ++i, ++guesses)
      EXPECT_EQ(env_.status("dave:spray-" + std::to_string(guesses), from), "407") << from;
  ASSERT_EQ(guesses, user_threshold);
  const int binds = env_.ldap->bind_attempts(user_dn("dave"));
  // An address that never failed, with the right password: dave is locked out everywhere.
  EXPECT_EQ(env_.status("dave:dave-pw", "127.0.0.5"), "407");
  EXPECT_EQ(env_.status("Dave:dave-pw", "127.0.0.1"), "407");
  EXPECT_EQ(env_.ldap->bind_attempts(user_dn("dave")), binds) << "a locked user's password reached the directory";
  EXPECT_EQ(env_.status("erin:erin-pw", "127.0.0.5"), "200");  // only dave
}

TEST_F(AdversaryIdentity, AFloodOfOtherNamesDoesNotUnlockALockedUser) {
  for (int i = 0; i < pair_threshold; ++i) env_.status("erin:guess-" + std::to_string(i));
  ASSERT_EQ(env_.status("erin:erin-pw"), "407");
  // 400 names that do not exist, one failure each, from the same address: far more than
  // the 64 counters the proxy keeps, so it evicts many times over.
  std::vector<std::string> args;
  for (int i = 0; i < 400; ++i) {
    if (i > 0) args.emplace_back("--next");
    const auto one = env_.proxy_args("flood-" + std::to_string(i) + ":x", {}, "index.html");
    args.insert(args.end(), one.begin(), one.end());
  }
  const auto r = curl(args);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 400) << r.err;
  EXPECT_EQ(r.out.find("200"), std::string::npos);
  const int binds = env_.ldap->bind_attempts(user_dn("erin"));
  EXPECT_EQ(env_.status("erin:erin-pw"), "407") << "the flood pushed erin's lock out of the table";
  EXPECT_EQ(env_.ldap->bind_attempts(user_dn("erin")), binds);
}

TEST_F(AdversaryIdentity, PasswordWithANulIsRefusedWithoutAskingTheDirectory) {
  const int before = env_.ldap->bind_attempts(user_dn("alice"));
  EXPECT_EQ(env_.status_with_header(basic_credentials("alice", std::string("alice-pw\0anything", 17))), "407");
  EXPECT_EQ(env_.status_with_header(basic_credentials("alice", std::string("\0", 1))), "407");
  EXPECT_EQ(env_.ldap->bind_attempts(user_dn("alice")), before);
  const auto rows = env_.audit("decision || ' ' || status", "error = 'password contains a NUL byte'", 2);
  EXPECT_EQ(rows, "auth_failed 407\nauth_failed 407\n");
}

// A lockout table with room for one counter: one lock fills it.
class AdversaryIdentityFullTable : public proxy_suite<AdversaryIdentityFullTable> {
 public:
  static constexpr const char* name = "identity-full-e2e";
  static constexpr const char* lockout_extra = "    max_entries: 1\n";
  static constexpr const char* flood = "    challenges_per_second: 0\n";
};

TEST_F(AdversaryIdentityFullTable, ATableFullOfLocksRefusesNewNamesAndKeepsTheLock) {
  ASSERT_EQ(env_.status("alice:alice-pw"), "200");  // in the credential cache from now on
  for (int i = 0; i < pair_threshold; ++i) env_.status("mallory:guess-" + std::to_string(i));
  ASSERT_EQ(env_.status("mallory:mallory-pw"), "407");
  const int bob_binds = env_.ldap->bind_attempts(user_dn("bob"));
  // bob has no counter and there is no room for one: he is refused, not checked, and the
  // refusal is counted.
  EXPECT_EQ(env_.status("bob:bob-pw"), "407");
  EXPECT_EQ(env_.ldap->bind_attempts(user_dn("bob")), bob_binds);
  EXPECT_GE(env_.proxy->metric("tollgate_auth_lockout_full_total"), 1);
  EXPECT_EQ(env_.status("mallory:mallory-pw"), "407") << "the lock was forgotten";
  EXPECT_EQ(env_.status("alice:alice-pw"), "200") << "a password the cache knows stops working";
  const auto rows = env_.audit("username || ' ' || error", "username = 'bob' AND error LIKE '%full%'");
  EXPECT_NE(rows.find("bob lockout table full"), std::string::npos) << rows;
}

// One 407 per client address, then 429 before the directory is asked.
class AdversaryIdentityThrottled : public proxy_suite<AdversaryIdentityThrottled> {
 public:
  static constexpr const char* name = "identity-throttled-e2e";
  static constexpr const char* lockout_extra = "";
  static constexpr const char* flood = "    challenges_per_second: 1\n    challenge_burst: 1\n";
};

TEST_F(AdversaryIdentityThrottled, ARequestRefusedBeforeTheDirectoryIsFiledUnderTheFoldedName) {
  EXPECT_EQ(env_.status("Alice:guess-1", {}, "budget.html"), "407");
  EXPECT_EQ(env_.status("ALICE :guess-2", {}, "budget.html"), "429");
  EXPECT_EQ(env_.audit("status || ' ' || username", "path = '/budget.html'", 2), "407 alice\n429 alice\n");
}

}  // namespace
}  // namespace tollgate::testing
