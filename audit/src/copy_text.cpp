#include "copy_text.hpp"

#include "tollgate/audit/canonical.hpp"

#include <charconv>
#include <chrono>

namespace tollgate::audit {
namespace {

// COPY text needs a backslash before backslash, newline, carriage return and the
// delimiter (tab); every other byte of valid UTF-8 may stand as it is.
void put_escaped(std::string& out, char c) {
  switch (c) {
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default: out.push_back(c);
  }
}

void put_text(std::string& out, std::string_view s) {
  std::size_t plain_from = 0;  // runs without a special byte are appended whole
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
      out.append(s.data() + plain_from, i - plain_from);
      put_escaped(out, c);
      plain_from = i + 1;
    }
  }
  out.append(s.data() + plain_from, s.size() - plain_from);
}

void put_nullable(std::string& out, std::string_view s) {
  if (s.empty()) out += "\\N";
  else put_text(out, s);
}

template <typename Int>
void put_int(std::string& out, Int v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void put_optional(std::string& out, const std::optional<std::int64_t>& v) {
  if (v) put_int(out, *v);
  else out += "\\N";
}

// A text[] literal, {"a","b"} with `"` and `\` escaped for the array parser, then
// escaped again for COPY.
void put_text_array(std::string& out, const std::vector<std::string>& items) {
  out.push_back('{');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (const char c : items[i]) {
      if (c == '"' || c == '\\') put_escaped(out, '\\');
      put_escaped(out, c);
    }
    out.push_back('"');
  }
  out.push_back('}');
}

// bytea in hex form, `\x...`; the backslash doubled for COPY.
void put_bytea(std::string& out, const std::vector<std::uint8_t>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\\\x";
  for (const auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
}

// Zero-padded decimal of fixed width.
void put_fixed(std::string& out, long long v, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

}  // namespace

// Calendar arithmetic instead of gmtime_r, which takes glibc's time-zone lock on
// every call: this runs once per audit record.
void append_timestamptz(std::string& out, std::int64_t us) {
  using namespace std::chrono;
  const sys_time<microseconds> t{microseconds{us}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> time{t - day};
  put_fixed(out, static_cast<int>(ymd.year()), 4);
  out.push_back('-');
  put_fixed(out, static_cast<unsigned>(ymd.month()), 2);
  out.push_back('-');
  put_fixed(out, static_cast<unsigned>(ymd.day()), 2);
  out.push_back(' ');
  put_fixed(out, time.hours().count(), 2);
  out.push_back(':');
  put_fixed(out, time.minutes().count(), 2);
  out.push_back(':');
  put_fixed(out, time.seconds().count(), 2);
  out.push_back('.');
  put_fixed(out, time.subseconds().count(), 6);
  out += "+00";
}

const std::vector<std::string>& audit_copy_columns() {
  static const std::vector<std::string> c = {
      "ts",          "instance",   "seq",      "event",          "client_ip", "client_port", "username",
      "groups",      "method",     "scheme",   "host",           "port",      "path",        "status",
      "decision",    "rule_id",    "would_rule_id", "policy_version", "bytes_up", "bytes_down", "duration_us",
      "upstream_ip", "user_agent", "error",    "prev_hash",      "hash"};
  return c;
}

void append_copy_line(std::string& out, const audit_record& r) {
  const auto tab = [&out] { out.push_back('\t'); };
  append_timestamptz(out, to_unix_micros(r.ts));
  tab(); put_text(out, r.instance);
  tab(); put_int(out, r.seq);
  tab(); out += to_string(r.event);
  tab(); put_nullable(out, r.client_ip);
  tab(); put_int(out, r.client_port);
  tab(); put_nullable(out, r.username);
  tab(); put_text_array(out, r.groups);
  tab(); put_nullable(out, r.method);
  tab(); put_nullable(out, r.scheme);
  tab(); put_nullable(out, r.host);
  tab(); put_int(out, r.port);
  tab(); put_nullable(out, r.path);
  tab(); put_int(out, r.status);
  tab(); put_text(out, r.decision);
  tab(); put_optional(out, r.rule_id);
  tab(); put_optional(out, r.would_rule_id);
  tab(); put_int(out, r.policy_version);
  // bigint columns; sanitize has clamped the unsigned counters into range.
  tab(); put_int(out, static_cast<std::int64_t>(r.bytes_up));
  tab(); put_int(out, static_cast<std::int64_t>(r.bytes_down));
  tab(); put_int(out, static_cast<std::int64_t>(r.duration_us));
  tab(); put_nullable(out, r.upstream_ip);
  tab(); put_nullable(out, r.user_agent);
  tab(); put_nullable(out, r.error);
  tab(); put_bytea(out, r.prev_hash);
  tab(); put_bytea(out, r.hash);
  out.push_back('\n');
}

std::string format_timestamptz(std::int64_t us) {
  std::string out;
  append_timestamptz(out, us);
  return out;
}

}  // namespace tollgate::audit
