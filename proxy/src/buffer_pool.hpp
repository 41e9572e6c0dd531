#pragma once
#include <cstddef>
#include <memory>
#include <vector>

namespace tollgate::proxy::detail {

/// Large relay buffers, lent to a connection only while a body or tunnel is moving,
/// so idle keep-alive connections cost a few KiB instead of 64. One per io thread.
class buffer_pool {
 public:
  static constexpr std::size_t block_size = 64 * 1024;
  static constexpr std::size_t max_free = 256;  // 16 MiB kept for reuse at most
  using block = std::unique_ptr<char[]>;

  block acquire() {
    if (free_.empty()) return block(new char[block_size]);
    block b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void release(block b) {
    if (b && free_.size() < max_free) free_.push_back(std::move(b));
  }

 private:
  std::vector<block> free_;
};

}  // namespace tollgate::proxy::detail
