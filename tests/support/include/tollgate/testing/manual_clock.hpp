#pragma once
// A clock a test advances by hand (after Seastar's manual_clock), injected wherever the
// code takes a steady_clock_function, so windows and lockouts are tested without sleeps.
#include "tollgate/common/clock.hpp"

#include <atomic>
#include <chrono>

namespace tollgate::testing {

/// Starts far from zero (an epoch of 0 would look like "never" to code that keeps
/// time points); moves only when advance() is called. Thread-safe.
class manual_clock {
 public:
  steady_time now() const { return steady_time(steady_time::duration(ticks_.load())); }
  void advance(std::chrono::nanoseconds d) { ticks_ += std::chrono::duration_cast<steady_time::duration>(d).count(); }
  /// Reads this clock; it must outlive whatever keeps the function.
  steady_clock_function function() const {
    return [this] { return now(); };
  }

 private:
  std::atomic<steady_time::rep> ticks_{
      std::chrono::duration_cast<steady_time::duration>(std::chrono::hours(1000)).count()};
};

}  // namespace tollgate::testing
