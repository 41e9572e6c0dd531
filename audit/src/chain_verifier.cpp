#include "signed_message.hpp"
#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/verify.hpp"

#include <algorithm>

namespace tollgate::audit {

chain_verifier::chain_verifier(std::string instance, std::vector<checkpoint> checkpoints,
                               std::vector<dropped_range> dropped)
    : checkpoints_(std::move(checkpoints)), dropped_(std::move(dropped)), expected_prev_(hash_size, 0) {
  report_.instance = std::move(instance);
  std::stable_sort(checkpoints_.begin(), checkpoints_.end(),
                   [](const checkpoint& a, const checkpoint& b) { return a.seq < b.seq; });
  keep_retained_prefix();
  check_checkpoints_against_retention();
}

void chain_verifier::fail(std::int64_t seq, std::string reason) {
  if (!report_.broken) report_.broken = chain_break{seq, std::move(reason)};
}

// Retention drops the oldest months, so what it removed from a chain is its start:
// the ranges that join up from seq 1. A range past a hole in them would excuse a
// deletion from the middle, so it is dropped from consideration here.
void chain_verifier::keep_retained_prefix() {
  std::sort(dropped_.begin(), dropped_.end(),
            [](const dropped_range& a, const dropped_range& b) { return a.min_seq < b.min_seq; });
  std::vector<dropped_range> prefix;
  for (auto& d : dropped_) {
    if (d.min_seq < 1 || d.max_seq < d.min_seq) continue;
    if (d.min_seq > prefix_end_ + 1) break;
    prefix_end_ = std::max(prefix_end_, d.max_seq);
    prefix_dropped_rows_ += d.rows;
    prefix.push_back(std::move(d));
  }
  dropped_ = std::move(prefix);
}

// Retention only drops rows older than its cutoff; a checkpoint signed after the
// cutoff for a seq it dropped means newer rows were moved into an expiring month.
void chain_verifier::check_checkpoints_against_retention() {
  for (const auto& c : checkpoints_) {
    for (const auto& d : dropped_) {
      if (c.seq < d.min_seq || c.seq > d.max_seq || c.time <= d.cutoff) continue;
      fail(c.seq, "retention dropped seq " + std::to_string(c.seq) + " with " + d.partition + " as older than " +
                      signed_message::rfc3339(to_unix_micros(d.cutoff)) + ", but a checkpoint signed at " +
                      signed_message::rfc3339(to_unix_micros(c.time)) +
                      " names it: rows newer than the retention cutoff were dropped");
      return;
    }
  }
}

void chain_verifier::count_unchecked(std::uint64_t rows, std::int64_t max_seq) {
  report_.records += rows;
  report_.last_seq = std::max(report_.last_seq, max_seq);
}

void chain_verifier::feed(std::int64_t seq, std::string_view encoding, const std::vector<std::uint8_t>& prev_hash,
                          const std::vector<std::uint8_t>& hash) {
  ++report_.records;
  report_.last_seq = std::max(report_.last_seq, seq);
  if (broken()) return;

  if (seq < expected_seq_) {
    fail(seq, "a second row with seq " + std::to_string(seq) + ": a row was inserted");
    return;
  }
  if (seq > expected_seq_) {
    if (seq - 1 > prefix_end_) {
      const auto first = std::max(expected_seq_, prefix_end_ + 1);
      fail(first, seq == first + 1 ? "row missing (deleted): the next row has seq " + std::to_string(seq)
                                   : "rows " + std::to_string(first) + ".." + std::to_string(seq - 1) +
                                         " missing (deleted)");
      return;
    }
    // Retention removed the rows before this one: link to the hash it recorded. (A
    // row left between two dropped ones, whose month was kept, has no such link.)
    expected_prev_ = prev_hash;
    for (const auto& d : dropped_)
      if (d.max_seq == seq - 1) expected_prev_ = d.last_hash;
  }
  if (prev_hash != expected_prev_) {
    fail(seq, "prev_hash does not match the hash of seq " + std::to_string(seq - 1) +
                  ": a row was inserted, reordered or replaced");
    return;
  }
  if ((*hash_)(prev_hash, encoding) != hash) {
    fail(seq, "hash does not match the row's contents: a field was changed");
    return;
  }
  while (next_checkpoint_ < checkpoints_.size() && checkpoints_[next_checkpoint_].seq <= seq) {
    const auto& c = checkpoints_[next_checkpoint_++];
    if (c.seq == seq && c.hash != hash) {
      fail(seq, "hash differs from the signed checkpoint for this seq: the chain was rewritten");
      return;
    }
  }
  if (seq <= prefix_end_) ++prefix_rows_seen_;
  expected_seq_ = seq + 1;
  expected_prev_ = hash;
}

chain_report chain_verifier::finish() {
  if (!broken() && prefix_end_ > 0 && prefix_dropped_rows_ + prefix_rows_seen_ != prefix_end_) {
    fail(1, "retention records account for " + std::to_string(prefix_dropped_rows_) + " row(s) and " +
                std::to_string(prefix_rows_seen_) + " remain of seqs 1.." + std::to_string(prefix_end_) +
                ": rows were removed beside the retention drops");
  }
  const auto end = std::max(expected_seq_ - 1, prefix_end_);
  if (!broken() && !checkpoints_.empty()) {
    const auto& newest = checkpoints_.back();
    if (newest.seq > end) {
      fail(end + 1, "chain ends at seq " + std::to_string(end) + " but a signed checkpoint names seq " +
                        std::to_string(newest.seq) + ": rows were cut from the end");
    }
  }
  return report_;
}

}  // namespace tollgate::audit
