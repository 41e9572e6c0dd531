#include "audit_metrics.hpp"

namespace tollgate::audit {

audit_metrics::audit_metrics(prometheus::Registry& r)
    : queue_depth(prometheus::BuildGauge()
                      .Name("tollgate_audit_queue_depth")
                      .Help("Audit records waiting in memory for the writer")
                      .Register(r)
                      .Add({})),
      queue_bytes(prometheus::BuildGauge()
                      .Name("tollgate_audit_queue_bytes")
                      .Help("Bytes the audit records waiting in memory hold (bounded by audit.queue_max_bytes)")
                      .Register(r)
                      .Add({})),
      spool_bytes(prometheus::BuildGauge()
                      .Name("tollgate_audit_spool_bytes")
                      .Help("Bytes in the audit spool waiting for PostgreSQL")
                      .Register(r)
                      .Add({})),
      spool_quarantined(prometheus::BuildGauge()
                            .Name("tollgate_audit_spool_quarantined_files")
                            .Help("Damaged audit spool files set aside (*.quarantined) for an operator to inspect; "
                                  "readyz shows audit degraded while any is there")
                            .Register(r)
                            .Add({})),
      written(prometheus::BuildCounter()
                  .Name("tollgate_audit_records_written_total")
                  .Help("Audit records written to PostgreSQL (replays included)")
                  .Register(r)
                  .Add({})),
      spooled(prometheus::BuildCounter()
                  .Name("tollgate_audit_records_spooled_total")
                  .Help("Audit records written to the local spool because PostgreSQL was down or slow")
                  .Register(r)
                  .Add({})),
      lost(prometheus::BuildCounter()
               .Name("tollgate_audit_records_lost_total")
               .Help("Audit records that reached neither PostgreSQL nor the spool (must stay 0)")
               .Register(r)
               .Add({})),
      batch_write_seconds(prometheus::BuildHistogram()
                              .Name("tollgate_audit_batch_write_seconds")
                              .Help("Time to write one batch to PostgreSQL")
                              .Register(r)
                              .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                               0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})) {}

}  // namespace tollgate::audit
