#include "tollgate/testing/recording_audit_sink.hpp"

namespace tollgate::testing {

void recording_audit_sink::record(audit::audit_record r) {
  {
    std::lock_guard lock(mutex_);
    records_.push_back(std::move(r));
  }
  arrived_.notify_all();
}

std::vector<audit::audit_record> recording_audit_sink::wait_for(std::size_t count,
                                                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  arrived_.wait_for(lock, timeout, [&] { return records_.size() >= count; });
  return records_;
}

std::vector<audit::audit_record> recording_audit_sink::records() const {
  std::lock_guard lock(mutex_);
  return records_;
}

}  // namespace tollgate::testing
