// `tollgate audit verify` end to end: the real binary, a real config file.
#include "audit_fixture.hpp"
#include "tollgate/testing/child_process.hpp"

namespace tollgate::audit::test {
namespace {

class verify_command_test : public audit_pg_test {
 protected:
  void SetUp() override {
    audit_pg_test::SetUp();
    if (IsSkipped()) return;
    // The command checks every chain in the database: start from an empty log so
    // chains other tests broke on purpose do not count.
    sql("TRUNCATE audit_log");
  }

  std::string config(const std::string& owner_dsn) {
    dir_->write("ldap-password", "service-secret\n");
    return dir_->write("tollgate.yaml",
                       "ldap:\n"
                       "  bind_dn: \"cn=tollgate,ou=services,dc=example,dc=com\"\n"
                       "  bind_password_file: " + dir_->file("ldap-password") + "\n"
                       "  user_base: \"ou=people,dc=example,dc=com\"\n"
                       "  group_base: \"ou=groups,dc=example,dc=com\"\n"
                       "postgres:\n"
                       "  dsn: \"" + pg().writer_dsn() + "\"\n"
                       "  admin_dsn: \"" + owner_dsn + "\"\n"
                       "audit:\n"
                       "  spool_dir: " + dir_->file("spool") + "\n"
                       "  signing_key_file: " + key_file_ + "\n"
                       "  checkpoint_file: " + checkpoint_file_ + "\n");
  }
  testing::command_result run(const std::string& file) {
    return testing::run_command({testing::tollgate_binary(), "audit", "verify", "--config", file});
  }
  void write_records(int n) {
    prometheus::Registry registry;
    auto sink = make_sink(sink_options(), registry);
    ASSERT_TRUE(sink);
    for (int i = 1; i <= n; ++i) sink->record(request(i));
    sink->stop();
  }
};

TEST_F(verify_command_test, intact_chains_exit_0) {
  write_records(20);
  const auto r = run(config(pg().owner_dsn()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("intact instance=" + instance_ + " records=20 last_seq=20"), std::string::npos) << r.out;
}

TEST_F(verify_command_test, broken_chain_exits_1_and_names_the_place) {
  write_records(20);
  sql("DELETE FROM audit_log WHERE instance = '" + instance_ + "' AND seq = 12");
  const auto r = run(config(pg().owner_dsn()));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("BROKEN instance=" + instance_ + " seq=12"), std::string::npos) << r.out;
}

TEST_F(verify_command_test, unreachable_database_exits_3) {
  const auto r = run(config("postgresql://tollgate@127.0.0.1:1/tollgate"));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("could not check"), std::string::npos) << r.err;
}

TEST_F(verify_command_test, bad_config_exits_2) {
  const auto r = run(dir_->write("bad.yaml", "postgres: [\n"));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

}  // namespace
}  // namespace tollgate::audit::test
