#include "admission_waiters.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <optional>
#include <thread>

namespace tollgate::proxy::detail {
namespace {

using audit::admission;

// A sink whose answer the test sets; it keeps the callbacks it is given, like a real one.
class scripted_sink final : public audit::audit_sink {
 public:
  admission answer = admission::wait;
  std::vector<audit::room_callback> kept;
  int asked_plain = 0;

  admission admit() const override {
    ++const_cast<scripted_sink*>(this)->asked_plain;
    return answer;
  }
  admission admit_or_notify(audit::room_callback on_room) override {
    if (answer == admission::wait) kept.push_back(std::move(on_room));
    return answer;
  }
  void record(audit::audit_record) override {}

  void make_room() {
    answer = admission::open;
    auto ready = std::move(kept);
    kept.clear();
    for (auto& r : ready) r();
  }
};

TEST(admission_waiters, an_open_answer_keeps_nothing) {
  boost::asio::io_context ioc;
  admission_waiters w(ioc);
  scripted_sink sink;
  sink.answer = admission::open;
  int woken = 0;
  EXPECT_EQ(w.admit_or_wait(sink, [&] { ++woken; }), admission::open);
  EXPECT_EQ(w.waiting(), 0u);
  EXPECT_TRUE(sink.kept.empty());
}

// Many waiting requests on one io thread cost the sink one callback, and all of them
// are woken on the io thread (not the sink's) when it rings.
TEST(admission_waiters, one_ring_per_thread_wakes_every_waiting_request) {
  boost::asio::io_context ioc;
  admission_waiters w(ioc);
  scripted_sink sink;
  int woken = 0;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(w.admit_or_wait(sink, [&] { ++woken; }), admission::wait);
  EXPECT_EQ(w.waiting(), 5u);
  EXPECT_EQ(sink.kept.size(), 1u);
  std::thread writer([&] { sink.make_room(); });
  writer.join();
  EXPECT_EQ(woken, 0);  // not on the writer's thread
  ioc.run();
  EXPECT_EQ(woken, 5);
  EXPECT_EQ(w.waiting(), 0u);
}

// After a ring the thread asks the sink for a callback again.
TEST(admission_waiters, waiting_again_after_a_ring_registers_again) {
  boost::asio::io_context ioc;
  admission_waiters w(ioc);
  scripted_sink sink;
  int woken = 0;
  w.admit_or_wait(sink, [&] { ++woken; });
  sink.make_room();
  ioc.run();
  ioc.restart();
  sink.answer = admission::wait;
  EXPECT_EQ(w.admit_or_wait(sink, [&] { ++woken; }), admission::wait);
  EXPECT_EQ(sink.kept.size(), 1u);
  sink.make_room();
  ioc.run();
  EXPECT_EQ(woken, 2);
}

// The sink outlives the proxy: a ring after the io thread's waiters are gone does nothing.
TEST(admission_waiters, a_ring_after_destruction_is_ignored) {
  scripted_sink sink;
  {
    boost::asio::io_context ioc;
    std::optional<admission_waiters> w(std::in_place, ioc);
    w->admit_or_wait(sink, [] { FAIL() << "woken after destruction"; });
    w.reset();
  }
  sink.make_room();  // must not touch the destroyed io_context
  SUCCEED();
}

}  // namespace
}  // namespace tollgate::proxy::detail
