#include "record_path.hpp"

#include "worker.hpp"

namespace tollgate::proxy::detail {

void file_record(shared_state& shared, const options& opts, const boost::asio::ip::address& client,
                 audit::audit_record rec, const request_end& end) {
  rec.status = end.status;
  rec.decision.assign(to_string(end.outcome));
  rec.error.assign(end.error);
  rec.duration_us =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(end.elapsed).count());
  auto& m = shared.m;
  m.requests_for(end.outcome).Increment();
  // A tunnel's lifetime is no request latency: keep it out of the histogram.
  if (rec.event == audit::audit_event::request)
    m.request_duration.Observe(std::chrono::duration<double>(end.elapsed).count());
  m.bytes_up.Increment(static_cast<double>(rec.bytes_up));
  m.bytes_down.Increment(static_cast<double>(rec.bytes_down));
  // A request that never authenticated costs its client a bounded record, and past the
  // client's rate only a count in an aggregate record (flood_guard); authenticated
  // requests are always written whole, one record each.
  if (!end.authenticated) {
    const bool open = shared.deps.audit.admit() == audit::admission::open;
    if (!shared.flood.pass_record(rec, client, open, opts.flood, shared.now())) return;
  }
  shared.deps.audit.record(std::move(rec));
}

}  // namespace tollgate::proxy::detail
