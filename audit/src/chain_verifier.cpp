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
}

void chain_verifier::fail(std::int64_t seq, std::string reason) {
  if (!report_.broken) report_.broken = chain_break{seq, std::move(reason)};
}

// Whether every seq in [from, to] was removed by retention.
bool chain_verifier::dropped_gap(std::int64_t from, std::int64_t to) const {
  std::int64_t covered = from;
  bool progress = true;
  while (covered <= to && progress) {
    progress = false;
    for (const auto& d : dropped_) {
      if (d.min_seq <= covered && d.max_seq >= covered) {
        covered = d.max_seq + 1;
        progress = true;
      }
    }
  }
  return covered > to;
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
    if (!dropped_gap(expected_seq_, seq - 1)) {
      fail(expected_seq_, seq == expected_seq_ + 1
                              ? "row missing (deleted): the next row has seq " + std::to_string(seq)
                              : "rows " + std::to_string(expected_seq_) + ".." + std::to_string(seq - 1) +
                                    " missing (deleted)");
      return;
    }
    // Retention removed the rows before this one: link to the hash it recorded, if any.
    expected_prev_ = prev_hash;
    for (const auto& d : dropped_)
      if (d.max_seq == seq - 1 && !d.last_hash.empty()) expected_prev_ = d.last_hash;
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
  expected_seq_ = seq + 1;
  expected_prev_ = hash;
}

chain_report chain_verifier::finish() {
  if (!broken() && !checkpoints_.empty()) {
    const auto& newest = checkpoints_.back();
    if (newest.seq >= expected_seq_) {
      fail(expected_seq_, "chain ends at seq " + std::to_string(expected_seq_ - 1) +
                              " but a signed checkpoint names seq " + std::to_string(newest.seq) +
                              ": rows were cut from the end");
    }
  }
  return report_;
}

}  // namespace tollgate::audit
