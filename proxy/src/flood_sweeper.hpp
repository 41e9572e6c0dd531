#pragma once
#include <boost/asio/steady_timer.hpp>

namespace tollgate::proxy::detail {

class worker;

/// Hands the flood guard's due aggregate records to the audit sink: a timer on one io
/// thread while the server runs, and one last sweep of every pending aggregate when it
/// has stopped, so that every counted request reaches the audit trail.
///
/// Lifecycle: start() once the server starts; stop() before the io threads are released
/// (it cancels the timer on its thread); flush_all() after they have joined.
class flood_sweeper {
 public:
  explicit flood_sweeper(worker& w);

  void start();
  void stop();
  void flush_all();

 private:
  void arm();
  void sweep(bool everything);

  worker& worker_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;  // io thread only
};

}  // namespace tollgate::proxy::detail
