#pragma once
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace tollgate::audit {

/// Every metric of the audit pipeline (the metric names are a contract: tests/deploy/deploy_check.py lists them). No label carries a
/// user or host.
struct audit_metrics {
  explicit audit_metrics(prometheus::Registry& registry);

  prometheus::Gauge& queue_depth;
  prometheus::Gauge& queue_bytes;  ///< memory the queued records hold (record_bytes())
  prometheus::Gauge& spool_bytes;
  prometheus::Gauge& spool_quarantined;  ///< damaged spool files set aside for an operator
  prometheus::Counter& written;
  prometheus::Counter& spooled;
  prometheus::Counter& lost;
  prometheus::Histogram& batch_write_seconds;
};

}  // namespace tollgate::audit
