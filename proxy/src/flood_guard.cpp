#include "flood_guard.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>

namespace tollgate::proxy::detail {

namespace {

// A client past its rate needs no more than this many (decision, status) kinds per
// interval: pre-authentication answers are 407, 429 and a handful of 4xx/5xx. Should
// more ever meet, they are counted in the last kind, so the entry stays bounded.
constexpr std::size_t max_kinds_per_client = 8;
constexpr std::size_t shard_count = 16;

bool trim_field(std::string& s, std::string_view name, std::string& note) {
  if (s.size() <= unauthenticated_field_max) return false;
  std::size_t cut = unauthenticated_field_max;
  // Never split a UTF-8 sequence: back up to the start of the character at the cut.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  note.append(note.empty() ? "truncated: " : ", ").append(name);
  note.append(" (").append(std::to_string(s.size())).append(" bytes)");
  s.resize(cut);
  s.shrink_to_fit();  // the queued record holds the short string, not the long one's buffer
  return true;
}

struct bucket {
  double tokens = 0;
  flood_guard::clock::time_point at{};

  void refill(double rate, double burst, flood_guard::clock::time_point now) {
    const double dt = std::chrono::duration<double>(now - at).count();
    if (dt > 0) tokens = std::min(burst, tokens + rate * dt);
    tokens = std::min(tokens, burst);  // a reload may have lowered the burst
    at = std::max(at, now);
  }
  bool take(double rate, double burst, flood_guard::clock::time_point now) {
    refill(rate, burst, now);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
};

// What an aggregate needs to become a row; no copy of the requests' strings.
struct aggregate {
  std::string decision;  // a short word: held inline (no allocation)
  int status = 0;
  std::uint64_t count = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  std::chrono::system_clock::time_point first_ts{};
  flood_guard::clock::time_point first_seen{};
  flood_guard::clock::time_point last_seen{};
  boost::asio::ip::address address;
  std::uint16_t port = 0;
};

struct entry {
  bucket records;
  bucket challenges;
  flood_guard::clock::time_point last_seen{};
  std::vector<aggregate> pending;
};

struct key_hash {
  std::size_t operator()(const client_key& k) const noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (const auto b : k.bytes) h = (h ^ b) * 1099511628211ull;
    return static_cast<std::size_t>(h);
  }
};

struct shard {
  std::mutex mutex;
  std::unordered_map<client_key, entry, key_hash> entries;
};

double per_second(unsigned v) { return static_cast<double>(v); }
double burst_of(unsigned burst) { return static_cast<double>(std::max(1u, burst)); }

}  // namespace

client_key key_of(const boost::asio::ip::address& a) noexcept {
  client_key k;
  if (a.is_v6() && !a.to_v6().is_v4_mapped()) {
    const auto b = a.to_v6().to_bytes();
    k.bytes[0] = 6;
    std::copy(b.begin(), b.begin() + 8, k.bytes.begin() + 1);
    return k;
  }
  const auto b = a.is_v4() ? a.to_v4().to_bytes()
                           : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_bytes();
  k.bytes[0] = 4;
  std::copy(b.begin(), b.end(), k.bytes.begin() + 1);
  return k;
}

bool trim_unauthenticated(audit::audit_record& r) {
  std::string note;
  bool cut = trim_field(r.path, "path", note);
  cut = trim_field(r.user_agent, "user_agent", note) || cut;
  cut = trim_field(r.username, "username", note) || cut;
  cut = trim_field(r.method, "method", note) || cut;
  cut = trim_field(r.host, "host", note) || cut;
  if (!cut) return false;
  r.error = r.error.empty() ? std::move(note) : r.error + "; " + note;
  return true;
}

struct flood_guard::impl {
  explicit impl(prometheus::Registry& r)
      : aggregated(prometheus::BuildCounter()
                       .Name("tollgate_audit_records_aggregated_total")
                       .Help("Requests that did not authenticate, past their client's record rate, counted in an "
                             "aggregate audit record instead of one each (not lost: the aggregate carries the count)")
                       .Register(r)
                       .Add({})),
        truncated(prometheus::BuildCounter()
                      .Name("tollgate_audit_records_truncated_total")
                      .Help("Audit records of requests that did not authenticate whose path, user agent, user name, "
                            "method or host was cut to 256 bytes")
                      .Register(r)
                      .Add({})),
        throttled(prometheus::BuildCounter()
                      .Name("tollgate_auth_throttled_total")
                      .Help("Requests answered 429 without asking the directory: their client had used up its 407s")
                      .Register(r)
                      .Add({})),
        tracked_gauge(prometheus::BuildGauge()
                          .Name("tollgate_flood_tracked_clients")
                          .Help("Client addresses (IPv6: /64 prefixes) whose unauthenticated traffic is tracked")
                          .Register(r)
                          .Add({})) {}

