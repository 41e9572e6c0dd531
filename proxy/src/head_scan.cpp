#include "head_scan.hpp"

namespace tollgate::proxy::detail {

head_scan_status head_scanner::scan(std::string_view d) {
  std::size_t i = scanned_;
  const std::size_t n = d.size();
  while (i < n) {
    const char c = d[i];
    if (c == '\0' || c == '\n') return head_scan_status::bad_byte;  // bare LF too
    if (c != '\r') {
      ++i;
      continue;
    }
    // CR: must be CRLF; then look at the byte after it.
    if (i + 2 >= n) break;  // need more bytes to judge
    if (d[i + 1] != '\n') return head_scan_status::bad_byte;
    const char next = d[i + 2];
    if (next == ' ' || next == '\t') return head_scan_status::obs_fold;
    if (next == '\r') {
      if (i + 3 >= n) break;
      if (d[i + 3] != '\n') return head_scan_status::bad_byte;
      head_end_ = i + 4;
      scanned_ = head_end_;
      return head_scan_status::complete;
    }
    i += 2;
  }
  scanned_ = i;
  return head_scan_status::incomplete;
}

}  // namespace tollgate::proxy::detail
