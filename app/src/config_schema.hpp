#pragma once
// The loader's key table: for each accepted key, its shape and how its text
// becomes a field of `config`. One entry per key; sections are implied by the
// dotted paths.
#include "tollgate/app/config.hpp"
#include "tollgate/app/config_keys.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace tollgate::app::detail {

/// One scalar from the file after `${ENV}` substitution, with its 1-based line.
struct scalar {
  std::string text;
  int line = 0;
};

/// What a key's handler may use: where it is, and where to report what is wrong.
class key_context {
 public:
  key_context(std::string file, std::filesystem::path base_dir, std::vector<config_problem>& problems)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), problems_(&problems) {}

  /// The same context positioned at the key being converted (its line is used
  /// for problems that concern the whole value, e.g. an empty list).
  key_context at(int key_line) const {
    key_context copy = *this;
    copy.key_line_ = key_line;
    return copy;
  }
  int key_line() const { return key_line_; }

  void fail(std::string_view key, int line, std::string message) const {
    problems_->push_back({file_, line, std::string(key), std::move(message)});
  }
  /// Relative paths in the file are relative to the file's own folder, so a
  /// config works wherever the process was started from.
  std::string resolve(const std::string& path) const {
    if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (base_dir_ / path).lexically_normal().string();
  }

 private:
  std::string file_;
  std::filesystem::path base_dir_;
  std::vector<config_problem>* problems_;
  int key_line_ = 0;
};

struct key_spec {
  config_key_info info;
  bool is_list = false;  ///< the value is a YAML sequence of scalars
  /// Converts and stores the value; reports problems through ctx (never throws).
  std::function<void(config&, const std::vector<scalar>&, const key_context&)> apply;
};

/// The table (built once, in documentation order).
const std::vector<key_spec>& key_specs();

}  // namespace tollgate::app::detail
