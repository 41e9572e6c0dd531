#include "commands.hpp"
#include "tollgate/app/config.hpp"
#include "tollgate/app/migrator.hpp"

#include <iostream>

namespace tollgate::app {

int run_migrate(const command_args& args) {
  auto loaded = load_config(args.config_file);
  if (!loaded) {
    for (const auto& p : loaded.error()) std::cerr << to_string(p) << "\n";
    return exit_usage;
  }
  const auto& cfg = *loaded;
  const auto dir = resolve_migrations_dir(args.migrations_dir);
  if (dir.empty()) {
    std::cerr << "tollgate migrate: no migrations folder (give --migrations DIR or set TOLLGATE_MIGRATIONS_DIR)\n";
    return exit_usage;
  }
  try {
    const auto report = apply_migrations(cfg.postgres.admin_dsn, dir);
    if (report.applied.empty()) {
      std::cout << "nothing to do: all " << report.already_applied << " migrations already applied\n";
    } else {
      for (const auto& name : report.applied) std::cout << "applied " << name << "\n";
      std::cout << report.applied.size() << " migration(s) applied, " << report.already_applied
                << " were already applied\n";
    }
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "tollgate migrate: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace tollgate::app
