// A cached credential check: what every authenticated request pays once LDAP has
// answered for that user. Target: under 2 µs per check.
#include "tollgate/auth/ldap_authenticator.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

namespace {

using namespace tollgate::auth;

// Answers every check with ok, so the first verify() fills the cache.
class always_ok final : public directory {
 public:
  directory_answer check(const credentials& creds, const bind_gate&) override {
    return {directory_status::ok, {"all-staff", "engineering", "engineering-all"}, {}, 0, creds.user};
  }
  directory_answer groups_of(const std::string&) override { return {}; }
};

struct fixture {
  prometheus::Registry registry;
  boost::asio::io_context io;  // outlives `auth`, whose workers post into it
  std::unique_ptr<ldap_authenticator> auth;
  boost::asio::ip::address client = boost::asio::ip::make_address("10.1.2.3");
  std::vector<credentials> users;

  explicit fixture(int n_users) {
    ldap_options o;
    o.workers = 1;
    auth = std::make_unique<ldap_authenticator>(o, registry, [] { return std::make_unique<always_ok>(); });
    auto guard = boost::asio::make_work_guard(io);
    for (int i = 0; i < n_users; ++i) {
      users.push_back({"user" + std::to_string(i), "password-of-user-" + std::to_string(i)});
      auth->verify(users.back(), client, io.get_executor(), [](auth_result) {});
    }
    // Wait until every verify() has been answered (and so cached).
    for (int done = 0; done < n_users;) done += static_cast<int>(io.run_one());
  }
};

void bm_cached_check(benchmark::State& state) {
  static fixture f(1000);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    auto r = f.auth->lookup(f.users[i % f.users.size()], f.client);
    if (!r || r->status != auth_status::ok) state.SkipWithError("cache miss");
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(bm_cached_check)->Threads(1)->Threads(2)->UseRealTime();

void bm_password_hmac(benchmark::State& state) {
  password_hmac h;
  for (auto _ : state) benchmark::DoNotOptimize(h.digest("password-of-user-1"));
}
BENCHMARK(bm_password_hmac);

}  // namespace

BENCHMARK_MAIN();
