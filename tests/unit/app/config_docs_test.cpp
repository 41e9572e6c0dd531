// The configuration reference and the example must name exactly the keys the
// loader accepts: a key added to the loader without documentation, or a
// documented key the loader does not know, fails here.
#include "tollgate/app/config_keys.hpp"

#include "tollgate/testing/temp_dir.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>
#include <sstream>

namespace tollgate::app {
namespace {

const std::string source_dir = TOLLGATE_SOURCE_DIR;

std::set<std::string> loader_keys() {
  std::set<std::string> keys;
  for (const auto& k : config_keys()) keys.emplace(k.path);
  return keys;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& k : s) out += "  " + k + "\n";
  return out;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  for (const auto& k : a)
    if (!b.count(k)) out.insert(k);
  return out;
}

// Keys documented in docs/configuration.md: the first cell of each reference table row, "| `a.b` | ...".
std::set<std::string> documented_keys() {
  std::istringstream in(tollgate::testing::read_file(source_dir + "/docs/configuration.md"));
  const std::regex row(R"(^\|\s*`([a-z_]+(\.[a-z_]+)+)`\s*\|)");
  std::set<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) keys.insert(m[1]);
  }
  return keys;
}

void collect_leaves(const YAML::Node& node, const std::string& prefix, std::set<std::string>& out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string path = prefix.empty() ? it->first.as<std::string>() : prefix + "." + it->first.as<std::string>();
    if (it->second.IsMap()) collect_leaves(it->second, path, out);
    else out.insert(path);
  }
}

TEST(ConfigDocs, KeyTableIsNotEmptyAndHasNoDuplicates) {
  const auto keys = config_keys();
  EXPECT_GT(keys.size(), 50u);
  EXPECT_EQ(loader_keys().size(), keys.size());
}

TEST(ConfigDocs, EveryLoaderKeyIsInTheReference) {
  const auto missing = minus(loader_keys(), documented_keys());
  EXPECT_TRUE(missing.empty()) << "accepted by the loader but not in docs/configuration.md:\n" << join(missing);
}

TEST(ConfigDocs, EveryKeyInTheReferenceIsAccepted) {
  const auto unknown = minus(documented_keys(), loader_keys());
  EXPECT_TRUE(unknown.empty()) << "in docs/configuration.md but not accepted by the loader:\n" << join(unknown);
}

TEST(ConfigDocs, RequiredKeysAreMarkedRequiredInTheReference) {
  const auto text = tollgate::testing::read_file(source_dir + "/docs/configuration.md");
  for (const auto& k : config_keys()) {
    if (!k.required) continue;
    const std::regex row("\\| `" + std::string(k.path) + "` \\|[^\\n]*\\| required \\|");
    EXPECT_TRUE(std::regex_search(text, row)) << k.path << " is required but its row does not say so";
  }
}

TEST(ConfigDocs, ExampleShowsEveryKeyAndNoOther) {
  const auto text = tollgate::testing::read_file(source_dir + "/deploy/tollgate.example.yaml");
  std::set<std::string> active;
  collect_leaves(YAML::Load(text), "", active);
  const auto unknown = minus(active, loader_keys());
  EXPECT_TRUE(unknown.empty()) << "in the example but not accepted by the loader:\n" << join(unknown);
  // A key that cannot be active together with another (bind_password vs
  // bind_password_file) is shown as a commented line "# leaf: ...".
  std::set<std::string> missing;
  for (const auto& key : minus(loader_keys(), active)) {
    const auto leaf = key.substr(key.rfind('.') + 1);
    if (!std::regex_search(text, std::regex("\\n\\s*#\\s*" + leaf + ":"))) missing.insert(key);
  }
  EXPECT_TRUE(missing.empty()) << "accepted by the loader but not in deploy/tollgate.example.yaml:\n" << join(missing);
}

}  // namespace
}  // namespace tollgate::app
