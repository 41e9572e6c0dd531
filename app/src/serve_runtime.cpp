#include "serve_runtime.hpp"

#include "commands.hpp"
#include "tollgate/admin_api/policy_store_adapter.hpp"
#include "tollgate/admin_api/postgres.hpp"
#include "tollgate/admin_api/server.hpp"
#include "tollgate/app/rules_file.hpp"
#include "tollgate/audit/pg_audit_queries.hpp"
#include "tollgate/audit/pg_audit_sink.hpp"
#include "tollgate/audit/verify.hpp"
#include "tollgate/auth/ldap_authenticator.hpp"
#include "tollgate/auth/ldap_directory.hpp"
#include "tollgate/policy/engine.hpp"
#include "tollgate/policy/store.hpp"
#include "tollgate/policy/watcher.hpp"
#include "tollgate/proxy/server.hpp"
#include "version.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <mutex>
#include <stdexcept>

namespace tollgate::app {
namespace {

// How long start-up waits for the first policy from PostgreSQL before serving with
// the fail-closed placeholder (everything denied) while the watcher keeps trying.
constexpr auto first_policy_wait = std::chrono::seconds(5);

class runtime final : public serve_runtime {
 public:
  explicit runtime(config cfg) : cfg_(std::move(cfg)), registry_(std::make_shared<prometheus::Registry>()) {}

  ~runtime() override { shutdown(); }

  void build() {
    prometheus::BuildGauge().Name("tollgate_build_info").Help("Build version; always 1")
        .Register(*registry_).Add({{"version", version}}).Set(1);
    policy_rules_ = &prometheus::BuildGauge().Name("tollgate_policy_rules")
                         .Help("Rules in the policy currently deciding").Register(*registry_).Add({});

    auto sink = audit::pg_audit_sink::create(cfg_.audit, *registry_);
    if (!sink) throw std::runtime_error("audit: " + sink.error().message());
    sink_ = std::move(*sink);

    build_policy();

    authn_ = auth::make_ldap_authenticator(cfg_.ldap, *registry_);

    auto server = proxy::server::create(cfg_.proxy, {*authn_, *engine_, *sink_, *registry_});
    if (!server) throw std::runtime_error("proxy: " + server.error().message());
    proxy_ = std::move(server.value());
    proxy_->start();
    for (const auto& ep : proxy_->local_endpoints())
      spdlog::info("proxy listening on {}:{} (max {} connections)", ep.address().to_string(), ep.port(),
                   proxy_->max_connections());
    build_admin();
  }

  int run_until_signalled() override {
    boost::asio::io_context ioc;
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int sig) {
          if (ec) return;
          if (sig == SIGHUP) {
            reload();
            signals.async_wait(on_signal);
            return;
          }
          spdlog::info("signal {}: stopping gracefully", sig);
        };
    signals.async_wait(on_signal);
    spdlog::info("tollgate {} serving (instance {})", version, sink_->instance());
    ioc.run();
    shutdown();
    return exit_ok;
  }

 private:
  void build_policy() {
    engine_ = std::make_shared<policy::policy_engine>();
    store_ = policy::policy_store::create(cfg_.postgres.admin_dsn);
    if (!cfg_.policy.bootstrap_rules_file.empty()) bootstrap_rules();

    policy::policy_watcher_options w;
    w.dsn = cfg_.postgres.admin_dsn;
    w.default_action = cfg_.policy.default_action;
    w.on_swap = [gauge = policy_rules_](const policy::compiled_policy& p) {
      gauge->Set(static_cast<double>(p.rule_count()));
      spdlog::info("policy version {} installed ({} rules)", p.version(), p.rule_count());
    };
    w.on_error = [](std::string_view why) { spdlog::warn("policy: {}", why); };
    watcher_ = policy::policy_watcher::start(std::move(w), engine_);
    if (!watcher_->wait_until_loaded(first_policy_wait))
      spdlog::warn("policy: not loaded from PostgreSQL yet; denying everything until it is");
  }

