#include "tollgate/app/rules_file.hpp"

#include "tollgate/policy/rule_json.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>

namespace tollgate::app {
namespace {

int line_of(const YAML::Node& n) { return n.Mark().line < 0 ? 0 : n.Mark().line + 1; }

bool is_integer(const std::string& s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

// YAML 1.2 core schema for plain scalars; quoted scalars are always strings, so
// `ports: ["8000-8999", 443]` and `from: "08:00"` read as written.
boost::json::value to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      boost::json::array a;
      for (const auto& item : n) a.push_back(to_json(item));
      return a;
    }
    case YAML::NodeType::Map: {
      boost::json::object o;
      for (const auto& kv : n) o[kv.first.Scalar()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: {
      const auto& s = n.Scalar();
      if (n.Tag() == "!") return boost::json::string(s);
      if (is_integer(s)) return std::stoll(s);
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
      return boost::json::string(s);
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
  }
  return nullptr;
}

// The node a problem's field path ("hosts[2]", "schedule.tz") names, as deep as it exists.
// (yaml-cpp's Node::operator= writes through into the tree; reset() re-points.)
YAML::Node locate(const YAML::Node& start, const std::string& field) {
  YAML::Node node;
  node.reset(start);
  std::size_t pos = 0;
  while (pos < field.size() && node.IsMap()) {
    const auto end = field.find_first_of(".[", pos);
    const auto key = field.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    YAML::Node child;
    bool found = false;
    for (const auto& kv : node) {
      if (!found && kv.first.Scalar() == key) {
        child.reset(kv.second);
        found = true;
      }
    }
    if (!found) return node;
    node.reset(child);
    pos = end == std::string::npos ? field.size() : end;
    while (pos < field.size() && field[pos] == '[' && node.IsSequence()) {
      const auto close = field.find(']', pos);
      std::size_t index = 0;
      std::from_chars(field.data() + pos + 1, field.data() + close, index);
      if (index >= node.size()) return node;
      YAML::Node element = node[index];
      node.reset(element);
      pos = close + 1;
    }
    if (pos < field.size() && field[pos] == '.') ++pos;
  }
  return node;
}

}  // namespace

std::variant<std::vector<policy::rule>, std::vector<config_problem>> load_rules_file(const std::string& path) {
  std::vector<config_problem> problems;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return std::vector<config_problem>{{path, 0, "", "cannot read the rules file"}};
  } catch (const YAML::ParserException& e) {
    return std::vector<config_problem>{{path, e.mark.line + 1, "", e.msg}};
  }
  if (root.IsNull()) return std::vector<policy::rule>{};
  if (!root.IsSequence()) return std::vector<config_problem>{{path, line_of(root), "", "must be a list of rules"}};

  std::vector<policy::rule> rules;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const auto item = root[i];
    const std::string key = "rules[" + std::to_string(i) + "]";
    if (item.IsMap() && item["id"].IsDefined()) {
      problems.push_back({path, line_of(item["id"]), key + ".id", "ids are assigned by the store; leave it out"});
      continue;
    }
    auto parsed = policy::rule_from_json(to_json(item));
    if (auto* rule_problems = std::get_if<std::vector<policy::rule_problem>>(&parsed)) {
      for (const auto& p : *rule_problems) {
        problems.push_back({path, line_of(locate(item, p.field)), p.field.empty() ? key : key + "." + p.field,
                            p.message});
      }
      continue;
    }
    rules.push_back(std::move(std::get<policy::rule>(parsed)));
  }
  if (!problems.empty()) return problems;
  return rules;
}

}  // namespace tollgate::app
