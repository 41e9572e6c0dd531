#pragma once
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <utility>

namespace tollgate::admin_api {

/// Runs `f` (which may block) on `pool` and resumes the awaiting coroutine on its own
/// executor with the result; an exception thrown by `f` is rethrown in the coroutine.
/// The pool must outlive the call.
template <class R, class F>
boost::asio::awaitable<R> run_blocking(boost::asio::thread_pool& pool, F f) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(std::exception_ptr, R)>(
      [&pool](auto handler, F fn) {
        boost::asio::post(pool, [h = std::move(handler), fn = std::move(fn)]() mutable {
          std::exception_ptr ep;
          R result{};
          try {
            result = fn();
          } catch (...) {
            ep = std::current_exception();
          }
          auto ex = boost::asio::get_associated_executor(h);
          boost::asio::dispatch(ex, [h = std::move(h), ep, result = std::move(result)]() mutable {
            std::move(h)(ep, std::move(result));
          });
        });
      },
      boost::asio::use_awaitable, std::move(f));
}

}  // namespace tollgate::admin_api
