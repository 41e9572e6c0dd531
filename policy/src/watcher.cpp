#include "tollgate/policy/watcher.hpp"

#include "store_sql.hpp"
#include "tollgate/pg/connect.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace tollgate::policy {
namespace {

constexpr const char* rules_channel = "tollgate_rules";

class rules_listener final : public pqxx::notification_receiver {
 public:
  rules_listener(pqxx::connection_base& c, bool& flag) : pqxx::notification_receiver(c, rules_channel), flag_(flag) {}
  void operator()(const std::string&, int) override { flag_ = true; }

 private:
  bool& flag_;
};

}  // namespace

struct policy_watcher::state {
  policy_watcher_options options;
  std::shared_ptr<policy_engine> engine;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::atomic<bool> reload_requested{false};
  std::atomic<bool> connected{false};
  std::atomic<std::int64_t> version{0};
  std::int64_t refused_version = -1;  // watcher thread only: not compiled again until it changes
  mutable std::mutex mutex;
  mutable std::condition_variable loaded_cv;
  bool loaded = false;  // guarded by mutex
  std::thread thread;

  ~state() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  void drain_wake() {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wake_fd, &count, sizeof count);
  }

  // Waits for the wake descriptor (and the connection's socket, if given) up to `timeout`.
  // Returns whether the socket is readable.
  bool wait(int sock, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{wake_fd, POLLIN, 0}, {sock, POLLIN, 0}};
    const int n = ::poll(fds, sock >= 0 ? 2 : 1, static_cast<int>(std::max<std::int64_t>(0, timeout.count())));
    if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (n > 0 && (fds[0].revents & POLLIN)) drain_wake();
    return n > 0 && sock >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR));
  }

  void report(const std::string& what) {
    if (options.on_error) {
      options.on_error(what);
    } else {
      spdlog::error("policy watcher: {}", what);
    }
  }

  // Loads, compiles and installs the rules unless this version is installed already.
  void reload(pqxx::connection& c) {
    auto snapshot = detail::load_snapshot(c);
    if (engine->loaded() && snapshot.version == version.load()) return;
    if (snapshot.version == refused_version) return;
    const auto count = snapshot.rules.size();
    auto compiled = compiled_policy::compile(std::move(snapshot.rules), snapshot.version, options.default_action);
    if (auto* problems = std::get_if<std::vector<rule_problem>>(&compiled)) {
      std::string text = "policy version " + std::to_string(snapshot.version) + " refused, keeping version " +
                         std::to_string(version.load()) + ":";
      for (const auto& p : *problems) text += " " + p.field + ": " + p.message + ";";
      refused_version = snapshot.version;
      report(text);
      return;
    }
    auto policy = std::get<std::shared_ptr<const compiled_policy>>(std::move(compiled));
    engine->install(policy);
    version.store(policy->version());
    if (options.on_swap) {
      options.on_swap(*policy);
    } else {
      spdlog::info("policy version {} installed: {} rules ({} enabled)", policy->version(), count, policy->rule_count());
    }
    {
      std::lock_guard lock(mutex);
      loaded = true;
    }
    loaded_cv.notify_all();
    give_back_free_memory();
  }

  // Loading parses every rule (query result, JSON, patterns) into memory that is freed
  // once compiled; glibc keeps such freed memory mapped. With 100,000 rules that was
  // 930 MiB of resident memory for a 75 MiB process. Loads are rare, so trimming
  // after each one costs nothing that matters.
  static void give_back_free_memory() {
#ifdef __GLIBC__
    ::malloc_trim(0);
#endif
  }

  void serve(pqxx::connection& c) {
    bool notified = false;
    rules_listener listener(c, notified);
    connected = true;
    int backend = c.backendpid();
    reload(c);
    auto next_resync = std::chrono::steady_clock::now() + options.resync_interval;
    while (!stopping) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_resync -
                                                                              std::chrono::steady_clock::now());
      // A notification that arrived while a query ran (a reload) sits in libpq's queue
      // and will never make the socket readable: take those before waiting, or the
      // change would wait for the next resync.
      notified = false;
      int handled = c.get_notifs();
      bool readable = false;
      if (!notified) {
        readable = wait(c.sock(), left);
        if (stopping) return;
        handled = readable ? c.get_notifs() : 0;
      }
      const bool resync = std::chrono::steady_clock::now() >= next_resync;
      if (notified || reload_requested.exchange(false)) {
        reload(c);
      } else if (resync || (readable && handled == 0)) {
        // Also run when the socket woke us without a notification: a lost server
        // shows up here, as an exception, instead of a busy loop.
        const auto v = detail::read_policy_version(c);
        if (v != version.load() || c.backendpid() != backend) reload(c);
        if (c.backendpid() != backend) refused_version = -1;
      }
      backend = c.backendpid();
      if (resync) next_resync = std::chrono::steady_clock::now() + options.resync_interval;
    }
  }

  void run() {
    auto backoff = options.reconnect_min;
    while (!stopping) {
      try {
        // value() throws the connection failure's message into the catch below.
        auto c = pg::connect(options.dsn).value();
        backoff = options.reconnect_min;
        serve(*c);
      } catch (const std::exception& e) {
        if (connected.exchange(false)) {
          report(std::string("connection lost, deciding with version ") + std::to_string(version.load()) + ": " +
                 e.what());
        } else {
          report(std::string("cannot load rules: ") + e.what());
        }
      }
      connected = false;
      if (stopping) break;
      wait(-1, backoff);
      backoff = std::min(backoff * 2, options.reconnect_max);
    }
  }
};

policy_watcher::policy_watcher(std::shared_ptr<state> s) : state_(std::move(s)) {}

std::unique_ptr<policy_watcher> policy_watcher::start(policy_watcher_options options,
                                                      std::shared_ptr<policy_engine> engine) {
  auto s = std::make_shared<state>();
  s->options = std::move(options);
  s->engine = std::move(engine);
  s->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->wake_fd < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  s->thread = std::thread([raw = s.get()] { raw->run(); });
  return std::unique_ptr<policy_watcher>(new policy_watcher(std::move(s)));
}

policy_watcher::~policy_watcher() {
  state_->stopping = true;
  state_->wake();
  if (state_->thread.joinable()) state_->thread.join();
}

bool policy_watcher::wait_until_loaded(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mutex);
  return state_->loaded_cv.wait_for(lock, timeout, [&] { return state_->loaded; });
}

void policy_watcher::reload_soon() {
  state_->reload_requested = true;
  state_->wake();
}

bool policy_watcher::connected() const noexcept { return state_->connected.load(); }
std::int64_t policy_watcher::loaded_version() const noexcept { return state_->version.load(); }

}  // namespace tollgate::policy
