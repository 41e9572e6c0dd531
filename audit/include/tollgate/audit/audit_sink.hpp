#pragma once
#include "tollgate/audit/audit_record.hpp"

#include <functional>

namespace tollgate::audit {

/// Whether the audit pipeline can take the record of one more request.
enum class admission {
  open,    ///< serve the request
  wait,    ///< queue and spool are full, on_spool_full=block: hold the request until told (admit_or_notify)
  reject,  ///< queue and spool are full, on_spool_full=reject: answer 503 (fail closed)
};

/// Told once that the pipeline may have room again. Called on the thread that made the
/// room (a sink's writer thread): it hands the news on (e.g. posts to an executor) and
/// never blocks or calls back into the sink.
using room_callback = std::function<void()>;

/// Where the proxy hands its audit records. Thread-safe; never blocks the caller.
///
/// Lifecycle: the proxy asks admit() before it serves a request; once admitted, the
/// request's records are always taken by record(), even past the queue bound, so an
/// admitted request can never lose its record. A request told to wait asks again through
/// admit_or_notify(), which tells it when to ask once more instead of it polling.
class audit_sink {
 public:
  virtual ~audit_sink() = default;
  virtual admission admit() const = 0;
  /// admit(); when the answer is wait, `on_room` is kept and called once as soon as the
  /// pipeline may have room (or the sink stops), and the caller asks again then. Never
  /// called when the answer is open or reject.
  virtual admission admit_or_notify(room_callback on_room) = 0;
  virtual void record(audit_record rec) = 0;
};

}  // namespace tollgate::audit
