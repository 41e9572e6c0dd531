#include "tollgate/audit/retention_record.hpp"

#include "signed_message.hpp"
#include "tollgate/audit/canonical.hpp"

#include <boost/json.hpp>

namespace tollgate::audit {
namespace {

const boost::json::value* field(const boost::json::object& o, std::string_view key) { return o.if_contains(key); }

bool get_int(const boost::json::object& o, std::string_view key, std::int64_t& out) {
  const auto* v = field(o, key);
  if (v == nullptr || !v->is_int64()) return false;
  out = v->as_int64();
  return true;
}

bool get_text(const boost::json::object& o, std::string_view key, std::string& out) {
  const auto* v = field(o, key);
  if (v == nullptr || !v->is_string()) return false;
  out = std::string(v->as_string());
  return true;
}

bool get_hex(const boost::json::object& o, std::string_view key, std::vector<std::uint8_t>& out) {
  std::string text;
  return get_text(o, key, text) && from_hex(text, out);
}

}  // namespace

std::string retention_message(const retention_record& r) {
  using namespace signed_message;
  std::string m = "tollgate-retention-v1\n";
  put_bytes(m, r.partition);
  put_i64(m, r.retention_months);
  put_i64(m, to_unix_micros(r.cutoff));
  put_u32(m, static_cast<std::uint32_t>(r.chains.size()));
  for (const auto& c : r.chains) {
    put_bytes(m, c.instance);
    put_i64(m, c.min_seq);
    put_i64(m, c.max_seq);
    put_i64(m, c.rows);
    put_bytes(m, c.last_hash);
  }
  return m;
}

std::string to_json_text(const retention_record& r) {
  boost::json::array chains;
  for (const auto& c : r.chains) {
    chains.push_back({{"instance", c.instance},
                      {"min_seq", c.min_seq},
                      {"max_seq", c.max_seq},
                      {"rows", c.rows},
                      {"last_hash", to_hex(c.last_hash)}});
  }
  const auto cutoff_us = to_unix_micros(r.cutoff);
  return boost::json::serialize(boost::json::object{{"partition", r.partition},
                                                    {"retention_months", r.retention_months},
                                                    {"cutoff", signed_message::rfc3339(cutoff_us)},
                                                    {"cutoff_us", cutoff_us},
                                                    {"chains", std::move(chains)},
                                                    {"sig", to_hex(r.signature)}});
}

std::optional<retention_record> parse_retention_record(std::string_view json) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  retention_record r;
  std::int64_t months = 0;
  std::int64_t cutoff_us = 0;
  if (!get_text(o, "partition", r.partition) || !get_int(o, "retention_months", months) || months < 0 ||
      months > 1'000'000 || !get_int(o, "cutoff_us", cutoff_us) || !get_hex(o, "sig", r.signature))
    return std::nullopt;
  r.retention_months = static_cast<unsigned>(months);
  r.cutoff = from_unix_micros(cutoff_us);
  const auto* chains = field(o, "chains");
  if (chains == nullptr || !chains->is_array()) return std::nullopt;
  for (const auto& c : chains->as_array()) {
    if (!c.is_object()) return std::nullopt;
    const auto& co = c.as_object();
    retained_chain rc;
    if (!get_text(co, "instance", rc.instance) || !get_int(co, "min_seq", rc.min_seq) ||
        !get_int(co, "max_seq", rc.max_seq) || !get_int(co, "rows", rc.rows) || !get_hex(co, "last_hash", rc.last_hash))
      return std::nullopt;
    r.chains.push_back(std::move(rc));
  }
  return r;
}

}  // namespace tollgate::audit
