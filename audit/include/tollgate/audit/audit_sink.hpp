#pragma once
#include "tollgate/audit/audit_record.hpp"

namespace tollgate::audit {

/// Whether the audit pipeline can take the record of one more request.
enum class admission {
  open,    ///< serve the request
  wait,    ///< queue and spool are full, on_spool_full=block: hold the request and ask again
  reject,  ///< queue and spool are full, on_spool_full=reject: answer 503 (fail closed)
};

/// Where the proxy hands its audit records. Thread-safe; never blocks the caller.
///
/// Lifecycle: the proxy asks admit() before it serves a request; once admitted, the
/// request's records are always taken by record(), even past the queue bound, so an
/// admitted request can never lose its record.
class audit_sink {
 public:
  virtual ~audit_sink() = default;
  virtual admission admit() const = 0;
  virtual void record(audit_record rec) = 0;
};

}  // namespace tollgate::audit
