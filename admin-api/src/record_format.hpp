#pragma once
#include "tollgate/audit/audit_record.hpp"

#include <boost/json/object.hpp>

#include <span>
#include <string>

namespace tollgate::admin_api {

/// An audit row as the API shows it (times RFC 3339 UTC, hashes in hex).
boost::json::object record_to_json(const audit::audit_record& r);

/// The CSV header line of an export (RFC 4180, CRLF line ends).
std::string csv_header();
/// Appends one CSV line per record.
void append_csv(std::string& out, std::span<const audit::audit_record> rows);
/// Appends one JSON object per record, each on its own line.
void append_ndjson(std::string& out, std::span<const audit::audit_record> rows);

}  // namespace tollgate::admin_api
