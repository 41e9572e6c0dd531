#pragma once
#include "tollgate/audit/audit_query.hpp"

namespace tollgate::admin_api {

// The audit log's queries belong to audit/ (it owns audit_log); the API speaks them.
using audit::audit_cursor;
using audit::audit_filter;
using audit::audit_page;
using audit::audit_queries;
using audit::time_point;
using audit::top_by;
using audit::top_entry;

}  // namespace tollgate::admin_api
