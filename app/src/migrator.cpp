#include "tollgate/app/migrator.hpp"

#include "tollgate/pg/connect.hpp"

#include <openssl/evp.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace tollgate::app {
namespace {

// Any constant works; it only has to be the same for every instance.
constexpr long long migrate_lock_key = 0x746f6c6c67617465LL;  // "tollgate"

struct migration_file {
  int number = 0;
  std::string name;
  std::string sql;
  std::string checksum;
};

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

std::vector<migration_file> read_migrations(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) throw std::runtime_error("migrations folder not found: " + dir);
  static const std::regex file_re(R"((\d{4})_[A-Za-z0-9_]+\.sql)");
  std::vector<migration_file> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    std::smatch m;
    if (!entry.is_regular_file() || !std::regex_match(name, m, file_re)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream sql;
    sql << in.rdbuf();
    files.push_back({std::stoi(m[1].str()), name, sql.str(), sha256_hex(sql.str())});
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].number == files[i - 1].number)
      throw std::runtime_error("two migrations share number " + std::to_string(files[i].number) + ": " +
                               files[i - 1].name + ", " + files[i].name);
  }
  if (files.empty()) throw std::runtime_error("no NNNN_name.sql files in " + dir);
  return files;
}

}  // namespace

migration_report apply_migrations(const std::string& dsn, const std::string& dir) {
  const auto files = read_migrations(dir);
  migration_report report;
  try {
    auto opened = pg::connect(dsn);
    if (!opened) throw std::runtime_error("cannot connect to PostgreSQL: " + opened.error().message);
    auto& conn = **opened;
    {
      pqxx::nontransaction lock{conn};
      lock.exec("SET client_min_messages = warning");
      lock.exec_params("SELECT pg_advisory_lock($1)", migrate_lock_key);
      lock.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
    }
    std::map<int, std::pair<std::string, std::string>> applied;
    {
      pqxx::read_transaction tx{conn};
      for (const auto& row : tx.exec("SELECT version, name, checksum FROM schema_migrations"))
        applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
    }
    report.already_applied = applied.size();
    for (const auto& file : files) {
      const auto found = applied.find(file.number);
      if (found != applied.end()) {
        if (found->second.second != file.checksum)
          throw std::runtime_error("migration " + file.name +
                                   " was edited after it was applied (migrations are forward-only; add a new one)");
        continue;
      }
      pqxx::work tx{conn};
      try {
        tx.exec(file.sql);
      } catch (const pqxx::sql_error& e) {
        throw std::runtime_error("migration " + file.name + " failed: " + e.what());
      }
      tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", file.number,
                     file.name, file.checksum);
      tx.commit();
      report.applied.push_back(file.name);
    }
    pqxx::nontransaction unlock{conn};
    unlock.exec_params("SELECT pg_advisory_unlock($1)", migrate_lock_key);
  } catch (const pqxx::broken_connection& e) {
    throw std::runtime_error(std::string("cannot connect to PostgreSQL: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    throw std::runtime_error(std::string("PostgreSQL error: ") + e.what());
  }
  return report;
}

std::string resolve_migrations_dir(const std::string& flag) {
  namespace fs = std::filesystem;
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("TOLLGATE_MIGRATIONS_DIR"); env != nullptr && *env != '\0') return env;
  if (fs::is_directory("migrations")) return "migrations";
  const std::string installed = TOLLGATE_INSTALLED_MIGRATIONS_DIR;
  if (fs::is_directory(installed)) return installed;
  return {};
}

}  // namespace tollgate::app
