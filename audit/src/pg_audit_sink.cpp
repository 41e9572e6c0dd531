#include "tollgate/audit/pg_audit_sink.hpp"

#include "audit_metrics.hpp"
#include "copy_lanes.hpp"
#include "tollgate/audit/room_waiters.hpp"
#include "pg_writer.hpp"
#include "record_queue.hpp"
#include "spool.hpp"
#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/chain.hpp"
#include "tollgate/audit/checkpoint.hpp"
#include "tollgate/audit/table_upkeep.hpp"
#include "tollgate/pg/connect.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace tollgate::audit {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

std::string_view to_string(audit_health h) noexcept {
  switch (h) {
    case audit_health::ok: return "ok";
    case audit_health::degraded: return "degraded";
    case audit_health::down: return "down";
  }
  return "down";
}

struct pg_audit_sink::impl {
  impl(const options& o, std::string inst, prometheus::Registry& registry)
      : opts(o),
        instance(std::move(inst)),
        metrics(registry),
        queue(o.queue_capacity, static_cast<std::size_t>(o.queue_max_bytes)),
        pg(o.dsn),
        lanes(lane_writers(o.dsn, o.writer_connections)) {}

  static std::vector<std::unique_ptr<staged_writer>> lane_writers(const std::string& dsn, std::size_t count) {
    std::vector<std::unique_ptr<staged_writer>> writers;
    for (std::size_t i = 0; i < count; ++i) writers.push_back(std::make_unique<pg_writer>(dsn));
    return writers;
  }

  options opts;
  std::string instance;
  audit_metrics metrics;
  record_queue queue;
  room_waiters waiting;  // requests told to wait: told again when a take() makes room

  // Writer thread only.
  std::unique_ptr<spool> spool_;
  pg_writer pg;      // start-up head and spool replay; fresh batches go through the lanes
  copy_lanes lanes;  // fresh batches, several at once, committed in seq order
  std::unique_ptr<checkpoint_signer> signer;
  chain_hasher hasher;
  chain_head head;     // newest sealed record
  chain_head pg_head;  // newest record PostgreSQL has committed (rows reach it in seq order)
  std::int64_t checkpointed_seq = 0;
  steady::time_point next_pg_attempt{};
  steady::duration backoff = 100ms;
  bool pg_down_logged = false;

  // Read by admit()/health() on any thread.
  std::atomic<bool> pg_up{false};
  std::atomic<bool> spool_pending{false};
  std::atomic<bool> spool_full{false};
  std::atomic<std::uint64_t> spool_quarantined{0};
  std::atomic<bool> stopped{false};

  std::thread writer;
  std::thread upkeep;
  std::mutex upkeep_mutex;
  std::condition_variable upkeep_cv;
  bool upkeep_stop = false;
  std::mutex stop_mutex;

  bool pg_available() const { return steady::now() >= next_pg_attempt; }

  void mark_pg_down(const std::string& error) {
    pg_up = false;
    next_pg_attempt = steady::now() + backoff;
    backoff = std::min<steady::duration>(backoff * 2, 5s);
    if (!pg_down_logged) {
      spdlog::warn("audit: PostgreSQL write failed, records go to the spool until it is back: {}", error);
      pg_down_logged = true;
    }
  }

  void mark_pg_up() {
    if (pg_down_logged) spdlog::info("audit: PostgreSQL is back; replaying the spool");
    pg_down_logged = false;
    pg_up = true;
    backoff = 100ms;
    next_pg_attempt = {};
  }

  // A batch ending in `last` is committed (`rows` of it new); so is every record before it.
  void book_written(std::size_t rows, steady::duration took, const audit_record& last) {
    metrics.batch_write_seconds.Observe(std::chrono::duration<double>(took).count());
    metrics.written.Increment(static_cast<double>(rows));
    mark_pg_up();
    if (last.seq > pg_head.seq) pg_head = {last.seq, last.hash};
    if (signer && pg_head.seq - checkpointed_seq >= static_cast<std::int64_t>(opts.checkpoint_every))
      write_checkpoint();
  }

