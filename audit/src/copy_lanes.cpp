#include "copy_lanes.hpp"

#include <stdexcept>

namespace tollgate::audit {

using steady = std::chrono::steady_clock;

copy_lanes::copy_lanes(std::vector<std::unique_ptr<staged_writer>> writers) {
  if (writers.empty()) throw std::invalid_argument("copy_lanes needs at least one writer");
  lanes_.resize(writers.size());  // never resized again: the threads hold references
  for (std::size_t i = 0; i < writers.size(); ++i) lanes_[i].writer = std::move(writers[i]);
  for (auto& l : lanes_) l.thread = std::thread([this, &l] { run(l); });
}

copy_lanes::~copy_lanes() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& l : lanes_)
    if (l.thread.joinable()) l.thread.join();
}

bool copy_lanes::has_room() const {
  std::lock_guard lock(mutex_);
  return !lanes_[next_ticket_ % lanes_.size()].assigned;
}

std::size_t copy_lanes::in_flight() const {
  std::lock_guard lock(mutex_);
  return flight_.size();
}

void copy_lanes::submit(std::vector<audit_record> batch) {
  {
    std::lock_guard lock(mutex_);
    auto& l = lanes_[next_ticket_ % lanes_.size()];
    if (l.assigned) throw std::logic_error("copy_lanes::submit without room");
    auto j = std::make_shared<job>();
    j->ticket = next_ticket_++;
    j->submitted = steady::now();
    j->result.batch = std::move(batch);
    l.assigned = j;
    flight_.push_back(std::move(j));
  }
  changed_.notify_all();
}

std::vector<copy_lanes::outcome> copy_lanes::take_decided() {
  std::vector<outcome> out;
  while (!flight_.empty() && flight_.front()->decided) {
    out.push_back(std::move(flight_.front()->result));
    flight_.pop_front();
  }
  // Every batch submitted after the failure has come back: the next one starts afresh.
  if (flight_.empty()) failed_ = false;
  return out;
}

std::vector<copy_lanes::outcome> copy_lanes::collect(bool wait) {
  std::unique_lock lock(mutex_);
  if (wait) changed_.wait(lock, [&] { return flight_.empty() || flight_.front()->decided; });
  return take_decided();
}

std::vector<copy_lanes::outcome> copy_lanes::settle() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return flight_.empty() || flight_.back()->decided; });
  return take_decided();
}

void copy_lanes::run(lane& l) {
  for (;;) {
    std::shared_ptr<job> j;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || l.assigned; });
      if (!l.assigned) return;  // stopping, nothing left to do
      j = l.assigned;
    }
    // The copy runs alongside the other lanes' copies; only the commit waits its turn.
    std::string error;
    const auto staged = l.writer->stage(j->result.batch);
    if (!staged) error = staged.error().message;
    bool roll_back = false;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return next_decision_ == j->ticket; });
      roll_back = failed_;
    }
    bool committed = false;
    if (staged && !roll_back) {
      const auto done = l.writer->commit();
      committed = done.has_value();
      if (!done) error = done.error().message;
    } else if (staged) {
      l.writer->abort();
      error = "rolled back because an earlier batch failed";
    }
    {
      std::lock_guard lock(mutex_);
      j->result.committed = committed;
      j->result.error = std::move(error);
      j->result.took = steady::now() - j->submitted;
      j->decided = true;
      if (!committed) failed_ = true;
      ++next_decision_;
      l.assigned.reset();
    }
    changed_.notify_all();
  }
}

}  // namespace tollgate::audit
