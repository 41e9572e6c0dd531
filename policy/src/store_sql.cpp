#include "store_sql.hpp"

#include "tollgate/audit/admin_actions.hpp"
#include "tollgate/policy/rule_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <pqxx/pqxx>

#include <algorithm>

namespace tollgate::policy::detail {
namespace {

constexpr const char* rule_columns =
    "id, priority, action, array_to_json(groups)::text, array_to_json(hosts)::text, "
    "array_to_json(ports)::text, array_to_json(methods)::text, array_to_json(path_prefixes)::text, "
    "schedule::text, mode, comment, enabled, version, path_case";

// The written columns, with each list passed as a JSON array of strings.
constexpr const char* rule_values =
    "$1, $2, ARRAY(SELECT jsonb_array_elements_text($3::jsonb)), ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), "
    "ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), ARRAY(SELECT jsonb_array_elements_text($6::jsonb)), "
    "ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), NULLIF($8::jsonb, 'null'::jsonb), $9, $10, $11, $12";

std::vector<std::string> strings_from_json(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  const auto parsed = boost::json::parse(f.c_str());
  for (const auto& v : parsed.as_array()) out.emplace_back(v.as_string());
  return out;
}

std::string json_strings(const std::vector<std::string>& v) {
  boost::json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return boost::json::serialize(a);
}

std::string json_ports(const std::vector<port_range>& ports) {
  boost::json::array a;
  for (const auto& p : ports) a.emplace_back(to_string(p));
  return boost::json::serialize(a);
}

std::string json_schedule(const std::optional<rule_schedule>& s) {
  if (!s) return "null";
  boost::json::object o;
  boost::json::array days;
  for (const auto& d : s->days) days.emplace_back(d);
  o["days"] = std::move(days);
  o["from"] = s->from;
  o["to"] = s->to;
  o["tz"] = s->tz;
  return boost::json::serialize(o);
}

rule rule_from_row(const pqxx::row& row) {
  rule r;
  r.id = row[0].as<std::int64_t>();
  r.priority = row[1].as<std::int32_t>();
  r.action = parse_policy_action(row[2].c_str()).value_or(policy_action::deny);
  r.groups = strings_from_json(row[3]);
  r.hosts = strings_from_json(row[4]);
  for (const auto& p : strings_from_json(row[5])) {
    // A malformed stored port keeps its place as an invalid range, so compiling refuses it.
    r.ports.push_back(parse_port_range(p).value_or(port_range{-1, -1}));
  }
  r.methods = strings_from_json(row[6]);
  r.path_prefixes = strings_from_json(row[7]);
  if (!row[8].is_null()) {
    const auto o = boost::json::parse(row[8].c_str()).as_object();
    rule_schedule s;
    if (const auto* days = o.if_contains("days")) {
      for (const auto& d : days->as_array()) s.days.emplace_back(d.as_string());
    }
    if (const auto* v = o.if_contains("from")) s.from = v->as_string();
    if (const auto* v = o.if_contains("to")) s.to = v->as_string();
    if (const auto* v = o.if_contains("tz")) s.tz = v->as_string();
    r.schedule = std::move(s);
  }
  r.mode = parse_rule_mode(row[9].c_str()).value_or(rule_mode::enforce);
  r.comment = row[10].c_str();
  r.enabled = row[11].as<bool>();
  r.version = row[12].as<std::int64_t>();
  r.path_case = parse_path_case(row[13].c_str()).value_or(path_case_mode::exact);
  return r;
}

}  // namespace

policy_snapshot load_snapshot(pqxx::connection_base& c) {
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(c, "load");
  policy_snapshot s;
  s.version = tx.exec1("SELECT version FROM policy_version")[0].as<std::int64_t>();
  s.rules = select_rules(tx);
  tx.commit();
  return s;
}

std::int64_t read_policy_version(pqxx::connection_base& c) {
  pqxx::nontransaction tx(c, "version");
  return tx.exec1("SELECT version FROM policy_version")[0].as<std::int64_t>();
}

std::vector<rule> select_rules(pqxx::transaction_base& tx, std::optional<std::int64_t> id) {
  const pqxx::result rows =
      id ? tx.exec_params(std::string("SELECT ") + rule_columns + " FROM rules WHERE id = $1", *id)
         : tx.exec(std::string("SELECT ") + rule_columns + " FROM rules ORDER BY priority, id");
  std::vector<rule> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(rule_from_row(row));
  return out;
}

rule insert_rule(pqxx::transaction_base& tx, const rule& r) {
  const auto row = tx.exec_params1(
      std::string("INSERT INTO rules (priority, action, groups, hosts, ports, methods, path_prefixes, schedule, "
                  "mode, comment, enabled, path_case) VALUES (") +
          rule_values + ") RETURNING " + rule_columns,
      r.priority, std::string(to_string(r.action)), json_strings(r.groups), json_strings(r.hosts), json_ports(r.ports),
      json_strings(r.methods), json_strings(r.path_prefixes), json_schedule(r.schedule),
      std::string(to_string(r.mode)), r.comment, r.enabled, std::string(to_string(r.path_case)));
  return rule_from_row(row);
}

void insert_rules(pqxx::transaction_base& tx, const std::vector<rule>& rules) {
  // One statement per batch: the rules_changed trigger fires per statement, so a large
  // bootstrap file bumps the policy version (and notifies the instances) a few times,
  // not once per rule. Ids follow the order of `rules`.
  constexpr std::size_t batch = 5000;
  for (std::size_t first = 0; first < rules.size(); first += batch) {
    boost::json::array rows;
    // The admin API's JSON form of a rule: lists as arrays (ports as numbers or "lo-hi"),
    // the schedule as an object or null; the statement reads it field by field.
    for (std::size_t i = first; i < std::min(rules.size(), first + batch); ++i) rows.emplace_back(rule_to_json(rules[i]));
    tx.exec_params(
        "INSERT INTO rules (priority, action, groups, hosts, ports, methods, path_prefixes, schedule, mode, comment, "
        "enabled, path_case) "
        "SELECT (x->>'priority')::int, x->>'action', ARRAY(SELECT jsonb_array_elements_text(x->'groups')), "
        "ARRAY(SELECT jsonb_array_elements_text(x->'hosts')), ARRAY(SELECT jsonb_array_elements_text(x->'ports')), "
        "ARRAY(SELECT jsonb_array_elements_text(x->'methods')), "
        "ARRAY(SELECT jsonb_array_elements_text(x->'path_prefixes')), NULLIF(x->'schedule', 'null'::jsonb), "
        "x->>'mode', x->>'comment', (x->>'enabled')::boolean, x->>'path_case' "
        "FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(x, n) ORDER BY n",
        boost::json::serialize(rows));
  }
}

std::optional<rule> update_rule(pqxx::transaction_base& tx, std::int64_t id, const rule& r, std::int64_t expected) {
  const auto rows = tx.exec_params(
      std::string("UPDATE rules SET (priority, action, groups, hosts, ports, methods, path_prefixes, schedule, mode, "
                  "comment, enabled, path_case) = (") +
          rule_values + "), version = version + 1, updated_at = now() WHERE id = $13 AND version = $14 RETURNING " +
          rule_columns,
      r.priority, std::string(to_string(r.action)), json_strings(r.groups), json_strings(r.hosts), json_ports(r.ports),
      json_strings(r.methods), json_strings(r.path_prefixes), json_schedule(r.schedule),
      std::string(to_string(r.mode)), r.comment, r.enabled, std::string(to_string(r.path_case)), id, expected);
  if (rows.empty()) return std::nullopt;
  return rule_from_row(rows[0]);
}

bool delete_rule(pqxx::transaction_base& tx, std::int64_t id, std::int64_t expected) {
  return tx.exec_params("DELETE FROM rules WHERE id = $1 AND version = $2", id, expected).affected_rows() == 1;
}

void record_change(pqxx::transaction_base& tx, const change_actor& who, std::string_view action, std::int64_t id,
                   const std::optional<rule>& before, const std::optional<rule>& after) {
  // A missing side (a create's before, a delete's after) is stored as NULL.
  const auto as_json = [](const std::optional<rule>& r) {
    return r ? boost::json::serialize(rule_to_json(*r)) : std::string();
  };
  audit::record_admin_action(tx, {.actor = who.actor,
                                  .role = who.role,
                                  .action = std::string(action),
                                  .target = "rule/" + std::to_string(id),
                                  .before = as_json(before),
                                  .after = as_json(after),
                                  .client_ip = who.client_ip});
}

}  // namespace tollgate::policy::detail