  // Books the batches the lanes have decided, oldest first. Failed ones (and those
  // rolled back behind them) go back into `held` in seq order: it may hold newer
  // records taken since, and older ones that came back before (a batch can be
  // submitted between a failure and the writer learning of it).
  void absorb(std::vector<copy_lanes::outcome> done, std::vector<audit_record>& held) {
    std::size_t returned = 0;
    const auto old_end = held.size();
    for (auto& o : done) {
      if (!o.committed) {
        if (returned == 0) mark_pg_down(o.error);  // once: the ones behind it failed with it
        returned += o.batch.size();
        held.insert(held.end(), std::make_move_iterator(o.batch.begin()), std::make_move_iterator(o.batch.end()));
        continue;
      }
      book_written(o.batch.size(), o.took, o.batch.back());
      spool_->save_head({o.batch.back().seq, o.batch.back().hash});
    }
    if (returned == 0) return;
    std::inplace_merge(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(old_end), held.end(),
                       [](const audit_record& a, const audit_record& b) { return a.seq < b.seq; });
  }

  // A spooled batch, maybe partly in PostgreSQL already (idempotent insert).
  bool replay_to_pg(const std::vector<audit_record>& batch) {
    const auto t0 = steady::now();
    const auto inserted = pg.write(batch, pg_writer::batch_kind::replay);
    if (!inserted) {
      mark_pg_down(inserted.error().message);
      return false;
    }
    book_written(*inserted, steady::now() - t0, batch.back());
    return true;
  }

  void write_checkpoint() {
    if (!signer || pg_head.seq <= checkpointed_seq) return;
    checkpoint c{instance, pg_head.seq, pg_head.hash, std::chrono::system_clock::now(), {}};
    signer->sign(c);
    const auto line = to_line(c);
    if (auto saved = append_checkpoint(opts.checkpoint_file, c); !saved)
      spdlog::error("audit: checkpoint not saved: {}", saved.error().message());
    spdlog::info("audit checkpoint {}", line);
    checkpointed_seq = c.seq;
  }

  // Several spooled batches per turn against one fresh batch taken: the spool shrinks
  // even while records arrive as fast as the writer takes them. One per turn kept it
  // at its size for as long as such a flood lasted (e.g. clients retrying 503s).
  static constexpr int replay_batches_per_turn = 8;
  void replay_some() {
    for (int i = 0; i < replay_batches_per_turn && spool_->has_pending() && pg_available(); ++i) replay_one();
  }

  void replay_one() {
    auto batch = spool_->peek(opts.batch_max);
    if (batch.empty()) {
      spool_->consume();  // only an unreadable remainder: nothing to send
    } else if (replay_to_pg(batch)) {
      spool_->consume();
    }
    spool_pending = spool_->has_pending();
    metrics.spool_bytes.Set(static_cast<double>(spool_->bytes()));
    note_quarantine();
  }

  void note_quarantine() {
    spool_quarantined = spool_->quarantined_files();
    metrics.spool_quarantined.Set(static_cast<double>(spool_quarantined.load()));
  }

