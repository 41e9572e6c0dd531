#include "tollgate/policy/rule_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <limits>

namespace tollgate::policy {
namespace {

boost::json::array string_array(const std::vector<std::string>& v) {
  boost::json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::string item(std::string_view field, std::size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

// Reads the JSON fields of a rule, recording type errors by field.
class reader {
 public:
  explicit reader(std::vector<rule_problem>& problems) : problems_(problems) {}

  void text(const boost::json::value& v, std::string_view field, std::string& out) {
    if (const auto* s = v.if_string()) {
      out.assign(s->data(), s->size());
    } else {
      fail(field, "must be a string");
    }
  }

  void strings(const boost::json::value& v, std::string_view field, std::vector<std::string>& out) {
    if (v.is_null()) return;
    const auto* a = v.if_array();
    if (!a) return fail(field, "must be a list of strings");
    out.clear();
    for (std::size_t i = 0; i < a->size(); ++i) {
      std::string s;
      text((*a)[i], item(field, i), s);
      out.push_back(std::move(s));
    }
  }

  void ports(const boost::json::value& v, std::vector<port_range>& out) {
    if (v.is_null()) return;
    const auto* a = v.if_array();
    if (!a) return fail("ports", "must be a list of ports (443) and ranges (\"8000-8999\")");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const auto& e = (*a)[i];
      if (const auto n = integer(e)) {
        out.push_back({*n, *n});
      } else if (const auto* s = e.if_string(); s != nullptr && parse_port_range(*s)) {
        out.push_back(*parse_port_range(*s));
      } else {
        fail(item("ports", i), "must be a port number or a \"lo-hi\" range");
        out.push_back({-1, -1});  // keeps later entries at their own index for validation
      }
    }
  }

  std::optional<std::int64_t> integer(const boost::json::value& v) {
    if (const auto* i = v.if_int64()) return *i;
    if (const auto* u = v.if_uint64()) {
      if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return static_cast<std::int64_t>(*u);
    }
    if (const auto* d = v.if_double()) {
      // Range first: casting an out-of-range double is undefined (found by fuzz_admin_input).
      if (*d > -1e15 && *d < 1e15 && *d == static_cast<double>(static_cast<std::int64_t>(*d))) {
        return static_cast<std::int64_t>(*d);
      }
    }
    return std::nullopt;
  }

  void schedule(const boost::json::value& v, std::optional<rule_schedule>& out) {
    if (v.is_null()) return;
    const auto* o = v.if_object();
    if (!o) return fail("schedule", "must be an object {days, from, to, tz} or null");
    rule_schedule s;
    for (const auto& [key, value] : *o) {
      if (key == "days") {
        strings(value, "schedule.days", s.days);
      } else if (key == "from") {
        text(value, "schedule.from", s.from);
      } else if (key == "to") {
        text(value, "schedule.to", s.to);
      } else if (key == "tz") {
        text(value, "schedule.tz", s.tz);
      } else {
        fail("schedule." + std::string(key), "unknown field");
      }
    }
    out = std::move(s);
  }

  void fail(std::string_view field, std::string message) { problems_.push_back({std::string(field), std::move(message)}); }

 private:
  std::vector<rule_problem>& problems_;
};

}  // namespace

boost::json::object rule_to_json(const rule& r) {
  boost::json::object o;
  o["id"] = r.id;
  o["priority"] = r.priority;
  o["action"] = to_string(r.action);
  o["groups"] = string_array(r.groups);
  o["hosts"] = string_array(r.hosts);
  boost::json::array ports;
  for (const auto& p : r.ports) {
    if (p.lo == p.hi) {
      ports.emplace_back(p.lo);
    } else {
      ports.emplace_back(to_string(p));
    }
  }
  o["ports"] = std::move(ports);
  o["methods"] = string_array(r.methods);
  o["path_prefixes"] = string_array(r.path_prefixes);
  o["path_case"] = to_string(r.path_case);
  if (r.schedule) {
    boost::json::object s;
    s["days"] = string_array(r.schedule->days);
    s["from"] = r.schedule->from;
    s["to"] = r.schedule->to;
    s["tz"] = r.schedule->tz;
    o["schedule"] = std::move(s);
  } else {
    o["schedule"] = nullptr;
  }
  o["mode"] = to_string(r.mode);
  o["comment"] = r.comment;
  o["enabled"] = r.enabled;
  o["version"] = r.version;
  return o;
}

std::variant<rule, std::vector<rule_problem>> rule_from_json(const boost::json::value& v) {
  std::vector<rule_problem> problems;
  const auto* o = v.if_object();
  if (!o) return std::vector<rule_problem>{{"", "a rule must be an object"}};
  reader in(problems);
  rule r;
  bool has_action = false;
  for (const auto& [key, value] : *o) {
    if (key == "id" || key == "version" || key == "created_at" || key == "updated_at") continue;
    if (key == "priority") {
      const auto n = in.integer(value);
      if (!n || *n < std::numeric_limits<std::int32_t>::min() || *n > std::numeric_limits<std::int32_t>::max()) {
        in.fail("priority", "must be a 32-bit integer");
      } else {
        r.priority = static_cast<std::int32_t>(*n);
      }
    } else if (key == "action") {
      has_action = true;
      const auto* s = value.if_string();
      const auto a = s ? parse_policy_action(*s) : std::nullopt;
      if (!a) {
        in.fail("action", "must be \"allow\" or \"deny\"");
      } else {
        r.action = *a;
      }
    } else if (key == "groups") {
      in.strings(value, "groups", r.groups);
    } else if (key == "hosts") {
      in.strings(value, "hosts", r.hosts);
    } else if (key == "ports") {
      in.ports(value, r.ports);
    } else if (key == "methods") {
      in.strings(value, "methods", r.methods);
    } else if (key == "path_prefixes") {
      in.strings(value, "path_prefixes", r.path_prefixes);
    } else if (key == "path_case") {
      const auto* s = value.if_string();
      const auto m = s ? parse_path_case(*s) : std::nullopt;
      if (!m) {
        in.fail("path_case", "must be \"exact\" or \"insensitive\"");
      } else {
        r.path_case = *m;
      }
    } else if (key == "schedule") {
      in.schedule(value, r.schedule);
    } else if (key == "mode") {
      const auto* s = value.if_string();
      const auto m = s ? parse_rule_mode(*s) : std::nullopt;
      if (!m) {
        in.fail("mode", "must be \"enforce\" or \"report\"");
      } else {
        r.mode = *m;
      }
    } else if (key == "comment") {
      if (!value.is_null()) in.text(value, "comment", r.comment);
    } else if (key == "enabled") {
      if (const auto* b = value.if_bool()) {
        r.enabled = *b;
      } else {
        in.fail("enabled", "must be true or false");
      }
    } else {
      in.fail(key, "unknown field");
    }
  }
  if (!has_action) in.fail("action", "is required (\"allow\" or \"deny\")");
  // Field-level validation of what could be read, so one answer lists everything.
  for (auto& p : validate_rule(r)) {
    const bool already = std::any_of(problems.begin(), problems.end(),
                                     [&](const rule_problem& q) { return q.field == p.field; });
    if (!already) problems.push_back(std::move(p));
  }
  if (!problems.empty()) return problems;
  return r;
}

}  // namespace tollgate::policy
