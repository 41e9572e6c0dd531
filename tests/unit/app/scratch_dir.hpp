#pragma once
#include <string>

namespace tollgate::app::testing {

/// A fresh folder under the temp dir, removed on destruction.
class scratch_dir {
 public:
  scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir();

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Writes `content` to `name` (creating parent folders) and returns its path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

/// Whole content of a file; empty when it cannot be read.
std::string slurp(const std::string& path);

}  // namespace tollgate::app::testing
