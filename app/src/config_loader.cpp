// Reads the YAML file, walks it against the key table (config_schema.cpp) and
// checks what spans several keys. Every problem is collected; nothing throws
// out of load_config.
#include "tollgate/app/config.hpp"

#include "config_schema.hpp"
#include "config_values.hpp"

#include <unistd.h>
#include <boost/throw_exception.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace tollgate::app {
namespace {

using detail::key_context;
using detail::key_spec;
using detail::scalar;

int line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

const char* kind_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    default: return "a scalar";
  }
}

class loader {
 public:
  loader(std::string file, std::vector<config_problem>& problems)
      : file_(std::move(file)),
        problems_(problems),
        ctx_(file_, std::filesystem::path(file_).parent_path(), problems) {
    for (const auto& spec : detail::key_specs()) {
      specs_.emplace(std::string(spec.info.path), &spec);
      const std::string path(spec.info.path);
      for (auto dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1))
        sections_.insert(path.substr(0, dot));
    }
  }

  void walk(const YAML::Node& map, const std::string& prefix) {
    std::set<std::string> keys_here;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key_node = it->first;  // copies: the iterator hands out a temporary pair
      const YAML::Node value = it->second;
      const int line = line_of(key_node);
      if (!key_node.IsScalar()) {
        fail(prefix, line, "keys must be plain names");
        continue;
      }
      const std::string path = prefix.empty() ? key_node.Scalar() : prefix + "." + key_node.Scalar();
      if (!keys_here.insert(key_node.Scalar()).second) {
        fail(path, line, "duplicate key (the first one is at line " + std::to_string(lines_[path]) + ")");
        continue;
      }
      lines_[path] = line;
      if (auto spec = specs_.find(path); spec != specs_.end()) {
        apply(*spec->second, value, line);
      } else if (sections_.count(path)) {
        if (value.IsMap()) walk(value, path);
        else if (!value.IsNull()) fail(path, line, std::string("expected a mapping, got ") + kind_name(value));
      } else {
        fail(path, line, unknown_key_message(prefix, key_node.Scalar()));
      }
    }
  }

  /// Checks what no single key can check and fills the derived defaults.
  config& finish() {
    check_required();
    check_cross_fields(cfg_);
    fill_defaults(cfg_);
    return cfg_;
  }

 private:
  void fail(const std::string& key, int line, std::string message) {
    problems_.push_back({file_, line, key, std::move(message)});
  }

  bool seen(const std::string& path) const { return lines_.count(path) != 0; }
  int line(const std::string& path) const {
    auto it = lines_.find(path);
    return it == lines_.end() ? 0 : it->second;
  }
  // The line of the nearest enclosing section that is in the file, for problems about absent keys.
  int nearest_line(std::string path) const {
    for (auto dot = path.rfind('.'); dot != std::string::npos; dot = path.rfind('.')) {
      path.resize(dot);
      if (seen(path)) return line(path);
    }
    return 1;
  }

  result<std::string> substitute(const std::string& path, const YAML::Node& node) {
    auto text = detail::substitute_env(node.Scalar(), [](const std::string& name) { return std::getenv(name.c_str()); });
    if (!text) fail(path, line_of(node), text.error().message());
    return text;
  }

  void apply(const key_spec& spec, const YAML::Node& value, int key_line) {
    const std::string path(spec.info.path);
    std::vector<scalar> scalars;
    if (spec.is_list) {
      if (!value.IsSequence()) return fail(path, key_line, std::string("expected a list, got ") + kind_name(value));
      for (const auto& item : value) {
        if (!item.IsScalar()) return fail(path, line_of(item), std::string("list entries must be scalars, got ") + kind_name(item));
        auto text = substitute(path, item);
        if (!text) return;
        scalars.push_back({std::move(*text), line_of(item)});
      }
    } else {
      if (value.IsNull()) return fail(path, key_line, "has no value (write \"\" for an empty string)");
      if (!value.IsScalar())
        return fail(path, key_line, "expected " + std::string(spec.info.type) + ", got " + kind_name(value));
      auto text = substitute(path, value);
      if (!text) return;
      scalars.push_back({std::move(*text), key_line});
    }
    if (!scalars.empty() && !scalars[0].text.empty()) given_.insert(path);
    const auto before = problems_.size();
    spec.apply(cfg_, scalars, ctx_.at(key_line));
    if (problems_.size() == before) valid_.insert(path);
  }

  std::string unknown_key_message(const std::string& prefix, const std::string& name) const {
    std::string best;
    std::size_t best_distance = 3;  // suggest only close spellings
    auto consider = [&](const std::string& candidate_path) {
      const auto dot = candidate_path.rfind('.');
      const auto parent = dot == std::string::npos ? std::string() : candidate_path.substr(0, dot);
      if (parent != prefix) return;
      const auto leaf = candidate_path.substr(dot == std::string::npos ? 0 : dot + 1);
      const auto d = detail::edit_distance(leaf, name);
      if (d < best_distance) best_distance = d, best = leaf;
    };
    for (const auto& [path, spec] : specs_) consider(path);
    for (const auto& section : sections_) consider(section);
    return best.empty() ? "unknown key" : "unknown key (did you mean '" + best + "'?)";
  }

  void check_required() {
    for (const auto& spec : detail::key_specs()) {
      const std::string path(spec.info.path);
      if (spec.info.required && !seen(path)) fail(path, nearest_line(path), "required key is missing");
    }
    if (!seen("ldap.bind_password") && !seen("ldap.bind_password_file"))
      fail("ldap.bind_password_file", nearest_line("ldap.bind_password_file"),
           "required key is missing (or give ldap.bind_password, e.g. from ${ENV})");
    if (seen("ldap.bind_password") && seen("ldap.bind_password_file"))
      fail("ldap.bind_password", line("ldap.bind_password"), "give ldap.bind_password or ldap.bind_password_file, not both");
  }

  void check_cross_fields(config& c) {
    // Pairs are judged by what the file gives, so a bad path is not reported twice.
    const bool cert = given_.count("admin.tls.cert_file") != 0;
    const bool key = given_.count("admin.tls.key_file") != 0;
    if (cert != key) {
      const auto missing = cert ? "admin.tls.key_file" : "admin.tls.cert_file";
      const auto given = cert ? "admin.tls.cert_file" : "admin.tls.key_file";
      fail(missing, line(given), std::string("must be set together with ") + given);
    }
    if (c.ldap.start_tls && valid_.count("ldap.uris")) {
      for (const auto& uri : c.ldap.uris)
        if (uri.rfind("ldaps://", 0) == 0)
          fail("ldap.start_tls", line("ldap.start_tls"), "cannot be combined with an ldaps:// URI (" + uri + ")");
    }
    if (valid_.count("admin.listen")) {
      const auto& a = c.admin.listen;
      const bool ephemeral = a.size() >= 2 && a.compare(a.size() - 2, 2, ":0") == 0;
      if (!ephemeral && std::find(c.proxy.listen.begin(), c.proxy.listen.end(), a) != c.proxy.listen.end())
        fail("admin.listen", line("admin.listen"), a + " is also a proxy.listen address");
    }
    const bool signing = given_.count("audit.signing_key_file") != 0;
    const bool checkpoints = given_.count("audit.checkpoint_file") != 0;
    if (signing && !checkpoints)
      fail("audit.checkpoint_file", line("audit.signing_key_file"),
           "must be set when audit.signing_key_file is (signed checkpoints are written there)");
    if (checkpoints && !signing)
      fail("audit.signing_key_file", line("audit.checkpoint_file"),
           "must be set when audit.checkpoint_file is (checkpoints are signed with it)");
  }

  void fill_defaults(config& c) {
    if (!seen("postgres.admin_dsn")) c.postgres.admin_dsn = c.postgres.dsn;
    c.audit.dsn = c.postgres.dsn;
    c.audit.admin_dsn = c.postgres.admin_dsn;
    c.proxy.store_query = c.audit.store_query;
    if (!seen("audit.signing_key_file") && !seen("audit.checkpoint_file")) {
      // Checkpoints are on unless the file turns them off (both keys ""): without
      // them rows cut from the end of a chain go unnoticed. Key and file live in
      // the state folder, the spool folder's parent (/var/lib/tollgate).
      auto spool = std::filesystem::path(c.audit.spool_dir).lexically_normal();
      if (!spool.has_filename()) spool = spool.parent_path();  // "…/spool/"
      auto state = spool.parent_path();
      if (state.empty()) state = ".";
      c.audit.signing_key_file = (state / "audit-ed25519.pem").string();
      c.audit.checkpoint_file = (state / "checkpoints.log").string();
      c.audit.create_signing_key = true;
    }
    if (!seen("audit.instance")) {
      char name[256] = {};
      if (::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') c.audit.instance = name;
      else fail("audit.instance", nearest_line("audit.instance"), "the host name is unknown: set audit.instance");
    }
  }

  config cfg_;
  std::string file_;
  std::vector<config_problem>& problems_;
  key_context ctx_;
  std::map<std::string, const key_spec*> specs_;
  std::set<std::string> sections_;
  std::map<std::string, int> lines_;  // every key and section met in the file
  std::set<std::string> valid_;       // keys whose value converted without a problem
  std::set<std::string> given_;       // keys given a non-empty value, valid or not
};

