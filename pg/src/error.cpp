#include "tollgate/pg/error.hpp"

#include <pqxx/except>

#include <stdexcept>

namespace tollgate::pg {
namespace {

// boost::system::error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tollgate.pg"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::connection_lost: return "connection to PostgreSQL lost";
      case error::commit_in_doubt: return "connection lost during commit: outcome unknown";
      case error::serialization_failure: return "serialization failure";
      case error::constraint_violation: return "constraint violation";
      case error::permission_denied: return "permission denied";
      case error::timeout: return "statement timed out";
      case error::query_failed: return "query failed";
      case error::client_error: return "database client error";
      case error::bad_data: return "unexpected data from PostgreSQL";
    }
    return "unknown PostgreSQL error";
  }
};
#pragma GCC diagnostic pop

// SQLSTATE class 23 is integrity_constraint_violation; libpqxx 6.4 only has
// classes for the codes it knows, so the class is read from the code itself.
error from_sql_state(const std::string& state) {
  if (state.starts_with("23")) return error::constraint_violation;
  if (state == "40001" || state == "40P01") return error::serialization_failure;
  if (state == "42501") return error::permission_denied;
  if (state == "57014") return error::timeout;
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03")
    return error::connection_lost;
  return error::query_failed;
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

void throw_exception_from_error(const failure& f, const boost::source_location&) {
  throw std::runtime_error(f.message.empty() ? f.code.message() : f.message);
}

failure from_exception(std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const pqxx::in_doubt_error& x) {
    return {error::commit_in_doubt, x.what()};
  } catch (const pqxx::broken_connection& x) {
    return {error::connection_lost, x.what()};
  } catch (const pqxx::transaction_rollback& x) {
    return {error::serialization_failure, x.what()};
  } catch (const pqxx::integrity_constraint_violation& x) {
    return {error::constraint_violation, x.what()};
  } catch (const pqxx::insufficient_privilege& x) {
    // libpqxx 6.4 throws this one without its SQLSTATE.
    return {error::permission_denied, x.what()};
  } catch (const pqxx::sql_error& x) {
    return {from_sql_state(x.sqlstate()), x.what()};
  } catch (const pqxx::failure& x) {
    // What is left of libpqxx's failures (a COPY that failed, a bad result) came from
    // a connection that still answers.
    return {error::query_failed, x.what()};
  } catch (const std::exception& x) {
    return {error::client_error, x.what()};
  } catch (...) {
    return {error::client_error, "unknown exception"};
  }
}

}  // namespace tollgate::pg
