#include "serve_runtime.hpp"

#include "commands.hpp"
#include "tollgate/app/rules_file.hpp"
#include "tollgate/audit/pg_audit_sink.hpp"
#include "tollgate/auth/ldap_authenticator.hpp"
#include "tollgate/auth/policy_engine.hpp"
#include "tollgate/auth/policy_store.hpp"
#include "tollgate/auth/policy_watcher.hpp"
#include "tollgate/proxy/server.hpp"
#include "version.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <csignal>
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
    if (auto* why = std::get_if<std::string>(&sink)) throw std::runtime_error("audit: " + *why);
    sink_ = std::move(std::get<std::unique_ptr<audit::pg_audit_sink>>(sink));

    build_policy();

    auto authn = auth::make_ldap_authenticator(cfg_.ldap, *registry_);
    if (auto* problems = std::get_if<std::vector<std::string>>(&authn)) {
      std::string all;
      for (const auto& p : *problems) all += "\n  " + p;
      throw std::runtime_error("ldap options:" + all);
    }
    authn_ = std::move(std::get<std::unique_ptr<auth::ldap_authenticator>>(authn));

    auto server = proxy::server::create(cfg_.proxy, {*authn_, *engine_, *sink_, *registry_});
    if (!server) throw std::runtime_error("proxy: " + server.error().message());
    proxy_ = std::move(server.value());
    proxy_->start();
    for (const auto& ep : proxy_->local_endpoints())
      spdlog::info("proxy listening on {}:{} (max {} connections)", ep.address().to_string(), ep.port(),
                   proxy_->max_connections());
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
    engine_ = std::make_shared<auth::policy_engine>();
    store_ = auth::policy_store::create(cfg_.postgres.admin_dsn);
    if (!cfg_.policy.bootstrap_rules_file.empty()) bootstrap_rules();

    auth::policy_watcher_options w;
    w.dsn = cfg_.postgres.admin_dsn;
    w.default_action = cfg_.policy.default_action;
    w.on_swap = [gauge = policy_rules_](const auth::compiled_policy& p) {
      gauge->Set(static_cast<double>(p.rule_count()));
      spdlog::info("policy version {} installed ({} rules)", p.version(), p.rule_count());
    };
    w.on_error = [](std::string_view why) { spdlog::warn("policy: {}", why); };
    watcher_ = auth::policy_watcher::start(std::move(w), engine_);
    if (!watcher_->wait_until_loaded(first_policy_wait))
      spdlog::warn("policy: not loaded from PostgreSQL yet; denying everything until it is");
  }

  // The bootstrap file goes into PostgreSQL only when it holds no rules at all.
  void bootstrap_rules() {
    auto rules = load_rules_file(cfg_.policy.bootstrap_rules_file);
    if (auto* problems = std::get_if<std::vector<config_problem>>(&rules)) {
      std::string all;
      for (const auto& p : *problems) all += "\n  " + to_string(p);
      throw std::runtime_error("policy.bootstrap_rules_file " + cfg_.policy.bootstrap_rules_file + ":" + all);
    }
    const auto inserted = store_->bootstrap(std::get<std::vector<auth::rule>>(rules));
    if (!inserted) {
      spdlog::warn("policy: bootstrap rules not loaded now: {}", inserted.error().message);
    } else if (*inserted > 0) {
      spdlog::info("policy: loaded {} bootstrap rules from {}", *inserted, cfg_.policy.bootstrap_rules_file);
    }
  }

  void reload() {
    spdlog::info("SIGHUP: reloading {}", cfg_.file);
    auto loaded = load_config(cfg_.file);
    if (auto* problems = std::get_if<std::vector<config_problem>>(&loaded)) {
      for (const auto& p : *problems) spdlog::error("reload refused: {}", to_string(p));
      return;
    }
    auto& next = std::get<config>(loaded);
    for (const auto& why : proxy_->apply(next.proxy)) spdlog::warn("reload: {}", why);
    cfg_.proxy = next.proxy;
    spdlog::info("reload: proxy settings applied (ldap, postgres and audit settings need a restart)");
  }

  // Reverse order of construction: stop taking requests, finish those in flight,
  // then drain the audit queue last so every record is kept.
  void shutdown() {
    if (stopped_) return;
    stopped_ = true;
    if (proxy_) proxy_->stop();
    if (authn_) authn_->stop();
    watcher_.reset();
    if (sink_) sink_->stop();
    proxy_.reset();
    spdlog::info("stopped");
  }

  config cfg_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* policy_rules_ = nullptr;
  std::unique_ptr<audit::pg_audit_sink> sink_;
  std::unique_ptr<auth::policy_store> store_;
  std::shared_ptr<auth::policy_engine> engine_;
  std::unique_ptr<auth::policy_watcher> watcher_;
  std::unique_ptr<auth::ldap_authenticator> authn_;
  std::unique_ptr<proxy::server> proxy_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<serve_runtime> serve_runtime::start(config cfg) {
  auto r = std::make_unique<runtime>(std::move(cfg));
  r->build();
  return r;
}

}  // namespace tollgate::app
