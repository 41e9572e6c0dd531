#pragma once
#include <cstddef>
#include <string_view>

namespace tollgate::proxy::detail {

/// Outcome of scanning raw request-head bytes before Beast parses them.
enum class head_scan_status {
  incomplete,  ///< no blank line yet; read more
  complete,    ///< head ends at `head_end` (just past CRLF CRLF)
  bad_byte,    ///< NUL, bare CR or bare LF in the head
  obs_fold,    ///< a line starts with SP or HT (obsolete line folding)
};

/// Incremental scanner over a growing buffer. Beast accepts obs-fold and is lenient
/// with some line endings; a proxy must not be, because the origin may read the same
/// bytes differently (request smuggling). So every head is checked byte by byte first.
class head_scanner {
 public:
  /// Scans `data` (the whole unparsed buffer, which only ever grows between calls
  /// until reset()) from where the previous call stopped.
  head_scan_status scan(std::string_view data);
  std::size_t head_end() const { return head_end_; }
  void reset() {
    scanned_ = 0;
    head_end_ = 0;
  }

 private:
  std::size_t scanned_ = 0;
  std::size_t head_end_ = 0;
};

}  // namespace tollgate::proxy::detail
