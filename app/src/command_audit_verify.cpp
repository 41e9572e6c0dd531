// `tollgate audit verify`: walks every instance's hash chain in PostgreSQL and
// checks it against the signed checkpoints. Exit 0 intact, 1 broken (each break
// printed), 2 bad usage or config, 3 could not check.
#include "commands.hpp"
#include "tollgate/app/config.hpp"
#include "tollgate/audit/verify.hpp"

#include <iostream>

namespace tollgate::app {

int run_audit_verify(const command_args& args) {
  const auto loaded = load_config(args.config_file);
  if (!loaded) {
    for (const auto& p : loaded.error()) std::cerr << to_string(p) << "\n";
    return exit_usage;
  }
  const auto& cfg = *loaded;
  // The owner role reads admin_actions too, so retention gaps are told from deletions.
  const audit::verify_options opts{cfg.postgres.admin_dsn.empty() ? cfg.postgres.dsn : cfg.postgres.admin_dsn,
                                   cfg.audit.checkpoint_file, cfg.audit.signing_key_file};
  const auto result = audit::verify_audit_chains(opts);
  if (!result) {
    std::cerr << "tollgate audit verify: could not check: " << result.error().message() << "\n";
    return exit_unchecked;
  }
  const auto& report = *result;
  if (opts.checkpoint_file.empty())
    std::cerr << "warning: no audit.checkpoint_file: rows cut from the end of a chain cannot be detected\n";
  for (const auto& i : report.instances) {
    if (i.broken) {
      std::cout << "BROKEN instance=" << i.instance << " seq=" << i.broken->seq << ": " << i.broken->reason << "\n";
    } else {
      std::cout << "intact instance=" << i.instance << " records=" << i.records << " last_seq=" << i.last_seq << "\n";
    }
  }
  if (report.instances.empty()) std::cout << "no audit records yet\n";
  std::cout << (report.intact ? "audit chains intact\n" : "audit chains BROKEN\n");
  return report.intact ? exit_ok : 1;
}

}  // namespace tollgate::app