  void build_admin() {
    actions_ = admin_api::make_pg_admin_action_log(cfg_.postgres.admin_dsn);
    queries_ = audit::make_pg_audit_queries(cfg_.postgres.admin_dsn);
    admin_api::services svc{*authn_, *registry_};
    svc.rules = admin_api::make_rule_operations(*store_);
    svc.decide = [engine = engine_](const identity& who, const request_facts& facts) {
      return engine->decide(who, facts);
    };
    // The dry run asks the directory as the service account, on its own connection (the
    // authenticator's workers keep theirs for the hot path); admin worker threads may block.
    group_directory_ = auth::make_ldap_directory(cfg_.ldap);
    svc.user_groups = [this](const std::string& user) -> std::optional<std::vector<std::string>> {
      std::lock_guard lock(group_directory_mutex_);
      auto answer = group_directory_->groups_of(user);
      switch (answer.status) {
        case auth::directory_status::ok: return std::move(answer.groups);
        case auth::directory_status::bad_credentials: return std::nullopt;
        default: throw std::runtime_error("directory: " + answer.reason);
      }
    };
    svc.audit = queries_.get();
    svc.actions = actions_.get();
    svc.verify_audit = [this] {
      return audit::verify_audit_chains(
          {cfg_.postgres.admin_dsn, cfg_.audit.checkpoint_file, cfg_.audit.signing_key_file});
    };
    svc.connections = [this] {
      std::vector<admin_api::connection_view> out;
      for (auto& c : proxy_->connections())
        out.push_back({c.kind == proxy::connection_kind::tunnel ? "tunnel" : "http", std::move(c.user),
                       std::move(c.client), std::move(c.destination), c.bytes_up, c.bytes_down, c.age});
      return out;
    };
    svc.ready = [this] {
      using admin_api::dependency_state;
      admin_api::readiness r;
      r.policy_loaded = engine_->loaded();
      r.postgres = watcher_->connected() ? dependency_state::ok : dependency_state::down;
      r.ldap = authn_->directory_reachable() ? dependency_state::ok : dependency_state::degraded;
      switch (sink_->health()) {
        case audit::audit_health::ok: r.audit = dependency_state::ok; break;
        case audit::audit_health::degraded: r.audit = dependency_state::degraded; break;
        case audit::audit_health::down: r.audit = dependency_state::down; break;
      }
      return r;
    };
    svc.reload = [this] { return reload(); };
    auto server = admin_api::server::create(cfg_.admin, std::move(svc));
    if (!server) throw std::runtime_error("admin: " + server.error().message);
    admin_ = std::move(server.value());
    admin_->start();  // logs where it listens
  }

  // The bootstrap file goes into PostgreSQL only when it holds no rules at all.
  void bootstrap_rules() {
    auto rules = load_rules_file(cfg_.policy.bootstrap_rules_file);
    if (auto* problems = std::get_if<std::vector<config_problem>>(&rules)) {
      std::string all;
      for (const auto& p : *problems) all += "\n  " + to_string(p);
      throw std::runtime_error("policy.bootstrap_rules_file " + cfg_.policy.bootstrap_rules_file + ":" + all);
    }
    const auto inserted = store_->bootstrap(std::get<std::vector<policy::rule>>(rules));
    if (!inserted) {
      spdlog::warn("policy: bootstrap rules not loaded now: {}", inserted.error().message);
    } else if (*inserted > 0) {
      spdlog::info("policy: loaded {} bootstrap rules from {}", *inserted, cfg_.policy.bootstrap_rules_file);
    }
  }

  // SIGHUP and POST /api/v1/reload: the proxy's settings change in place; a config
  // with problems is refused whole and the running one stays.
  admin_api::reload_outcome reload() {
    std::lock_guard lock(reload_mutex_);
    spdlog::info("reloading {}", cfg_.file);
    admin_api::reload_outcome outcome;
    auto loaded = load_config(cfg_.file);
    if (!loaded) {
      for (const auto& p : loaded.error()) {
        spdlog::error("reload refused: {}", to_string(p));
        outcome.problems.push_back(to_string(p));
      }
      return outcome;
    }
    auto& next = *loaded;
    for (const auto& why : proxy_->apply(next.proxy)) {
      spdlog::warn("reload: {}", why);
      outcome.problems.push_back(why);
    }
    cfg_.proxy = next.proxy;
    if (admin_) {
      if (auto tokens = admin_->reload_tokens(); !tokens) outcome.problems.push_back(tokens.error().message);
    }
    spdlog::info("reload: proxy settings applied (ldap, postgres and audit settings need a restart)");
    outcome.ok = true;
    return outcome;
  }

  // Reverse order of construction: stop taking requests, finish those in flight,
  // then drain the audit queue last so every record is kept.
  void shutdown() {
    if (stopped_) return;
    stopped_ = true;
    if (admin_) admin_->stop();
    if (proxy_) proxy_->stop();
    if (authn_) authn_->stop();
    watcher_.reset();
    if (sink_) sink_->stop();
    admin_.reset();
    proxy_.reset();
    spdlog::info("stopped");
  }

  config cfg_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* policy_rules_ = nullptr;
  std::unique_ptr<audit::pg_audit_sink> sink_;
  std::unique_ptr<policy::policy_store> store_;
  std::shared_ptr<policy::policy_engine> engine_;
  std::unique_ptr<policy::policy_watcher> watcher_;
  std::unique_ptr<auth::ldap_authenticator> authn_;
  std::mutex group_directory_mutex_;  // a directory serves one caller at a time
  std::unique_ptr<auth::directory> group_directory_;  // the admin dry run's group lookups
  std::unique_ptr<proxy::server> proxy_;
  std::unique_ptr<admin_api::admin_action_log> actions_;
  std::unique_ptr<admin_api::audit_queries> queries_;
  std::unique_ptr<admin_api::server> admin_;
  std::mutex reload_mutex_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<serve_runtime> serve_runtime::start(config cfg) {
  auto r = std::make_unique<runtime>(std::move(cfg));
  r->build();
  return r;
}

}  // namespace tollgate::app