  // Sends `held` to PostgreSQL through the lanes, or makes it durable in the spool;
  // leaves it as is when neither can take it.
  void place(std::vector<audit_record>& held, bool draining) {
    const bool behind = queue.behind();
    if (!spool_->has_pending() && !behind && pg_available()) {
      if (!lanes.has_room()) absorb(lanes.collect(true), held);
      if (pg_available() && lanes.has_room()) {
        lanes.submit(std::move(held));
        held.clear();
        return;
      }
    }
    // The spool and its replay keep seq order only while no batch is in flight.
    absorb(lanes.settle(), held);
    const auto ec = spool_->append(held, draining);  // at shutdown the bound gives way: never lose
    if (!ec) {
      metrics.spooled.Increment(static_cast<double>(held.size()));
      held.clear();
      spool_->save_head(head);
      spool_full = false;
      spool_pending = true;
      metrics.spool_bytes.Set(static_cast<double>(spool_->bytes()));
      return;
    }
    if (draining) {
      spdlog::error("audit: {} record(s) (seq {}..{}) reached neither PostgreSQL nor the spool: {}", held.size(),
                    held.front().seq, held.back().seq, ec.message());
      metrics.lost.Increment(static_cast<double>(held.size()));
      held.clear();
      return;
    }
    if (!spool_full) spdlog::error("audit: spool full ({} bytes) and PostgreSQL unavailable: {}", spool_->bytes(), ec.message());
    spool_full = true;
  }

  void run() {
    std::vector<audit_record> held;  // sealed records not yet durable
    for (;;) {
      const bool closed = queue.closed();
      absorb(lanes.collect(false), held);
      if (held.empty()) {
        const bool replay_due = spool_->has_pending() && pg_available();
        auto raw = queue.take(opts.batch_max, replay_due ? steady::duration::zero()
                                                         : steady::duration(opts.flush_interval));
        metrics.queue_depth.Set(static_cast<double>(queue.size()));
        metrics.queue_bytes.Set(static_cast<double>(queue.bytes()));
        if (!raw.empty() && !queue.at_capacity()) waiting.notify();
        for (auto& r : raw) {
          sanitize(r);
          chain_append(head, instance, r, hasher);
        }
        held = std::move(raw);
        if (held.empty() && closed) break;  // closed before the take: nothing more can come
      }
      if (spool_->has_pending() && pg_available()) {
        absorb(lanes.settle(), held);
        replay_some();
      }
      if (!held.empty()) place(held, closed);
      if (!held.empty()) std::this_thread::sleep_for(std::min<steady::duration>(backoff, 100ms));
    }
    // Closed and drained: what is still in flight lands, or comes back and is spooled.
    for (;;) {
      absorb(lanes.settle(), held);
      if (held.empty()) break;
      place(held, true);
    }
    write_checkpoint();
    spool_->save_head(head);
  }

  void run_upkeep() {
    const auto dsn = opts.admin_dsn.empty() ? opts.dsn : opts.admin_dsn;
    std::unique_lock lock(upkeep_mutex);
    while (!upkeep_stop) {
      lock.unlock();
      try {
        const auto report = run_table_upkeep(pg::with_connect_timeout(dsn, 5), opts.retention_months,
                                             std::chrono::system_clock::now(), signer.get());
        for (const auto& name : report.dropped) spdlog::info("audit: retention dropped partition {}", name);
        if (!report.retention_refused.empty()) spdlog::warn("audit: retention: {}", report.retention_refused);
      } catch (const std::exception& e) {
        spdlog::warn("audit: partition upkeep failed (will retry): {}", e.what());
      }
      lock.lock();
      upkeep_cv.wait_for(lock, 1h, [&] { return upkeep_stop; });
    }
  }
};

namespace {

// The failure with the config key it concerns in front, for the operator.
failure in_key(std::string_view key, const failure& f) {
  return failure{f.code, std::string(key) + ": " + f.message()};
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "tollgate";
  return buf;
}

}  // namespace

