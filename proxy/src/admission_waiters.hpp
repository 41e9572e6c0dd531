#pragma once
#include "tollgate/audit/audit_sink.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace tollgate::proxy::detail {

/// The requests of one io thread that the audit pipeline told to wait for room
/// (on_spool_full=block). The sink is told once per io thread, not once per request;
/// when it has room it rings this thread, and every waiting request asks again.
///
/// Lifecycle: owned by its worker, destroyed before the worker's io_context; a ring
/// that comes later (the sink's writer thread outlives the proxy) is ignored.
/// Everything but the ring is io thread only.
class admission_waiters {
 public:
  explicit admission_waiters(boost::asio::io_context& ioc);
  ~admission_waiters();
  admission_waiters(const admission_waiters&) = delete;
  admission_waiters& operator=(const admission_waiters&) = delete;

  /// The sink's admission. When it is wait, `on_room` is kept and called on this io
  /// thread once the sink may have room; the caller then asks again.
  audit::admission admit_or_wait(audit::audit_sink& sink, std::function<void()> on_room);

  std::size_t waiting() const noexcept { return waiting_.size(); }

 private:
  // Shared with the callback the sink keeps; guarded, so a ring after close() is a no-op.
  struct doorbell {
    std::mutex mutex;
    admission_waiters* owner = nullptr;
    boost::asio::io_context* ioc = nullptr;
    void ring();
  };

  void wake_all();

  std::shared_ptr<doorbell> bell_;
  bool asked_ = false;  // the sink holds our callback and has not rung yet
  std::vector<std::function<void()>> waiting_;
};

}  // namespace tollgate::proxy::detail