result<std::string> read_whole_file(const std::string& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return failure{make_error_code(boost::system::errc::is_a_directory), "is a directory, not a config file"};
  std::ifstream in(file, std::ios::binary);
  if (!in) return errno_failure("cannot read the config file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::string to_string(const config_problem& p) {
  std::string out = p.file;
  if (p.line > 0) out += ":" + std::to_string(p.line);
  out += ": ";
  if (!p.key.empty()) out += p.key + ": ";
  return out + p.message;
}

void throw_exception_from_error(const std::vector<config_problem>& problems, const boost::source_location& loc) {
  std::string all;
  for (const auto& p : problems) all += (all.empty() ? "" : "\n") + to_string(p);
  boost::throw_exception(std::runtime_error(all), loc);
}

boost::system::result<config, std::vector<config_problem>> load_config(const std::string& file) {
  std::vector<config_problem> problems;
  const auto text = read_whole_file(file);
  if (!text) return std::vector<config_problem>{{file, 0, "", text.error().message()}};

  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::ParserException& e) {
    return std::vector<config_problem>{{file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "YAML syntax error: " + e.msg}};
  } catch (const YAML::Exception& e) {
    return std::vector<config_problem>{{file, 0, "", std::string("YAML error: ") + e.what()}};
  }

  loader l(file, problems);
  if (root.IsMap()) {
    l.walk(root, "");
  } else if (!root.IsNull()) {
    problems.push_back({file, line_of(root), "", std::string("expected a mapping of sections, got ") + kind_name(root)});
  }
  config& cfg = l.finish();
  if (!problems.empty()) {
    std::stable_sort(problems.begin(), problems.end(),
                     [](const config_problem& a, const config_problem& b) { return a.line < b.line; });
    return problems;
  }
  cfg.file = file;
  return std::move(cfg);
}

}  // namespace tollgate::app
