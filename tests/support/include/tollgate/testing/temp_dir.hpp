#pragma once
#include <string>

namespace tollgate::testing {

/// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on
/// destruction unless TOLLGATE_KEEP_TEST_DIRS is set (for post-mortems).
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "tollgate-test");
  temp_dir(temp_dir&& other) noexcept;
  temp_dir& operator=(temp_dir&&) = delete;
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Writes a file below the folder and returns its path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);

}  // namespace tollgate::testing
