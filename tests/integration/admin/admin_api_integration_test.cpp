// The admin API served in-process on loopback, driven with curl, backed by the real
// pieces: LDAP authenticator (slapd fixture), policy store, audit queries and the
// admin_actions writer (PostgreSQL fixture with every migration applied).
#include "tollgate/admin_api/server.hpp"

#include "audit_query_sql.hpp"
#include "tollgate/admin_api/policy_store_adapter.hpp"
#include "tollgate/admin_api/postgres.hpp"
#include "tollgate/audit/pg_audit_queries.hpp"
#include "tollgate/auth/ldap_authenticator.hpp"
#include "tollgate/pg/connect.hpp"
#include "tollgate/policy/compiled_policy.hpp"
#include "tollgate/policy/store.hpp"
#include "tollgate/testing/sanitizer_build.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

namespace tollgate::admin_api {
namespace {

using tollgate::testing::curl;
using tollgate::testing::services_environment;

struct http_reply {
  int status = 0;
  std::string headers;
  std::string body;
  boost::json::value json() const { return boost::json::parse(body); }
  std::string header(const std::string& name) const {
    const auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    const auto h = lower(headers);
    const auto at = h.find("\n" + lower(name) + ":");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 2;
    auto value = headers.substr(start, headers.find('\r', start) - start);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    return value;
  }
};

class AdminApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_environment::available()) return;
    auto& pg = services_environment::postgres();
    auto& ldap = services_environment::ldap();
    registry_ = std::make_unique<prometheus::Registry>();

    auth::ldap_options lo;
    lo.uris = {ldap.uri()};
    lo.bind_dn = tollgate::testing::ldap_server::service_dn;
    lo.bind_password = tollgate::testing::ldap_server::service_password;
    lo.user_base = tollgate::testing::ldap_server::people_base;
    lo.group_base = tollgate::testing::ldap_server::groups_base;
    authn_ = auth::make_ldap_authenticator(lo, *registry_);

    store_ = policy::policy_store::create(pg.owner_dsn());
    audit_ = audit::make_pg_audit_queries(pg.owner_dsn());
    actions_ = make_pg_admin_action_log(pg.owner_dsn());

    services svc{.authenticator = *authn_, .registry = *registry_};
    svc.rules = make_rule_operations(*store_);
    // The dry run decides with the rules as stored right now (what the watcher installs).
    svc.decide = [](const identity& who, const request_facts& f) {
      auto snap = store_->load();
      if (!snap) throw std::runtime_error(snap.error().message);
      auto compiled = policy::compiled_policy::compile(snap->rules, snap->version, policy::policy_action::deny);
      const auto* p = std::get_if<std::shared_ptr<const policy::compiled_policy>>(&compiled);
      if (!p) throw std::runtime_error("stored rules do not compile");
      return (*p)->decide(who, f);
    };
    svc.audit = audit_.get();
    svc.actions = actions_.get();
    const auto dsn = pg.owner_dsn();
    svc.verify_audit = [dsn] {
      audit::verify_options vo;
      vo.dsn = dsn;
      return audit::verify_audit_chains(vo);
    };
    svc.connections = [] { return std::vector<connection_view>{}; };
    svc.ready = [] { return readiness{true, dependency_state::ok, dependency_state::ok, dependency_state::ok}; };
    svc.reload = [] { return reload_outcome{true, {}}; };

    tokens_dir_ = std::make_unique<tollgate::testing::temp_dir>("admin-tokens");
    options o;
    o.listen = "127.0.0.1:0";
    o.tokens_file = tokens_dir_->write("tokens", sha256_of("metrics-scraper-token") + " auditor prometheus\n");
    auto s = server::create(o, std::move(svc));
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    server_->start();
    base_ = "http://127.0.0.1:" + std::to_string(server_->local_endpoint().port());
  }
  static void TearDownTestSuite() {
    if (authn_) authn_->stop();
    server_.reset();
    authn_.reset();
    audit_.reset();
    actions_.reset();
    store_.reset();
    registry_.reset();
    tokens_dir_.reset();
  }
  void SetUp() override { TOLLGATE_REQUIRE_SERVICES(); }

  static std::string sha256_of(const std::string& s) {
    const auto r = tollgate::testing::run_command({"sh", "-c", "printf %s '" + s + "' | sha256sum | cut -d' ' -f1"});
    return r.out.substr(0, 64);
  }

  // curl as `user` (password "<user>-pw"); empty user: no credentials.
  static http_reply call(const std::string& user, const std::string& method, const std::string& path,
                         const std::string& body = {}, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-D", "-", "-X", method, "-w", "\n%{http_code}"};
    if (!user.empty()) {
      args.push_back("-u");
      args.push_back(user + ":" + user + "-pw");
    }
    if (!body.empty()) {
      args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(base_ + path);
    const auto r = curl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    http_reply out;
    const auto last_nl = r.out.rfind('\n');
    out.status = std::atoi(r.out.c_str() + last_nl + 1);
    const auto head_end = r.out.find("\r\n\r\n");
    out.headers = r.out.substr(0, head_end);
    out.body = r.out.substr(head_end + 4, last_nl - head_end - 4);
    return out;
  }

  static std::string psql(const std::string& sql) { return services_environment::postgres().psql(sql); }

  static inline std::unique_ptr<prometheus::Registry> registry_;
  static inline std::unique_ptr<auth::ldap_authenticator> authn_;
  static inline std::unique_ptr<policy::policy_store> store_;
  static inline std::unique_ptr<audit_queries> audit_;
  static inline std::unique_ptr<admin_action_log> actions_;
  static inline std::unique_ptr<tollgate::testing::temp_dir> tokens_dir_;
  static inline std::unique_ptr<server> server_;
  static inline std::string base_;
};

