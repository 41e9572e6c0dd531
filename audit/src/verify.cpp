#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/retention_record.hpp"
#include "tollgate/audit/verify.hpp"
#include "tollgate/pg/connect.hpp"

#include <boost/json.hpp>
#include <pqxx/pqxx>

#include <map>
#include <set>

namespace tollgate::audit {
namespace {

constexpr int page_rows = 5000;

// Rows in (seq, ts) order, after a keyset position; the columns the encoding needs.
// Addresses are read through inet's output function ("10.0.0.1", "10.0.0.0/8"), not
// ::text (which always adds the mask) nor host() (which would hide a changed mask).
constexpr const char* page_sql =
    "SELECT seq, (extract(epoch FROM ts) * 1000000)::bigint AS ts_us, instance, event, client_ip, client_port, "
    "username, groups, method, scheme, host, port, path, status, decision, rule_id, would_rule_id, policy_version, "
    "bytes_up, bytes_down, duration_us, upstream_ip, user_agent, error, encode(prev_hash, 'hex'), "
    "encode(hash, 'hex') "
    "FROM audit_log WHERE instance = $1 "
    "AND (seq, ts) > ($2::bigint, timestamptz 'epoch' + $3::bigint * interval '1 microsecond') "
    "ORDER BY seq, ts LIMIT $4";

// What is left of a chain past a break: only counted, as the report gives rows read
// and the highest seq; encoding and hashing them would tell nothing more.
constexpr const char* rest_sql =
    "SELECT count(*), coalesce(max(seq), 0) FROM audit_log WHERE instance = $1 "
    "AND (seq, ts) > ($2::bigint, timestamptz 'epoch' + $3::bigint * interval '1 microsecond')";

void put_int(canonical_writer& w, const pqxx::field& f) {
  if (f.is_null()) w.null();
  else w.integer(f.as<std::int64_t>());
}
void put_text(canonical_writer& w, const pqxx::field& f) {
  if (f.is_null()) w.null();
  else w.text(std::string_view(f.c_str(), f.size()));
}
void put_inet(canonical_writer& w, const pqxx::field& f) {
  if (f.is_null()) w.null();
  else w.inet(std::string_view(f.c_str(), f.size()));
}
void put_text_array(canonical_writer& w, const pqxx::field& f) {
  if (f.is_null()) {
    w.null();
    return;
  }
  std::vector<std::string> items;
  auto parser = f.as_array();
  int depth = 0;  // the parser reports the outer braces as a row too
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done; std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::row_start) {
      if (++depth > 1) items.emplace_back("\x01NESTED");  // never a real group name: the hash cannot match
    } else if (kind == pqxx::array_parser::row_end) {
      --depth;
    } else if (kind == pqxx::array_parser::string_value) {
      items.push_back(value);
    } else if (kind == pqxx::array_parser::null_value) {
      items.emplace_back("\x01NULL");
    }
  }
  w.text_array(items);
}

// The encoding of a row exactly as stored: NULLs stay NULL, so altering NULL to ''
// (or the reverse) is a change like any other.
std::string encode_row(const pqxx::row& r) {
  canonical_writer w;
  w.integer(r[1].as<std::int64_t>());  // ts
  put_text(w, r[2]);                   // instance
  w.integer(r[0].as<std::int64_t>());  // seq
  put_text(w, r[3]);                   // event
  put_inet(w, r[4]);
  put_int(w, r[5]);
  put_text(w, r[6]);
  put_text_array(w, r[7]);
  for (int i : {8, 9, 10}) put_text(w, r[i]);
  put_int(w, r[11]);
  put_text(w, r[12]);
  put_int(w, r[13]);
  put_text(w, r[14]);
  for (int i : {15, 16, 17, 18, 19, 20}) put_int(w, r[i]);
  put_inet(w, r[21]);
  put_text(w, r[22]);
  put_text(w, r[23]);
  return w.take();
}

std::vector<std::uint8_t> hex_field(const pqxx::field& f) {
  std::vector<std::uint8_t> out;
  if (!f.is_null() && !from_hex(f.c_str(), out)) out.clear();
  return out;
}

// The drops retention recorded in admin_actions. The database owner can write that
// table as easily as audit_log, so a record counts only with the audit key's
// signature; one without it is itself a break (someone other than Tollgate wrote
// it). Without a key no record can be trusted, and none excuses a gap.
std::map<std::string, std::vector<dropped_range>> read_retention(pqxx::connection& conn,
                                                                 const checkpoint_verifier* verifier,
                                                                 std::vector<chain_report>& problems) {
  std::map<std::string, std::vector<dropped_range>> out;
  pqxx::result r;
  try {
    pqxx::nontransaction tx(conn);
    r = tx.exec(
        "SELECT id, coalesce(target, ''), coalesce(before::text, '') FROM admin_actions "
        "WHERE action = 'audit.retention.drop_partition' ORDER BY id");
  } catch (const pqxx::sql_error&) {
    // No SELECT on admin_actions (the writer role): no drop is known, so a chain
    // whose start was dropped reports it as missing, which errs on the safe side.
    return out;
  }
  std::set<std::vector<std::uint8_t>> seen;  // a signed record copied into a second row counts once
  for (const auto& row : r) {
    if (verifier == nullptr) break;
    const auto id = std::string(row[0].c_str());
    const auto record = parse_retention_record(std::string_view(row[2].c_str(), row[2].size()));
    if (!record || !verifier->verify_message(retention_message(*record), record->signature)) {
      problems.push_back({"admin_actions id " + id, 0, 0,
                          chain_break{0, "retention record for " + std::string(row[1].c_str()) +
                                             " is not signed with the audit key: it was not written by Tollgate "
                                             "and excuses no missing rows"}});
      continue;
    }
    if (!seen.insert(record->signature).second) continue;
    for (const auto& c : record->chains)
      out[c.instance].push_back({c.min_seq, c.max_seq, c.last_hash, c.rows, record->cutoff, record->partition});
  }
  return out;
}

}  // namespace