  prometheus::Counter& aggregated;
  prometheus::Counter& truncated;
  prometheus::Counter& throttled;
  prometheus::Gauge& tracked_gauge;

  std::array<shard, shard_count> shards;
  std::atomic<std::size_t> count{0};
  std::mutex overflow_mutex;
  entry overflow;  // every client past tracked_clients
  bool overflow_started = false;

  // Runs f(entry&) under the lock of the client's entry, made if new.
  template <class F>
  auto with_entry(const client_key& key, const flood_options& limits, clock::time_point now, F&& f) {
    auto& s = shards[key_hash{}(key) % shard_count];
    {
      std::lock_guard lock(s.mutex);
      auto it = s.entries.find(key);
      if (it == s.entries.end() && count.fetch_add(1, std::memory_order_relaxed) < limits.tracked_clients) {
        it = s.entries.emplace(key, fresh(limits, now)).first;
      } else if (it == s.entries.end()) {
        count.fetch_sub(1, std::memory_order_relaxed);
      }
      if (it != s.entries.end()) return f(it->second);
    }
    std::lock_guard lock(overflow_mutex);
    if (!overflow_started) {
      overflow = fresh(limits, now);
      overflow_started = true;
    }
    return f(overflow);
  }

  static entry fresh(const flood_options& limits, clock::time_point now) {
    entry e;
    e.records = {burst_of(limits.records_burst), now};
    e.challenges = {burst_of(limits.challenge_burst), now};
    e.last_seen = now;
    return e;
  }

  // How long an untouched entry takes to refill both buckets (the challenge bucket from
  // its deepest debt): after that it equals a fresh one and can be forgotten.
  static clock::duration refill_time(const flood_options& limits) {
    double seconds = 0;
    if (limits.records_per_second > 0)
      seconds = std::max(seconds, burst_of(limits.records_burst) / per_second(limits.records_per_second));
    if (limits.challenges_per_second > 0)
      seconds = std::max(seconds, 2 * burst_of(limits.challenge_burst) / per_second(limits.challenges_per_second));
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds)) +
           std::chrono::seconds(1);
  }

  static void fold(entry& e, const audit::audit_record& rec, const boost::asio::ip::address& client,
                   clock::time_point now) {
    auto it = std::find_if(e.pending.begin(), e.pending.end(),
                           [&](const aggregate& a) { return a.status == rec.status && a.decision == rec.decision; });
    if (it == e.pending.end() && e.pending.size() < max_kinds_per_client) {
      aggregate a;
      a.decision = rec.decision;
      a.status = rec.status;
      a.first_ts = rec.ts;
      a.first_seen = now;
      a.address = client;
      a.port = rec.client_port;
      e.pending.push_back(std::move(a));
      it = e.pending.end() - 1;
    } else if (it == e.pending.end()) {
      it = e.pending.end() - 1;
    }
    it->count += 1;
    it->bytes_up += rec.bytes_up;
    it->bytes_down += rec.bytes_down;
    it->last_seen = std::max(it->last_seen, now);
  }

  static audit::audit_record to_record(const aggregate& a, bool shared_entry) {
    audit::audit_record r;
    r.ts = a.first_ts;
    r.event = audit::audit_event::request;
    r.client_ip = a.address.to_string();
    r.client_port = a.port;
    r.status = a.status;
    r.decision = a.decision;
    r.bytes_up = a.bytes_up;
    r.bytes_down = a.bytes_down;
    r.duration_us = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(a.last_seen - a.first_seen).count());
    r.error = "aggregate of " + std::to_string(a.count) + " requests over the per-client rate";
    if (shared_entry) r.error += " (client table full: counted with other clients past it)";
    return r;
  }

  void emit_due(entry& e, const flood_options& limits, clock::time_point now, bool queue_open, bool everything,
                bool shared_entry, std::vector<audit::audit_record>& out) {
    auto due = [&](const aggregate& a) {
      return everything || (queue_open && now - a.first_seen >= limits.aggregate_interval);
    };
    for (const auto& a : e.pending)
      if (due(a)) out.push_back(to_record(a, shared_entry));
    std::erase_if(e.pending, due);
  }
};

