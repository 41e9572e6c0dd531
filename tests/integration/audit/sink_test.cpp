#include "tollgate/audit/pg_audit_sink.hpp"

#include "audit_fixture.hpp"
#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/checkpoint.hpp"

#include <thread>

namespace tollgate::audit::test {
namespace {

TEST_F(audit_pg_test, every_record_becomes_exactly_one_row_with_its_fields) {
  prometheus::Registry registry;
  auto sink = make_sink(sink_options(), registry);
  ASSERT_TRUE(sink);
  constexpr int n = 1200;
  for (int i = 1; i <= n; ++i) sink->record(request(i));
  sink->stop();

  EXPECT_EQ(rows(), n);
  EXPECT_EQ(sql("SELECT count(DISTINCT seq) FROM audit_log WHERE instance = '" + instance_ + "'"), std::to_string(n));
  EXPECT_EQ(metric(registry, "tollgate_audit_records_written_total"), n);
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
  EXPECT_EQ(metric(registry, "tollgate_audit_records_spooled_total"), 0);

  // One producer: seq k is request(k).
  const auto row = [&](int seq, const std::string& cols) {
    return sql("SELECT " + cols + " FROM audit_log WHERE instance = '" + instance_ + "' AND seq = " +
               std::to_string(seq));
  };
  EXPECT_EQ(row(7, "host || ' ' || host(client_ip) || ' ' || client_port || ' ' || username"),
            "h7.example.com 2001:db8::7 30007 bob");
  EXPECT_EQ(row(7, "array_to_string(groups, '|')"), "engineering|quote\"and\\slash|x,y {z}");
  EXPECT_EQ(row(7, "path"), "/p/7\ttab");
  EXPECT_EQ(row(7, "user_agent"), "ua/\xEF\xBF\xBD" "7");
  EXPECT_EQ(row(10, "event || ' ' || method || ' ' || scheme || ' ' || port || ' ' || coalesce(path, 'NULL')"),
            "tunnel_open CONNECT https 443 NULL");
  EXPECT_EQ(row(9, "decision || ' ' || status || ' ' || coalesce(upstream_ip::text, 'NULL') || ' ' || rule_id"),
            "deny 403 NULL 9");
  EXPECT_EQ(row(8, "coalesce(rule_id::text, 'NULL') || ' ' || policy_version || ' ' || bytes_up || ' ' || "
                   "bytes_down || ' ' || duration_us"),
            "NULL 2 8 80 777");
  EXPECT_EQ(row(12, "would_rule_id"), "42");
  EXPECT_EQ(row(1, "encode(prev_hash, 'hex')"), std::string(64, '0'));
  EXPECT_EQ(row(2, "prev_hash = (SELECT hash FROM audit_log WHERE instance = '" + instance_ + "' AND seq = 1)"), "t");

  const auto report = verify_mine();
  EXPECT_FALSE(report.broken) << report.broken->seq << ": " << report.broken->reason;
  EXPECT_EQ(report.records, static_cast<std::uint64_t>(n));
  EXPECT_EQ(report.last_seq, n);
}

// The writer formats COPY text itself: whatever a client sent must arrive as sent
// (after sanitizing), never shift a column or start a forged row, and hash the same.
TEST_F(audit_pg_test, copy_escapes_keep_every_byte_in_its_field) {
  prometheus::Registry registry;
  auto sink = make_sink(sink_options(), registry);
  ASSERT_TRUE(sink);
  auto r = request(1);
  r.user_agent = "a\tb\nc\rd\\e \xC3\xA9 \\N \\. end";
  r.path = "/p\n2023-01-01 00:00:00+00\tforged\t1";
  r.error = "line1\r\nline2\\";
  r.groups = {"q\"uote", "back\\slash", "tab\there", "new\nline"};
  sink->record(r);
  for (int i = 2; i <= 300; ++i) sink->record(request(i));  // more than one 64 KiB piece
  sink->stop();

  EXPECT_EQ(rows(), 300);
  const auto field = [&](const std::string& expr) {
    return sql("SELECT encode(convert_to(" + expr + ", 'UTF8'), 'hex') FROM audit_log WHERE instance = '" +
               instance_ + "' AND seq = 1");
  };
  const auto hex = [](const std::string& s) { return to_hex({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}); };
  EXPECT_EQ(field("user_agent"), hex(r.user_agent));
  EXPECT_EQ(field("path"), hex(r.path));
  EXPECT_EQ(field("error"), hex(r.error));
  EXPECT_EQ(field("array_to_string(groups, '|')"), hex("q\"uote|back\\slash|tab\there|new\nline"));
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE instance = '" + instance_ + "' AND path LIKE '%forged%'"), "1");

  const auto report = verify_mine();
  EXPECT_FALSE(report.broken) << report.broken->seq << ": " << report.broken->reason;
  EXPECT_EQ(report.records, 300u);
}

TEST_F(audit_pg_test, many_producers_lose_nothing) {
  prometheus::Registry registry;
  auto sink = make_sink(sink_options(), registry);
  ASSERT_TRUE(sink);
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t)
    producers.emplace_back([&, t] {
      for (int i = 0; i < 2500; ++i) sink->record(request(t * 10000 + i));
    });
  for (auto& p : producers) p.join();
  sink->stop();
  EXPECT_EQ(rows(), 10000);
  EXPECT_EQ(metric(registry, "tollgate_audit_records_lost_total"), 0);
  EXPECT_FALSE(verify_mine().broken);
}

TEST_F(audit_pg_test, checkpoints_are_signed_every_n_records_and_at_shutdown) {
  prometheus::Registry registry;
  auto o = sink_options();
  o.batch_max = 50;
  auto sink = make_sink(o, registry);
  ASSERT_TRUE(sink);
  for (int i = 1; i <= 430; ++i) {
    sink->record(request(i));
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  sink->stop();
  const auto content = read_checkpoints(checkpoint_file_);
  ASSERT_GE(content.checkpoints.size(), 4u);
  EXPECT_TRUE(content.bad_lines.empty());
  EXPECT_EQ(content.checkpoints.back().seq, 430);
  const auto verifier = checkpoint_verifier::load(key_file_).value();
  ASSERT_TRUE(verifier);
  for (const auto& c : content.checkpoints) {
    EXPECT_TRUE(verifier->verify(c));
    EXPECT_EQ(c.instance, instance_);
    EXPECT_EQ(sql("SELECT encode(hash, 'hex') FROM audit_log WHERE instance = '" + instance_ +
                  "' AND seq = " + std::to_string(c.seq)),
              to_hex(c.hash));
  }
}

TEST_F(audit_pg_test, chain_continues_after_a_restart) {
  {
    prometheus::Registry registry;
    auto sink = make_sink(sink_options(), registry);
    ASSERT_TRUE(sink);
    for (int i = 1; i <= 100; ++i) sink->record(request(i));
  }  // destructor drains and stops
  // A fresh spool folder: the chain head must come from PostgreSQL.
  auto o = sink_options();
  o.spool_dir = dir_->file("spool-2");
  prometheus::Registry registry;
  auto sink = make_sink(o, registry);
  ASSERT_TRUE(sink);
  for (int i = 101; i <= 150; ++i) sink->record(request(i));
  sink->stop();
  EXPECT_EQ(rows(), 150);
  const auto report = verify_mine();
  EXPECT_FALSE(report.broken) << report.broken->seq << ": " << report.broken->reason;
  EXPECT_EQ(report.last_seq, 150);
}

TEST_F(audit_pg_test, writer_role_may_not_update_or_delete) {
  prometheus::Registry registry;
  auto sink = make_sink(sink_options(), registry);
  ASSERT_TRUE(sink);
  sink->record(request(1));
  sink->stop();
  ASSERT_EQ(rows(), 1);
  try {
    sql("UPDATE audit_log SET status = 200 WHERE instance = '" + instance_ + "'", "tollgate_writer");
    ADD_FAILURE() << "UPDATE as tollgate_writer was allowed";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("permission denied"), std::string::npos) << e.what();
  }
  try {
    sql("DELETE FROM audit_log WHERE instance = '" + instance_ + "'", "tollgate_writer");
    ADD_FAILURE() << "DELETE as tollgate_writer was allowed";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("permission denied"), std::string::npos) << e.what();
  }
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE instance = '" + instance_ + "'", "tollgate_writer"), "1");
}

}  // namespace
}  // namespace tollgate::audit::test
