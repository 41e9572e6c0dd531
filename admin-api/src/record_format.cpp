#include "record_format.hpp"

#include "time_format.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <array>

namespace tollgate::admin_api {

namespace {

std::string hex(const std::vector<std::uint8_t>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

boost::json::value text_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return boost::json::value(s);
}

template <class T>
boost::json::value optional_or_null(const std::optional<T>& v) {
  if (!v) return nullptr;
  return boost::json::value(*v);
}

constexpr std::array csv_columns{"ts",          "instance",      "seq",       "event",      "client_ip",
                                 "client_port", "username",      "groups",    "method",     "scheme",
                                 "host",        "port",          "path",      "status",     "decision",
                                 "rule_id",     "would_rule_id", "policy_version", "bytes_up", "bytes_down",
                                 "duration_us", "upstream_ip",   "user_agent", "error",     "hash"};

// A cell a spreadsheet would run as a formula (a User-Agent of "=HYPERLINK(...)" is
// the client's to choose): OWASP's CSV injection advice, a leading single quote
// inside a quoted cell, so the cell shows as text and a careful reader sees the quote.
bool formula_like(std::string_view v) {
  return !v.empty() && std::string_view("=+-@\t\r").find(v.front()) != std::string_view::npos;
}

void csv_field(std::string& out, std::string_view v) {
  const bool formula = formula_like(v);
  if (!formula && v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += v;
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (const char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

template <class T>
std::string optional_text(const std::optional<T>& v) {
  return v ? std::to_string(*v) : std::string();
}

}  // namespace

boost::json::object record_to_json(const audit::audit_record& r) {
  boost::json::object o;
  o["ts"] = format_rfc3339(r.ts);
  o["instance"] = r.instance;
  o["seq"] = r.seq;
  o["event"] = audit::to_string(r.event);
  o["client_ip"] = text_or_null(r.client_ip);
  o["client_port"] = r.client_port;
  o["username"] = text_or_null(r.username);
  boost::json::array groups;
  for (const auto& g : r.groups) groups.emplace_back(g);
  o["groups"] = std::move(groups);
  o["method"] = r.method;
  o["scheme"] = r.scheme;
  o["host"] = r.host;
  o["port"] = r.port;
  o["path"] = r.path;
  o["status"] = r.status;
  o["decision"] = r.decision;
  o["rule_id"] = optional_or_null(r.rule_id);
  o["would_rule_id"] = optional_or_null(r.would_rule_id);
  o["policy_version"] = r.policy_version;
  o["bytes_up"] = r.bytes_up;
  o["bytes_down"] = r.bytes_down;
  o["duration_us"] = r.duration_us;
  o["upstream_ip"] = text_or_null(r.upstream_ip);
  o["user_agent"] = r.user_agent;
  o["error"] = text_or_null(r.error);
  o["hash"] = hex(r.hash);
  return o;
}

std::string csv_header() {
  std::string out;
  for (const auto* c : csv_columns) {
    if (!out.empty()) out += ',';
    out += c;
  }
  out += "\r\n";
  return out;
}

void append_csv(std::string& out, std::span<const audit::audit_record> rows) {
  for (const auto& r : rows) {
    std::string groups;
    for (const auto& g : r.groups) {
      if (!groups.empty()) groups += ' ';
      groups += g;
    }
    const std::array<std::string, csv_columns.size()> f{format_rfc3339(r.ts),
                                                        r.instance,
                                                        std::to_string(r.seq),
                                                        std::string(audit::to_string(r.event)),
                                                        r.client_ip,
                                                        std::to_string(r.client_port),
                                                        r.username,
                                                        groups,
                                                        r.method,
                                                        r.scheme,
                                                        r.host,
                                                        std::to_string(r.port),
                                                        r.path,
                                                        std::to_string(r.status),
                                                        r.decision,
                                                        optional_text(r.rule_id),
                                                        optional_text(r.would_rule_id),
                                                        std::to_string(r.policy_version),
                                                        std::to_string(r.bytes_up),
                                                        std::to_string(r.bytes_down),
                                                        std::to_string(r.duration_us),
                                                        r.upstream_ip,
                                                        r.user_agent,
                                                        r.error,
                                                        hex(r.hash)};
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (i) out += ',';
      csv_field(out, f[i]);
    }
    out += "\r\n";
  }
}

void append_ndjson(std::string& out, std::span<const audit::audit_record> rows) {
  for (const auto& r : rows) {
    out += boost::json::serialize(record_to_json(r));
    out += '\n';
  }
}

}  // namespace tollgate::admin_api
