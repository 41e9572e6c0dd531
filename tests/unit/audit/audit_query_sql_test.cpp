// The admin API's audit queries: values are bound as parameters, never spliced into
// the SQL, and every condition keeps the indexed expression.
#include "audit_query_sql.hpp"

#include "tollgate/audit/canonical.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace tollgate::audit {
namespace {

bool has(const sql_statement& s, std::string_view text) { return s.text.find(text) != std::string::npos; }

TEST(AuditSql, UsesTheIndexedExpressionsWithBoundValues) {
  audit_filter f;
  f.user = "o'brien";
  f.host_suffix = ".ex_ample.com";
  f.client_net = "10.0.0.0/8";
  const auto sql = audit_search_sql(f, audit_cursor{5, "inst", 9}, 100);
  EXPECT_TRUE(has(sql, "username = $1")) << sql.text;
  EXPECT_TRUE(has(sql, "reverse(host) LIKE $2")) << sql.text;
  EXPECT_TRUE(has(sql, "client_ip <<= $3::inet")) << sql.text;
  EXPECT_TRUE(has(sql, "ts <= (timestamptz 'epoch' + $4::bigint * interval '1 microsecond')")) << sql.text;
  EXPECT_TRUE(has(sql, "(instance, seq) > ($5::text, $6::bigint)")) << sql.text;
  EXPECT_TRUE(has(sql, "ORDER BY ts DESC, instance, seq LIMIT $7::bigint")) << sql.text;
  EXPECT_FALSE(has(sql, "OFFSET"));
  EXPECT_EQ(sql.params,
            (std::vector<std::string>{"o'brien", "moc.elpma\\_xe.%", "10.0.0.0/8", "5", "inst", "9", "101"}));
}

TEST(AuditSql, NoValueAppearsInTheText) {
  audit_filter f;
  f.user = "x' OR '1'='1";
  f.decision = "deny";
  f.status = 403;
  const auto sql = audit_search_sql(f, std::nullopt, 10);
  for (const auto& p : sql.params) EXPECT_FALSE(has(sql, p)) << p << " in " << sql.text;
}

TEST(AuditSql, ExactHostGoesThroughTheReversedHostIndex) {
  audit_filter f;
  f.host = "h'7.example.com";
  std::vector<std::string> params;
  EXPECT_EQ(audit_where(f, std::nullopt, params), " WHERE reverse(host) = reverse($1::text)");
  EXPECT_EQ(params, std::vector<std::string>{"h'7.example.com"});
}

TEST(AuditSql, ASingleAddressIsAnEquality) {
  audit_filter f;
  f.client_net = "10.1.2.3";
  std::vector<std::string> params;
  EXPECT_EQ(audit_where(f, std::nullopt, params), " WHERE client_ip = $1::inet");
}

TEST(AuditSql, NoFilterMeansNoWhere) {
  std::vector<std::string> params;
  EXPECT_EQ(audit_where({}, std::nullopt, params), "");
  EXPECT_TRUE(params.empty());
  const auto all = audit_export_sql({});
  EXPECT_FALSE(has(all, "WHERE"));
  EXPECT_TRUE(all.params.empty());
}

TEST(AuditSql, TopBindsTheWindowAndLimit) {
  const auto sql = audit_top_sql(top_by::host, from_unix_micros(1), from_unix_micros(2), 10);
  EXPECT_TRUE(has(sql, "SELECT host AS key")) << sql.text;
  EXPECT_TRUE(has(sql, "GROUP BY host ORDER BY requests DESC, key LIMIT $3::bigint")) << sql.text;
  EXPECT_EQ(sql.params, (std::vector<std::string>{"1", "2", "10"}));
}

TEST(AuditSql, ReversedSuffixEscapesLikeWildcards) {
  EXPECT_EQ(reversed_suffix_pattern(".a%b"), "b\\%a.%");
}

}  // namespace
}  // namespace tollgate::audit
