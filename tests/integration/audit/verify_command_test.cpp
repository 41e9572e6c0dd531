// `tollgate audit verify` end to end: the real binary, a real config file.
#include "audit_fixture.hpp"
#include "tollgate/audit/checkpoint.hpp"
#include "tollgate/audit/retention_record.hpp"
#include "tollgate/audit/table_upkeep.hpp"
#include "tollgate/testing/child_process.hpp"

namespace tollgate::audit::test {
namespace {

class verify_command_test : public audit_pg_test {
 protected:
  void SetUp() override {
    audit_pg_test::SetUp();
    if (IsSkipped()) return;
    // The command checks every chain in the database: start from an empty log so
    // chains other tests broke on purpose do not count, nor retention records
    // other tests signed with their own keys (or forged).
    sql("TRUNCATE audit_log");
    sql("DELETE FROM admin_actions WHERE action = 'audit.retention.drop_partition'");
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

// Retention may excuse missing rows only at the start of a chain and only with a
// record the audit key signed. The database owner can write audit_log and
// admin_actions alike; each test tampers as that owner and adds a retention
// record that would cover the tampering, and the command must still exit 1.
//
// The chain: seqs 1..20 dated last month, 21..50 now; checkpoints at 30 and 50.
class retention_verify_test : public verify_command_test {
 protected:
  void SetUp() override {
    verify_command_test::SetUp();
    if (IsSkipped()) return;
    sql("SELECT audit_ensure_partition(now() - interval '1 month')");  // another test may have dropped it
    month_from_now(-1, &last_month_);
    auto o = sink_options();
    o.checkpoint_every = 1000;  // a checkpoint at each stop only
    const auto old_ts = month_from_now(-1);
    for (const auto& [from, to] : {std::pair{1, 30}, std::pair{31, 50}}) {
      prometheus::Registry registry;
      auto sink = make_sink(o, registry);
      ASSERT_TRUE(sink);
      for (int i = from; i <= to; ++i) {
        auto r = request(i);
        if (i <= 20) r.ts = old_ts + std::chrono::seconds(i);
        sink->record(std::move(r));
      }
      sink->stop();
    }
    ASSERT_EQ(rows(), 50);
    config_ = config(pg().owner_dsn());
  }
  void TearDown() override {
    if (!IsSkipped()) sql("SELECT audit_ensure_partition(now() - interval '1 month')");
  }

  std::string where(const std::string& cond) { return " WHERE instance = '" + instance_ + "' AND " + cond; }
  std::string hash_hex(int seq) { return sql("SELECT encode(hash, 'hex') FROM audit_log" + where("seq = " + std::to_string(seq))); }

  // The retention run Tollgate makes a month from now: last month's partition goes.
  void honest_drop() {
    const auto signer = checkpoint_signer::load(key_file_).value();
    ASSERT_TRUE(signer);
    const auto report = run_table_upkeep(pg().owner_dsn(), 1, month_from_now(1) - std::chrono::hours(12), signer.get());
    ASSERT_EQ(report.dropped, std::vector<std::string>{"audit_log_" + last_month_});
  }
  // A record claiming seqs from..to of this chain were dropped, as the owner would
  // write it; `signer` null leaves the signature empty.
  retention_record claim(std::int64_t from, std::int64_t to, const std::string& last_hash_hex) {
    retention_record r{"audit_log_" + last_month_, 1, month_from_now(0), {}, {}};
    retained_chain c{instance_, from, to, to - from + 1, {}};
    from_hex(last_hash_hex, c.last_hash);
    r.chains.push_back(std::move(c));
    return r;
  }
  void insert_record(const retention_record& r) {
    sql("INSERT INTO admin_actions (actor, role, action, target, before) VALUES ('tollgate', 'system', "
        "'audit.retention.drop_partition', '" + r.partition + "', '" + to_json_text(r) + "'::jsonb)");
  }
  // Signed with a key the attacker made: the right form, the wrong key.
  void forge(retention_record r) {
    const auto own = checkpoint_signer::from_pem(generate_ed25519_pem()).value();
    ASSERT_TRUE(own);
    r.signature = own->sign_message(retention_message(r));
    insert_record(r);
  }
  // Exit 1 with this chain broken at `seq`.
  void expect_broken_at(std::int64_t seq) {
    const auto r = run(config_);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("BROKEN instance=" + instance_ + " seq=" + std::to_string(seq) + ":"), std::string::npos)
        << r.out;
  }

  std::string last_month_;
  std::string config_;
};

TEST_F(retention_verify_test, an_honest_signed_drop_of_the_chain_start_is_intact) {
  honest_drop();
  EXPECT_EQ(rows(), 30);
  const auto r = run(config_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("intact instance=" + instance_ + " records=30 last_seq=50"), std::string::npos) << r.out;
}

TEST_F(retention_verify_test, rows_deleted_from_the_middle_stay_a_break_whatever_admin_actions_says) {
  sql("DELETE FROM audit_log" + where("seq BETWEEN 35 AND 39"));
  auto unsigned_claim = claim(35, 39, hash_hex(34));
  insert_record(unsigned_claim);  // the format older versions wrote: no signature
  forge(unsigned_claim);
  expect_broken_at(35);
  const auto r = run(config_);
  EXPECT_NE(r.out.find("is not signed with the audit key"), std::string::npos) << r.out;
}

TEST_F(retention_verify_test, a_deleted_chain_start_with_a_forged_record_is_a_break) {
  const auto last = hash_hex(20);
  sql("DELETE FROM audit_log" + where("seq <= 20"));
  forge(claim(1, 20, last));
  expect_broken_at(1);
}

TEST_F(retention_verify_test, a_changed_row_with_a_forged_record_over_it_is_a_break) {
  forge(claim(1, 25, hash_hex(25)));
  sql("UPDATE audit_log SET host = 'innocent.example.com'" + where("seq = 25"));
  expect_broken_at(25);
}

TEST_F(retention_verify_test, reordered_rows_with_a_forged_record_over_them_are_a_break) {
  forge(claim(1, 31, hash_hex(31)));
  sql("BEGIN; UPDATE audit_log SET seq = -30" + where("seq = 30") + "; UPDATE audit_log SET seq = 30" +
      where("seq = 31") + "; UPDATE audit_log SET seq = 31" + where("seq = -30") + "; COMMIT;");
  expect_broken_at(30);
}

TEST_F(retention_verify_test, a_truncated_end_with_a_forged_record_is_a_break) {
  forge(claim(41, 50, hash_hex(50)));
  sql("DELETE FROM audit_log" + where("seq > 40"));
  expect_broken_at(41);
}

TEST_F(retention_verify_test, a_wholly_truncated_chain_with_a_forged_record_is_a_break) {
  forge(claim(1, 50, hash_hex(50)));
  sql("DELETE FROM audit_log" + where("true"));
  expect_broken_at(1);
}

TEST_F(retention_verify_test, rows_deleted_just_after_an_honest_drop_are_a_break) {
  honest_drop();
  sql("DELETE FROM audit_log" + where("seq BETWEEN 21 AND 25"));
  expect_broken_at(21);
}

TEST_F(retention_verify_test, a_signed_record_stretched_over_deleted_rows_no_longer_verifies) {
  honest_drop();
  const auto signed_text = sql("SELECT before::text FROM admin_actions WHERE action = 'audit.retention.drop_partition'");
  auto stretched = parse_retention_record(signed_text);
  ASSERT_TRUE(stretched) << signed_text;
  ASSERT_EQ(stretched->chains.size(), 1u);
  stretched->chains[0].max_seq = 25;
  stretched->chains[0].rows = 25;
  from_hex(hash_hex(25), stretched->chains[0].last_hash);
  sql("DELETE FROM audit_log" + where("seq BETWEEN 21 AND 25"));
  insert_record(*stretched);  // the genuine signature, over other numbers
  expect_broken_at(21);
}

TEST_F(retention_verify_test, recent_rows_moved_into_an_expiring_month_are_caught_by_their_checkpoint) {
  // The owner dates seqs 21..30 back into last month, so Tollgate's own retention
  // run drops and signs them; the checkpoint signed for seq 30 today says they
  // were written after the retention cutoff.
  sql("UPDATE audit_log SET ts = ts - interval '1 month'" + where("seq BETWEEN 21 AND 30"));
  honest_drop();
  EXPECT_EQ(rows(), 20);
  expect_broken_at(30);
  const auto r = run(config_);
  EXPECT_NE(r.out.find("newer than the retention cutoff"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tollgate::audit::test