flood_guard::flood_guard(prometheus::Registry& registry) : impl_(std::make_unique<impl>(registry)) {}
flood_guard::~flood_guard() = default;

bool flood_guard::pass_record(audit::audit_record& rec, const boost::asio::ip::address& client, bool queue_open,
                              const flood_options& limits, clock::time_point now) {
  if (trim_unauthenticated(rec)) impl_->truncated.Increment();
  const bool alone = impl_->with_entry(key_of(client), limits, now, [&](entry& e) {
    e.last_seen = std::max(e.last_seen, now);
    if (queue_open &&
        e.records.take(per_second(limits.records_per_second), burst_of(limits.records_burst), now))
      return true;
    impl::fold(e, rec, client, now);
    return false;
  });
  if (!alone) impl_->aggregated.Increment();
  return alone;
}

bool flood_guard::challenge_allowed(const boost::asio::ip::address& client, const flood_options& limits,
                                    clock::time_point now) {
  if (limits.challenges_per_second == 0) return true;
  const bool ok = impl_->with_entry(key_of(client), limits, now, [&](entry& e) {
    e.last_seen = std::max(e.last_seen, now);
    e.challenges.refill(per_second(limits.challenges_per_second), burst_of(limits.challenge_burst), now);
    return e.challenges.tokens >= 1;
  });
  if (!ok) impl_->throttled.Increment();
  return ok;
}

void flood_guard::charge_challenge(const boost::asio::ip::address& client, const flood_options& limits,
                                   clock::time_point now) {
  if (limits.challenges_per_second == 0) return;
  impl_->with_entry(key_of(client), limits, now, [&](entry& e) {
    e.last_seen = std::max(e.last_seen, now);
    const double burst = burst_of(limits.challenge_burst);
    e.challenges.refill(per_second(limits.challenges_per_second), burst, now);
    e.challenges.tokens = std::max(-burst, e.challenges.tokens - 1);
  });
}

std::vector<audit::audit_record> flood_guard::sweep(const flood_options& limits, clock::time_point now,
                                                    bool queue_open, bool everything) {
  std::vector<audit::audit_record> out;
  const auto idle_after = impl::refill_time(limits);
  for (auto& s : impl_->shards) {
    std::lock_guard lock(s.mutex);
    for (auto it = s.entries.begin(); it != s.entries.end();) {
      impl_->emit_due(it->second, limits, now, queue_open, everything, false, out);
      if (it->second.pending.empty() && now - it->second.last_seen >= idle_after) {
        it = s.entries.erase(it);
        impl_->count.fetch_sub(1, std::memory_order_relaxed);
      } else {
        ++it;
      }
    }
  }
  {
    std::lock_guard lock(impl_->overflow_mutex);
    impl_->emit_due(impl_->overflow, limits, now, queue_open, everything, true, out);
  }
  impl_->tracked_gauge.Set(static_cast<double>(tracked()));
  return out;
}

std::size_t flood_guard::tracked() const { return impl_->count.load(std::memory_order_relaxed); }

}  // namespace tollgate::proxy::detail
