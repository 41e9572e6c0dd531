#include "tollgate/audit/admin_actions.hpp"

#include <pqxx/transaction_base>

namespace tollgate::audit {

void record_admin_action(pqxx::transaction_base& tx, const admin_action_row& a) {
  tx.exec_params(
      "INSERT INTO admin_actions (actor, role, action, target, before, after, client_ip) "
      "VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, '')::jsonb, NULLIF($6, '')::jsonb, NULLIF($7, '')::inet)",
      a.actor, a.role, a.action, a.target, a.before, a.after, a.client_ip);
}

}  // namespace tollgate::audit