result<verify_report> verify_audit_chains(const verify_options& opts) {
  verify_report report;
  std::map<std::string, std::vector<checkpoint>> checkpoints;
  std::vector<chain_report> file_problems;

  std::unique_ptr<checkpoint_verifier> verifier;
  if (!opts.checkpoint_file.empty()) {
    if (opts.key_file.empty()) return failure{error::key_missing, {}};
    auto loaded = checkpoint_verifier::load(opts.key_file);
    if (!loaded) return loaded.error();
    verifier = std::move(*loaded);
    auto content = read_checkpoints(opts.checkpoint_file);
    // A missing file is fine before the first checkpoint; lines that fail are tampering.
    for (const int line : content.bad_lines)
      file_problems.push_back({"checkpoint file " + opts.checkpoint_file, 0, 0,
                               chain_break{0, "line " + std::to_string(line) + " is not a checkpoint"}});
    for (auto& c : content.checkpoints) {
      if (verifier->verify(c)) {
        checkpoints[c.instance].push_back(std::move(c));
      } else {
        file_problems.push_back({c.instance, 0, 0,
                                 chain_break{c.seq, "the checkpoint for seq " + std::to_string(c.seq) +
                                                        " has a bad signature: the checkpoint file was altered"}});
      }
    }
  }

  try {
    const auto opened = pg::connect(opts.dsn).value();  // throws with libpq's reason
    auto& conn = *opened;
    std::set<std::string> instances;
    {
      pqxx::nontransaction tx(conn);
      // Distinct instances by skip scan over the (instance, seq, ts) index.
      const auto r = tx.exec(
          "WITH RECURSIVE i(v) AS (SELECT min(instance) FROM audit_log UNION ALL "
          "SELECT (SELECT min(instance) FROM audit_log WHERE instance > i.v) FROM i WHERE i.v IS NOT NULL) "
          "SELECT v FROM i WHERE v IS NOT NULL");
      for (const auto& row : r) instances.insert(row[0].c_str());
    }
    for (const auto& [name, list] : checkpoints) instances.insert(name);
    auto retention = read_retention(conn, verifier.get(), file_problems);

    for (const auto& name : instances) {
      chain_verifier walker(name, checkpoints[name], retention[name]);
      std::int64_t after_seq = std::numeric_limits<std::int64_t>::min();
      std::int64_t after_ts = 0;  // any value: no seq is below after_seq
      for (;;) {
        pqxx::nontransaction tx(conn);
        const auto rows = tx.exec_params(page_sql, name, after_seq, after_ts, page_rows);
        for (const auto& row : rows) {
          walker.feed(row[0].as<std::int64_t>(), encode_row(row), hex_field(row[24]), hex_field(row[25]));
          after_seq = row[0].as<std::int64_t>();
          after_ts = row[1].as<std::int64_t>();
          if (walker.broken()) break;
        }
        if (walker.broken()) {
          const auto rest = tx.exec_params(rest_sql, name, after_seq, after_ts);
          walker.count_unchecked(rest[0][0].as<std::uint64_t>(), rest[0][1].as<std::int64_t>());
          break;
        }
        if (rows.size() < static_cast<std::size_t>(page_rows)) break;
      }
      report.instances.push_back(walker.finish());
    }
  } catch (const std::exception& e) {
    return failure{error::database_unavailable, std::string("cannot read audit_log: ") + e.what()};
  }

  for (auto& p : file_problems) report.instances.push_back(std::move(p));
  for (const auto& i : report.instances)
    if (i.broken) report.intact = false;
  return report;
}

std::string to_json(const verify_report& r) {
  boost::json::array instances;
  for (const auto& i : r.instances) {
    boost::json::value brk = nullptr;
    if (i.broken) brk = boost::json::object{{"seq", i.broken->seq}, {"reason", i.broken->reason}};
    instances.push_back(boost::json::object{
        {"instance", i.instance}, {"records", i.records}, {"last_seq", i.last_seq}, {"break", brk}});
  }
  return boost::json::serialize(boost::json::object{{"intact", r.intact}, {"instances", instances}});
}

}  // namespace tollgate::audit