// Rows for one synthetic instance: `count` requests by `user`, one a second going back
// from `newest_epoch`, with forged hashes (enough for searching; verify flags them).
void insert_rows(const std::string& instance, const std::string& user, int count, long newest_epoch,
                 int first_seq = 1) {
  services_environment::postgres().psql(
      "INSERT INTO audit_log (ts, instance, seq, event, client_ip, client_port, username, groups, method, scheme, "
      "host, port, path, status, decision, bytes_up, bytes_down, prev_hash, hash) "
      "SELECT to_timestamp(" + std::to_string(newest_epoch) + " - g), '" + instance + "', " +
      std::to_string(first_seq) + " + g, 'request', ('10.20.' || (g % 250) || '.' || (g % 7))::inet, 40000 + g % 1000, '" +
      user + "', '{engineering}', 'GET', 'http', 'h' || (g % 50) || '.example.com', 80, '/p/' || g, "
      "CASE WHEN g % 10 = 0 THEN 403 ELSE 200 END, CASE WHEN g % 10 = 0 THEN 'deny' ELSE 'allow' END, "
      "100, 1000 + g, '\\x00', sha256(g::text::bytea) "
      "FROM generate_series(0, " + std::to_string(count - 1) + ") AS g");
}

TEST_F(AdminApi, HealthzIsOpenAndEverythingElseWantsCredentials) {
  EXPECT_EQ(call("", "GET", "/healthz").status, 200);
  const auto r = call("", "GET", "/api/v1/audit");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("WWW-Authenticate").find("Basic realm="), std::string::npos) << r.headers;
  EXPECT_EQ(r.json().at("error").at("code").as_string(), "unauthorized");
  EXPECT_EQ(curl({"-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "carol:wrong", base_ + "/api/v1/rules"}).out,
            "401");
}

TEST_F(AdminApi, RolesComeFromDirectoryGroups) {
  EXPECT_EQ(call("carol", "GET", "/api/v1/rules").status, 200);        // proxy-admins
  EXPECT_EQ(call("dave", "GET", "/api/v1/rules").status, 403);         // auditors
  EXPECT_EQ(call("dave", "GET", "/api/v1/audit?limit=1").status, 200);
  EXPECT_EQ(call("dave", "GET", "/api/v1/stats/top?by=user").status, 200);
  EXPECT_EQ(call("dave", "GET", "/api/v1/connections").status, 200);
  EXPECT_EQ(call("dave", "POST", "/api/v1/auth/cache/flush").status, 403);
  EXPECT_EQ(call("alice", "GET", "/api/v1/audit").status, 403);        // engineering only
}

TEST_F(AdminApi, RuleLifecycleWithEtagsIsRecordedInAdminActions) {
  auto r = call("carol", "POST", "/api/v1/rules",
                R"({"priority": 50, "action": "allow", "groups": ["engineering"], "hosts": ["*.intranet.example"],
                    "comment": "created by the admin test"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").as_int64();
  const auto path = "/api/v1/rules/" + std::to_string(id);
  EXPECT_EQ(r.header("Location"), path);
  const auto etag = r.header("ETag");
  EXPECT_EQ(etag, "\"1\"");

  r = call("carol", "GET", path);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("ETag"), etag);

  r = call("carol", "PUT", path, R"({"priority": 50, "action": "deny", "hosts": ["*.intranet.example"]})",
           {"-H", "If-Match: " + etag});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("action").as_string(), "deny");
  const auto etag2 = r.header("ETag");
  EXPECT_NE(etag2, etag);

  // A second admin still holding the first ETag loses, and nothing changes.
  r = call("carol", "PUT", path, R"({"action": "allow"})", {"-H", "If-Match: " + etag});
  EXPECT_EQ(r.status, 412) << r.body;
  r = call("carol", "DELETE", path, {}, {"-H", "If-Match: " + etag});
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(call("carol", "GET", path).json().at("action").as_string(), "deny");

  r = call("carol", "POST", "/api/v1/rules", R"({"action": "allow", "hosts": ["bad host"]})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json().at("error").at("field").as_string(), "hosts[0]");

  EXPECT_EQ(call("carol", "DELETE", path, {}, {"-H", "If-Match: " + etag2}).status, 204);
  EXPECT_EQ(call("carol", "GET", path).status, 404);

  const auto recorded = psql("SELECT action || ' ' || actor || ' ' || role || ' ' || coalesce(target, '-') || ' ' || "
                             "host(client_ip) || ' ' || (before IS NOT NULL) || ' ' || (after IS NOT NULL) "
                             "FROM admin_actions WHERE target = 'rule/" + std::to_string(id) + "' ORDER BY id");
  std::cout << "admin_actions for rule " << id << ":\n" << recorded;
  EXPECT_NE(recorded.find("carol admin rule/" + std::to_string(id) + " 127.0.0.1"), std::string::npos) << recorded;
  EXPECT_EQ(std::count(recorded.begin(), recorded.end(), '\n'), 3) << recorded;  // create, update, delete
  // The side a change does not have is NULL, not JSON null: create has no before, delete no after.
  EXPECT_NE(recorded.find("127.0.0.1 false true\n"), std::string::npos) << recorded;
  EXPECT_NE(recorded.find("127.0.0.1 true true\n"), std::string::npos) << recorded;
  EXPECT_NE(recorded.find("127.0.0.1 true false\n"), std::string::npos) << recorded;
}

TEST_F(AdminApi, PolicyDryRunNamesTheDecidingRule) {
  auto r = call("carol", "POST", "/api/v1/rules",
                R"({"priority": 5, "action": "allow", "groups": ["engineering"], "hosts": ["dryrun.example"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").as_int64();
  r = call("carol", "POST", "/api/v1/policy/test",
           R"({"groups": ["engineering"], "method": "GET", "url": "http://dryrun.example/x"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decision").as_string(), "allow");
  EXPECT_EQ(r.json().at("rule_id").as_int64(), id);
  EXPECT_EQ(r.json().at("rule").at("hosts").as_array()[0].as_string(), "dryrun.example");
  r = call("carol", "POST", "/api/v1/policy/test", R"({"groups": ["sales"], "url": "http://dryrun.example/x"})");
  EXPECT_EQ(r.json().at("decision").as_string(), "deny");
  EXPECT_EQ(call("carol", "DELETE", "/api/v1/rules/" + std::to_string(id)).status, 204);
}

TEST_F(AdminApi, FlushAndReloadAreRecorded) {
  EXPECT_EQ(call("carol", "POST", "/api/v1/auth/cache/flush", R"({"user": "alice"})").status, 200);
  EXPECT_EQ(call("carol", "POST", "/api/v1/reload").status, 200);
  const auto recorded = psql("SELECT action || ' ' || actor || ' ' || coalesce(target, '-') FROM admin_actions "
                             "WHERE action IN ('auth.cache.flush', 'config.reload') ORDER BY id");
  EXPECT_NE(recorded.find("auth.cache.flush carol auth/cache/alice"), std::string::npos) << recorded;
  EXPECT_NE(recorded.find("config.reload carol config"), std::string::npos) << recorded;
}

TEST_F(AdminApi, BadInputIs4xxNever500) {
  EXPECT_EQ(call("carol", "POST", "/api/v1/rules", "{\"action\": ").status, 400);
  EXPECT_EQ(call("carol", "POST", "/api/v1/rules", R"({"action": "allow", "prio": 1})").status, 422);
  EXPECT_EQ(call("carol", "POST", "/api/v1/rules", R"({"action": ["allow"]})").status, 422);
  EXPECT_EQ(call("dave", "GET", "/api/v1/audit?cursor=AAAA").status, 400);
  EXPECT_EQ(call("dave", "GET", "/api/v1/audit?from=last%20tuesday").status, 400);
  EXPECT_EQ(call("dave", "GET", "/api/v1/audit?limit=5000").status, 400);
  EXPECT_EQ(call("dave", "GET", "/api/v1/audit?client_ip=10.0.0.0/99").status, 400);
  const auto big = std::string(2 * 1024 * 1024, ' ');
  const auto file = tokens_dir_->write("big.json", big);
  const auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", "-u", "carol:carol-pw", "-H",
                       "Content-Type: application/json", "--data-binary", "@" + file, base_ + "/api/v1/rules"});
  EXPECT_EQ(r.out, "413");
}

TEST_F(AdminApi, PaginationAcross5000RowsHasNoDuplicatesOrGapsWhileRowsArrive) {
  const long now = static_cast<long>(std::time(nullptr));
  insert_rows("page-a", "pager", 2500, now - 60);
  insert_rows("page-b", "pager", 2500, now - 60);  // same timestamps: ties broken by (instance, seq)
  std::atomic<bool> stop{false};
  std::atomic<int> arrived{0};
  std::thread writer([&] {
    int seq = 100000;
    while (!stop) {
      insert_rows("page-live", "pager", 20, static_cast<long>(std::time(nullptr)) + 5, seq);
      seq += 20;
      arrived += 20;
    }
  });
  std::set<std::pair<std::string, long>> seen;
  std::size_t old_rows = 0, pages = 0;
  std::string cursor;
  std::string last_ts = "9999";
  for (;;) {
    const auto r = call("dave", "GET", "/api/v1/audit?user=pager&limit=137" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.json();
    ++pages;
    for (const auto& item : body.at("items").as_array()) {
      const std::string inst(item.at("instance").as_string());
      const std::string ts(item.at("ts").as_string());
      EXPECT_LE(ts, last_ts) << "not newest first";
      last_ts = ts;
      EXPECT_TRUE(seen.emplace(inst, item.at("seq").as_int64()).second) << "duplicate " << inst;
      if (inst != "page-live") ++old_rows;
    }
    if (body.at("next_cursor").is_null()) break;
    cursor = std::string(body.at("next_cursor").as_string());
  }
  stop = true;
  writer.join();
  std::cout << pages << " pages, " << old_rows << " old rows, " << arrived << " rows arrived meanwhile\n";
  EXPECT_EQ(old_rows, 5000u);  // every row present at the start, exactly once
  EXPECT_GT(arrived.load(), 0);
}

// EXPLAIN of a search as the API sends it: its values bound as parameters.
std::string explain(const audit::sql_statement& s) {
  auto conn = pg::connect(services_environment::postgres().owner_dsn()).value();
  pqxx::nontransaction tx(*conn);
  std::string plan;
  for (const auto& row : tx.exec_params("EXPLAIN " + s.text, pqxx::prepare::make_dynamic_params(s.params)))
    plan += row[0].as<std::string>() + "\n";
  return plan;
}

TEST_F(AdminApi, UserAndTimeSearchIsAnsweredFromTheIndexes) {
  insert_rows("explain", "explainer", 20000, static_cast<long>(std::time(nullptr)) - 7200);
  psql("ANALYZE audit_log");
  audit_filter f;
  f.user = "pager";
  f.from = std::chrono::system_clock::now() - std::chrono::hours(2);
  f.to = std::chrono::system_clock::now();
  const auto plan = explain(audit::audit_search_sql(f, std::nullopt, 100));
  std::cout << plan;
  EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
  EXPECT_NE(plan.find("audit_log_"), std::string::npos);
}

// Migration 0002 dropped the plain host index and keeps only refusals in the decision
// index: exact host and decision searches must still be index scans.
TEST_F(AdminApi, HostAndDecisionSearchesUseTheIndexesOf0002) {
  insert_rows("explain2", "planner", 20000, static_cast<long>(std::time(nullptr)) - 600);
  psql("ANALYZE audit_log");
  audit_filter by_host;
  by_host.host = "h7.example.com";
  const auto host_plan = explain(audit::audit_search_sql(by_host, std::nullopt, 100));
  EXPECT_EQ(host_plan.find("Seq Scan"), std::string::npos) << host_plan;
  EXPECT_NE(host_plan.find("reverse_ts_idx"), std::string::npos) << host_plan;
  audit_filter by_decision;
  by_decision.decision = "deny";
  const auto deny_plan = explain(audit::audit_search_sql(by_decision, std::nullopt, 100));
  EXPECT_EQ(deny_plan.find("Seq Scan"), std::string::npos) << deny_plan;
  EXPECT_NE(deny_plan.find("decision_ts_idx"), std::string::npos) << deny_plan;
  // The partial index holds no allowed row; the time index serves those.
  const auto allowed_in_index = psql(
      "SELECT count(*) FROM audit_log WHERE decision = 'allow' AND instance = 'explain2'");
  EXPECT_EQ(allowed_in_index, "18000\n");
  const auto partial = psql(
      "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'audit_log_%decision_ts%' "
      "AND indexdef LIKE '%WHERE (decision <> ''allow''::text)%'");
  EXPECT_NE(partial, "0\n") << partial;
  std::cout << host_plan << deny_plan;
}

TEST_F(AdminApi, HostSuffixClientNetworkAndDecisionFilters) {
  insert_rows("filters", "filterer", 300, static_cast<long>(std::time(nullptr)) - 30);
  auto items = call("dave", "GET", "/api/v1/audit?user=filterer&host=*.example.com&limit=1000").json().at("items");
  EXPECT_EQ(items.as_array().size(), 300u);
  items = call("dave", "GET", "/api/v1/audit?user=filterer&host=h7.example.com&limit=1000").json().at("items");
  EXPECT_EQ(items.as_array().size(), 6u);
  items = call("dave", "GET", "/api/v1/audit?user=filterer&decision=deny&status=403&limit=1000").json().at("items");
  EXPECT_EQ(items.as_array().size(), 30u);
  items = call("dave", "GET", "/api/v1/audit?user=filterer&client_ip=10.20.3.0/24&limit=1000").json().at("items");
  EXPECT_EQ(items.as_array().size(), 2u);  // g = 3 and g = 253
  for (const auto& i : items.as_array()) EXPECT_EQ(i.at("client_ip").as_string().subview().substr(0, 8), "10.20.3.");
  const auto top = call("dave", "GET", "/api/v1/stats/top?by=host&limit=3").json();
  EXPECT_EQ(top.at("items").as_array().size(), 3u);
}

TEST_F(AdminApi, Export200000RowsAsCsvWithFlatMemory) {
  insert_rows("export", "exporter", 200000, static_cast<long>(std::time(nullptr)) - 3 * 86400);
  const auto rss_before = tollgate::testing::current_rss_kib(getpid());
  tollgate::testing::temp_dir dir("admin-export");
  const auto out = dir.file("export.csv");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = tollgate::testing::run_command(
      {"curl", "-s", "--max-time", "300", "-u", "dave:dave-pw", "-o", out, "-w", "%{http_code}",
       base_ + "/api/v1/audit/export?format=csv&user=exporter"},
      std::chrono::seconds(320));
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;  // a transfer cut short would fail here (curl 18)
  EXPECT_EQ(r.out, "200");
  std::ifstream in(out);
  std::size_t lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  EXPECT_EQ(lines, 200001u);
  const auto rss_after = tollgate::testing::current_rss_kib(getpid());
  const auto peak = tollgate::testing::peak_rss_kib(getpid());
  std::cout << "export: 200000 rows in " << seconds << " s; server process RSS " << rss_before << " KiB before, "
            << rss_after << " KiB after, peak " << peak << " KiB\n";
  if (!tollgate::testing::address_sanitizer_build()) {
    EXPECT_LT(rss_after - rss_before, 64 * 1024) << "export memory should stay flat";
  }
}

TEST_F(AdminApi, VerifyRunsTheChainCheck) {
  insert_rows("forged", "forger", 3, static_cast<long>(std::time(nullptr)) - 10);
  const auto r = call("dave", "GET", "/api/v1/audit/verify");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = r.json();
  EXPECT_FALSE(body.at("intact").as_bool());  // forged hashes never verify
  bool found = false;
  for (const auto& i : body.at("instances").as_array()) {
    if (i.at("instance").as_string() != "forged") continue;
    found = true;
    EXPECT_FALSE(i.at("break").is_null());
  }
  EXPECT_TRUE(found) << r.body;
}

TEST_F(AdminApi, MetricsPassPromtool) {
  call("carol", "GET", "/api/v1/rules");  // some LDAP traffic first
  tollgate::testing::temp_dir dir("admin-metrics");
  const auto file = dir.file("metrics.txt");
  const auto r = curl({"-o", file, "-w", "%{http_code}", base_ + "/metrics"});
  EXPECT_EQ(r.out, "200");
  const auto promtool = tollgate::testing::find_program("promtool");
  if (promtool.empty()) {
    if (std::getenv("CI")) FAIL() << "promtool missing (Debian package prometheus)";
    GTEST_SKIP() << "promtool not installed";
  }
  const auto check = tollgate::testing::run_command({"sh", "-c", promtool + " check metrics < " + file});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err << tollgate::testing::read_file(file);
}

}  // namespace
}  // namespace tollgate::admin_api
