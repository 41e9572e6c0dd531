// Cursor codec, RFC 3339 times and query-string parsing (the audit SQL is audit's: tests/unit/audit).
#include "cursor.hpp"

#include "query_params.hpp"
#include "record_format.hpp"
#include "time_format.hpp"

#include <gtest/gtest.h>

namespace tollgate::admin_api {
namespace {

TEST(Cursor, RoundTrips) {
  const audit_cursor c{1'700'000'000'123'456, "proxy-1|eu", 42};
  const auto text = encode_cursor(c);
  EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(decode_cursor(text), c);
}

TEST(Cursor, RefusesJunkAndTampering) {
  EXPECT_FALSE(decode_cursor(""));
  EXPECT_FALSE(decode_cursor("not base64!"));
  EXPECT_FALSE(decode_cursor(base64url_encode("2|1|2|x")));   // unknown version
  EXPECT_FALSE(decode_cursor(base64url_encode("1|1|x|a")));   // seq not a number
  EXPECT_FALSE(decode_cursor(base64url_encode("1|1|2|")));    // no instance
  EXPECT_FALSE(decode_cursor(base64url_encode("1|1|2")));
  EXPECT_FALSE(decode_cursor(base64url_encode("1|99999999999999999999|2|a")));  // overflow
  EXPECT_FALSE(decode_cursor(base64url_encode(std::string("1|1|2|a\nb"))));
  EXPECT_FALSE(decode_cursor(std::string(2000, 'A')));
  auto text = encode_cursor({1, "a", 2});
  text.back() = text.back() == 'A' ? 'B' : 'A';
  EXPECT_NE(decode_cursor(text), (audit_cursor{1, "a", 2}));
}

TEST(Base64url, NonCanonicalTrailingBitsAreRefused) {
  EXPECT_EQ(base64url_decode("YQ"), "a");
  EXPECT_FALSE(base64url_decode("YR"));
  EXPECT_FALSE(base64url_decode("Y"));
}

TEST(Rfc3339, ParsesOffsetsAndFractions) {
  const auto t = parse_rfc3339("2024-05-01T12:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_unix_micros(*t), 1'714'564'800'000'000);
  EXPECT_EQ(parse_rfc3339("2024-05-01T14:00:00+02:00"), t);
  EXPECT_EQ(to_unix_micros(*parse_rfc3339("2024-05-01t12:00:00.5z")), 1'714'564'800'500'000);
  EXPECT_EQ(to_unix_micros(*parse_rfc3339("2024-05-01T12:00:00.123456789Z")), 1'714'564'800'123'456);
  EXPECT_TRUE(parse_rfc3339("2024-02-29T00:00:00Z"));
}

TEST(Rfc3339, RefusesEverythingElse) {
  for (const char* bad : {"", "2024-05-01", "2024-05-01T12:00:00", "2024-05-01 12:00:00Z", "2023-02-29T00:00:00Z",
                          "2024-13-01T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:00:00+2:00",
                          "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00Zjunk", "yesterday", "1714564800"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(Rfc3339, YearsOutsideTheClocksRangeAreRefused) {
  // Regression (fuzz_admin_input): "from=1592-05-01T00:00:00Z" overflowed system_clock.
  EXPECT_FALSE(parse_rfc3339("1592-05-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_rfc3339("1969-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_rfc3339("1970-01-01T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2200-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_audit_params("from=1592-05-01T00:00:00Z", false));
}

TEST(AuditParams, QueryIsReadWithinItsBounds) {
  // Regression (fuzz_admin_input under ASan): the query was handed to Boost.URL, which
  // read past the view; a view into a longer buffer must parse as its own bytes only.
  const std::string buffer = "by=host&limit=5&user=mallory";
  const auto p = parse_top_params(std::string_view(buffer).substr(0, 15), std::chrono::system_clock::now());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->limit, 5U);
  EXPECT_FALSE(parse_audit_params(std::string("user=a\0b", 8), false));
}

TEST(Rfc3339, FormatsUtcWithMicroseconds) {
  EXPECT_EQ(format_rfc3339(from_unix_micros(1'714'564'800'000'001)), "2024-05-01T12:00:00.000001Z");
  EXPECT_EQ(format_rfc3339(from_unix_micros(-1)), "1969-12-31T23:59:59.999999Z");
}

TEST(AuditParams, ReadsEveryFilter) {
  const auto p = parse_audit_params(
      "user=alice&host=*.Example.COM&decision=deny&status=403&client_ip=10.1.2.3/8&from=2024-05-01T00:00:00Z"
      "&to=2024-05-02T00:00:00Z&limit=1000",
      false);
  ASSERT_TRUE(p) << p.error().field << ": " << p.error().message;
  EXPECT_EQ(p->filter.user, "alice");
  EXPECT_EQ(p->filter.host_suffix, ".example.com");
  EXPECT_FALSE(p->filter.host);
  EXPECT_EQ(p->filter.decision, "deny");
  EXPECT_EQ(p->filter.status, 403);
  EXPECT_EQ(p->filter.client_net, "10.0.0.0/8");
  EXPECT_TRUE(p->filter.from && p->filter.to);
  EXPECT_EQ(p->limit, 1000u);
}

TEST(AuditParams, DecodesPercentAndPlus) {
  const auto p = parse_audit_params("user=j%C3%B6rg+m&host=EXAMPLE.com", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->filter.user, "j\xc3\xb6rg m");
  EXPECT_EQ(p->filter.host, "example.com");
}

TEST(AuditParams, DefaultsAndFormat) {
  const auto p = parse_audit_params("", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->limit, 100u);
  EXPECT_FALSE(p->cursor);
  const auto e = parse_audit_params("format=csv&user=bob", true);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->format, export_format::csv);
}

struct bad_query {
  const char* query;
  bool for_export;
  const char* field;
  const char* code;
};

class AuditParamsRefuse : public ::testing::TestWithParam<bad_query> {};

TEST_P(AuditParamsRefuse, NamingTheField) {
  const auto& b = GetParam();
  const auto p = parse_audit_params(b.query, b.for_export);
  ASSERT_FALSE(p) << b.query;
  EXPECT_EQ(p.error().field, b.field) << b.query;
  EXPECT_EQ(p.error().code, b.code) << b.query;
}

INSTANTIATE_TEST_SUITE_P(
    Queries, AuditParamsRefuse,
    ::testing::Values(bad_query{"usr=alice", false, "usr", "bad_parameter"},
                      bad_query{"user=a&user=b", false, "user", "bad_parameter"},
                      bad_query{"limit=0", false, "limit", "bad_parameter"},
                      bad_query{"limit=1001", false, "limit", "bad_parameter"},
                      bad_query{"limit=ten", false, "limit", "bad_parameter"},
                      bad_query{"limit=-5", false, "limit", "bad_parameter"},
                      bad_query{"from=yesterday", false, "from", "bad_parameter"},
                      bad_query{"to=2024-05-01", false, "to", "bad_parameter"},
                      bad_query{"from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z", false, "from", "bad_parameter"},
                      bad_query{"decision=maybe", false, "decision", "bad_parameter"},
                      bad_query{"status=42", false, "status", "bad_parameter"},
                      bad_query{"client_ip=10.0.0.300", false, "client_ip", "bad_parameter"},
                      bad_query{"client_ip=10.0.0.0/33", false, "client_ip", "bad_parameter"},
                      bad_query{"host=*.10.0.0.1", false, "host", "bad_parameter"},
                      bad_query{"host=exa%20mple.com", false, "host", "bad_parameter"},
                      bad_query{"cursor=%%%", false, "", "bad_parameter"},
                      bad_query{"cursor=garbage", false, "cursor", "bad_cursor"},
                      bad_query{"format=xml", true, "format", "bad_parameter"},
                      bad_query{"limit=10", true, "limit", "bad_parameter"},
                      bad_query{"format=csv", false, "format", "bad_parameter"}));

TEST(TopParams, DefaultsToTheLastDay) {
  const auto now = from_unix_micros(1'714'564'800'000'000);
  const auto p = parse_top_params("by=host", now);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->by, top_by::host);
  EXPECT_EQ(p->to, now);
  EXPECT_EQ(p->to - p->from, std::chrono::hours(24));
  EXPECT_EQ(p->limit, 10u);
  EXPECT_EQ(parse_top_params("", now).error().field, "by");
  EXPECT_EQ(parse_top_params("by=group", now).error().field, "by");
  EXPECT_EQ(parse_top_params("by=user&from=x", now).error().field, "from");
}

TEST(RefuseParams, AnyParameterIsAnError) {
  EXPECT_FALSE(refuse_params(""));
  ASSERT_TRUE(refuse_params("x=1"));
  EXPECT_EQ(refuse_params("x=1")->field, "x");
}

// CSV injection (OWASP): a cell a spreadsheet would evaluate is written as text.
std::string csv_of(const std::string& user_agent) {
  audit::audit_record r;
  r.user_agent = user_agent;
  std::string out;
  append_csv(out, std::span(&r, 1));
  return out;
}

TEST(CsvExport, CellsThatWouldRunAsFormulasGetALeadingQuoteInsideQuotes) {
  EXPECT_NE(csv_of("=HYPERLINK(\"http://x/\",\"y\")").find(",\"'=HYPERLINK(\"\"http://x/\"\",\"\"y\"\")\","),
            std::string::npos);
  for (const std::string lead : {"+", "-", "@", "\t", "\r"})
    EXPECT_NE(csv_of(lead + "1+1").find(",\"'" + lead + "1+1\","), std::string::npos) << csv_of(lead + "1+1");
}

TEST(CsvExport, OrdinaryCellsStayAsTheyAre) {
  EXPECT_NE(csv_of("curl/8.1").find(",curl/8.1,"), std::string::npos);
  EXPECT_NE(csv_of("a=b, c").find(",\"a=b, c\","), std::string::npos);  // quoted for the comma only
}

}  // namespace
}  // namespace tollgate::admin_api