pg_audit_sink::pg_audit_sink(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

result<std::unique_ptr<pg_audit_sink>> pg_audit_sink::create(const options& opts, prometheus::Registry& registry) {
  auto i = std::make_unique<impl>(opts, opts.instance.empty() ? host_name() : opts.instance, registry);

  if (!opts.signing_key_file.empty()) {
    if (opts.create_signing_key) {
      const auto created = ensure_signing_key(opts.signing_key_file);
      if (!created) return in_key("audit.signing_key_file", created.error());
      if (*created)
        spdlog::warn("audit: generated the checkpoint signing key {} (keep a copy: audit verify needs it)",
                     opts.signing_key_file);
    }
    auto signer = checkpoint_signer::load(opts.signing_key_file);
    if (!signer) return in_key("audit.signing_key_file", signer.error());
    i->signer = std::move(*signer);
  } else {
    spdlog::warn("audit: no signing_key_file: no checkpoints, so rows cut from the end of the chain go unnoticed");
  }

  auto opened = spool::open(opts.spool_dir, i->instance, opts.spool_max_bytes);
  if (!opened) return in_key("audit.spool_dir", opened.error());
  i->spool_ = std::move(*opened);

  i->head = i->spool_->head();
  if (const auto saved = i->spool_->saved_head(); saved.seq > i->head.seq) i->head = saved;
  if (const auto pg_head = i->pg.read_head(i->instance)) {
    i->pg_head = *pg_head;
    i->checkpointed_seq = pg_head->seq;
    if (pg_head->seq > i->head.seq) i->head = *pg_head;
    i->pg_up = true;
  } else {
    i->mark_pg_down(pg_head.error().message);
    spdlog::warn("audit: chain {} continues from the spool at seq {}", i->instance, i->head.seq);
  }
  i->spool_pending = i->spool_->has_pending();
  i->metrics.spool_bytes.Set(static_cast<double>(i->spool_->bytes()));
  i->note_quarantine();
  spdlog::info("audit: instance {} starts after seq {} ({} record(s) to replay from the spool)", i->instance,
               i->head.seq, i->spool_->pending_records());

  auto* raw = i.get();
  raw->writer = std::thread([raw] { raw->run(); });
  raw->upkeep = std::thread([raw] { raw->run_upkeep(); });
  return std::unique_ptr<pg_audit_sink>(new pg_audit_sink(std::move(i)));
}

pg_audit_sink::~pg_audit_sink() { stop(); }

admission pg_audit_sink::admit() const {
  if (!impl_->queue.at_capacity() && !impl_->stopped.load(std::memory_order_relaxed)) return admission::open;
  return impl_->opts.on_spool_full == spool_full_mode::block ? admission::wait : admission::reject;
}

admission pg_audit_sink::admit_or_notify(room_callback on_room) {
  return impl_->waiting.admit_or_keep([this] { return admit(); }, std::move(on_room));
}

void pg_audit_sink::record(audit_record rec) {
  if (!impl_->queue.push(std::move(rec))) {
    impl_->metrics.lost.Increment();
    spdlog::error("audit: a record arrived after stop() and cannot be written");
    return;
  }
  impl_->metrics.queue_depth.Set(static_cast<double>(impl_->queue.size()));
  impl_->metrics.queue_bytes.Set(static_cast<double>(impl_->queue.bytes()));
}

void pg_audit_sink::stop() {
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->stopped.exchange(true)) return;
  impl_->queue.close();
  impl_->waiting.notify();  // no room will come: let the waiting ask again (and hear wait or reject)
  if (impl_->writer.joinable()) impl_->writer.join();
  impl_->spool_.reset();  // releases the spool lock: a successor may take over at once
  {
    std::lock_guard ul(impl_->upkeep_mutex);
    impl_->upkeep_stop = true;
  }
  impl_->upkeep_cv.notify_all();
  if (impl_->upkeep.joinable()) impl_->upkeep.join();
  impl_->metrics.queue_depth.Set(0);
  impl_->metrics.queue_bytes.Set(0);
}

audit_health pg_audit_sink::health() const {
  if (impl_->stopped) return audit_health::down;
  if (impl_->spool_full || impl_->queue.at_capacity()) return audit_health::down;
  // A quarantined spool file holds records only an operator can recover.
  if (!impl_->pg_up || impl_->spool_pending || impl_->spool_quarantined > 0) return audit_health::degraded;
  return audit_health::ok;
}

const std::string& pg_audit_sink::instance() const noexcept { return impl_->instance; }

}  // namespace tollgate::audit
