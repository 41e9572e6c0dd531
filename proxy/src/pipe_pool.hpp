#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <vector>

namespace tollgate::proxy::detail {

/// Kernel pipes for splice(2) tunnels, lent to a tunnel direction only while bytes
/// are in flight (an idle tunnel holds none), returned empty. One per io thread.
class pipe_pool {
 public:
  static constexpr std::size_t max_free = 64;
  static constexpr int pipe_bytes = 1 << 20;

  /// A pipe's two ends; closes them unless handed back to the pool.
  class pipe {
   public:
    pipe() = default;
    pipe(int r, int w) : read_end_(r), write_end_(w) {}
    pipe(pipe&& o) noexcept : read_end_(o.read_end_), write_end_(o.write_end_) { o.read_end_ = o.write_end_ = -1; }
    pipe& operator=(pipe&& o) noexcept {
      if (this != &o) {
        reset();
        read_end_ = o.read_end_;
        write_end_ = o.write_end_;
        o.read_end_ = o.write_end_ = -1;
      }
      return *this;
    }
    pipe(const pipe&) = delete;
    pipe& operator=(const pipe&) = delete;
    ~pipe() { reset(); }

    explicit operator bool() const { return read_end_ >= 0; }
    int read_end() const { return read_end_; }
    int write_end() const { return write_end_; }
    void reset() {
      if (read_end_ >= 0) ::close(read_end_);
      if (write_end_ >= 0) ::close(write_end_);
      read_end_ = write_end_ = -1;
    }

   private:
    int read_end_ = -1;
    int write_end_ = -1;
  };

  /// An empty pipe, or an empty object when none can be made (errno says why).
  pipe acquire() {
    if (!free_.empty()) {
      pipe p = std::move(free_.back());
      free_.pop_back();
      return p;
    }
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return {};
    // 1 MiB instead of 64 KiB: a sixteenth of the splice calls for bulk transfers
    // (982 -> 1,421 MB/s through a tunnel here). The kernel holds pages only for bytes
    // in flight. Refused beyond /proc/sys/fs/pipe-max-size or a user's pipe-page
    // limits (fs/pipe-user-pages-*); then the default size serves.
    ::fcntl(fds[1], F_SETPIPE_SZ, pipe_bytes);
    return pipe(fds[0], fds[1]);
  }
  /// Only empty pipes come back: bytes left in one would reach another tunnel.
  void release(pipe p, bool empty) {
    if (p && empty && free_.size() < max_free) free_.push_back(std::move(p));
  }

 private:
  std::vector<pipe> free_;
};

}  // namespace tollgate::proxy::detail
