#include "tollgate/audit/room_waiters.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace tollgate::audit {
namespace {

TEST(room_waiters, keeps_a_callback_only_when_told_to_wait) {
  room_waiters w;
  int called = 0;
  EXPECT_EQ(w.admit_or_keep([] { return admission::open; }, [&] { ++called; }), admission::open);
  EXPECT_EQ(w.admit_or_keep([] { return admission::reject; }, [&] { ++called; }), admission::reject);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.admit_or_keep([] { return admission::wait; }, [&] { ++called; }), admission::wait);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(called, 0);
}

TEST(room_waiters, notify_calls_each_kept_callback_once) {
  room_waiters w;
  int a = 0;
  int b = 0;
  w.admit_or_keep([] { return admission::wait; }, [&] { ++a; });
  w.admit_or_keep([] { return admission::wait; }, [&] { ++b; });
  w.notify();
  w.notify();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(w.size(), 0u);
}

// A callback may ask again at once (and be kept again): notify() must not hold its lock then.
TEST(room_waiters, a_callback_may_wait_again_from_inside_notify) {
  room_waiters w;
  int calls = 0;
  std::function<void()> again = [&] {
    if (++calls < 3) w.admit_or_keep([] { return admission::wait; }, again);
  };
  w.admit_or_keep([] { return admission::wait; }, again);
  w.notify();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(w.size(), 1u);
  w.notify();
  w.notify();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(w.size(), 0u);
}

// The room a producer makes between another thread's answer and its keeping is never
// missed: the answer and the keeping happen under the lock notify() takes.
TEST(room_waiters, room_made_concurrently_is_never_missed) {
  for (int round = 0; round < 200; ++round) {
    room_waiters w;
    std::atomic<bool> full{true};
    std::atomic<int> woken{0};
    std::thread maker([&] {
      full = false;
      w.notify();
    });
    const auto a = w.admit_or_keep([&] { return full ? admission::wait : admission::open; }, [&] { ++woken; });
    maker.join();
    // Either it was open at once, or it was kept and the maker's notify() found it.
    EXPECT_TRUE(a == admission::open || woken == 1) << "round " << round;
  }
}

}  // namespace
}  // namespace tollgate::audit
