#pragma once
#include <chrono>
#include <functional>

namespace tollgate {

/// The time that windows, expiries and lockouts are measured in.
using steady_time = std::chrono::steady_clock::time_point;

/// Where a component reads steady time for windows, expiries and lockouts. Production
/// passes steady_clock_now (the default of every option or constructor that takes one);
/// tests pass a manual clock they advance, so time-dependent behaviour needs no sleeps.
/// Asio timers (read deadlines, timeouts) keep the real clock.
using steady_clock_function = std::function<steady_time()>;

/// The real clock, for defaults.
inline steady_time steady_clock_now() { return std::chrono::steady_clock::now(); }

}  // namespace tollgate
