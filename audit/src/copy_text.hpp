#pragma once
#include "tollgate/audit/audit_record.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tollgate::audit {

/// The columns of `audit_log` in the order `append_copy_line` writes them.
const std::vector<std::string>& audit_copy_columns();

/// Appends `r` to `out` as one line of PostgreSQL's COPY text format (fields
/// separated by tabs, `\N` for NULL, backslash escapes, ending in a newline), in
/// the order of `audit_copy_columns()`. `r` must have been through `sanitize`
/// (valid UTF-8, no NUL, normalised addresses). Empty optional texts (address,
/// user, method, ...) are NULL, as the search API expects.
void append_copy_line(std::string& out, const audit_record& r);

/// `YYYY-MM-DD HH:MM:SS.ffffff+00`, the text PostgreSQL reads as timestamptz
/// (years 0000-9999, which is what audit_record's clock can hold).
void append_timestamptz(std::string& out, std::int64_t unix_micros);
std::string format_timestamptz(std::int64_t unix_micros);

}  // namespace tollgate::audit
