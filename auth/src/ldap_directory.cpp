#include "tollgate/auth/ldap_directory.hpp"

#include "tollgate/auth/filter_escape.hpp"

#include <ldap.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tollgate::auth {
namespace {

struct ldap_closer {
  void operator()(LDAP* ld) const noexcept { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using ldap_handle = std::unique_ptr<LDAP, ldap_closer>;

struct message_closer {
  void operator()(LDAPMessage* m) const noexcept { ldap_msgfree(m); }
};
using message_ptr = std::unique_ptr<LDAPMessage, message_closer>;

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
  return tv;
}

// Errors that say "this connection (or server) is gone", as opposed to an answer.
bool is_connection_error(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE ||
         rc == LDAP_BUSY;
}

// Bind results that mean "these credentials are not good", whatever the precise reason.
bool is_refusal(int rc) {
  return rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH || rc == LDAP_UNWILLING_TO_PERFORM ||
         rc == LDAP_CONSTRAINT_VIOLATION || rc == LDAP_INSUFFICIENT_ACCESS || rc == LDAP_INVALID_DN_SYNTAX;
}

std::string describe(int rc) { return ldap_err2string(rc); }

struct group_entry {
  std::string dn;
  std::vector<std::string> names;
};

class ldap_directory final : public directory {
 public:
  explicit ldap_directory(const ldap_options& opts) : opts_(opts) {}

  directory_answer check(const credentials& creds, const bind_gate& may_bind) override {
    directory_answer a;
    if (creds.password.empty()) return refuse(a, "empty password");
    // A C string would end at the NUL: never let a server or its back end see a cut password.
    if (creds.password.find('\0') != std::string::npos) return refuse(a, "password contains a NUL byte");

    std::string dn;
    if (!find_user(creds.user, dn, a)) return a;
    if (may_bind && !may_bind(a.user)) {
      a.status = directory_status::not_tried;
      a.reason = "locked out after repeated failed logins";
      return a;
    }
    if (!bind_user(dn, creds.password, a)) return a;
    return with_groups(group_user(creds.user, dn, a), dn, a);
  }

  directory_answer groups_of(const std::string& user) override {
    directory_answer a;
    std::string dn;
    if (!find_user(user, dn, a)) return a;
    return with_groups(group_user(user, dn, a), dn, a);
  }

 private:
  // {user} in group_filter: the entry's name rather than the spelling typed (memberUid
  // matches case-exactly), unless the entry had no user_attr.
  static std::string group_user(const std::string& typed, const std::string& dn, const directory_answer& a) {
    return a.user == dn ? typed : a.user;
  }

  // The answer for a user found at `dn`: ok with the groups, or why they could not be read.
  directory_answer& with_groups(const std::string& user, const std::string& dn, directory_answer& a) {
    std::vector<std::string> groups;
    if (!read_groups(user, dn, groups, a)) return a;
    a.status = directory_status::ok;
    a.groups = std::move(groups);
    return a;
  }

  static directory_answer& refuse(directory_answer& a, std::string reason) {
    a.status = directory_status::bad_credentials;
    a.reason = std::move(reason);
    return a;
  }
  static bool refused(directory_answer& a, std::string reason) {
    refuse(a, std::move(reason));
    return false;
  }
  // `counted`: false when the error was already counted where it was met.
  static bool fail(directory_answer& a, directory_status status, std::string reason, bool counted = true) {
    a.status = status;
    a.reason = std::move(reason);
    if (counted) ++a.errors;
    return false;
  }

  // Opens a connection to the first URI that answers (and binds as `bind_dn` when given).
  ldap_handle connect(const std::string& bind_dn, const std::string& password, directory_answer& a) {
    std::string last;
    for (const auto& uri : opts_.uris) {
      LDAP* raw = nullptr;
      int rc = ldap_initialize(&raw, uri.c_str());
      ldap_handle ld(raw);
      if (rc != LDAP_SUCCESS || !ld) {
        ++a.errors;
        last = uri + ": " + describe(rc);
        continue;
      }
      const int version = LDAP_VERSION3;
      const timeval network = to_timeval(opts_.network_timeout);
      const timeval operation = to_timeval(opts_.operation_timeout);
      ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
      ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
      ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &network);
      ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &operation);
      if (!opts_.ca_file.empty()) {
        const int demand = LDAP_OPT_X_TLS_DEMAND;
        const int client_ctx = 0;
        ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, opts_.ca_file.c_str());
        ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
        // Options set on a handle only apply to a TLS context made after them.
        ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &client_ctx);
      }
      rc = ldap_connect(ld.get());
      if (rc == LDAP_SUCCESS && opts_.start_tls && !uri.starts_with("ldaps://"))
        rc = ldap_start_tls_s(ld.get(), nullptr, nullptr);
      if (rc != LDAP_SUCCESS) {
        ++a.errors;
        last = uri + ": " + describe(rc);
        continue;
      }
      if (!bind_dn.empty()) {
        berval cred{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
        rc = ldap_sasl_bind_s(ld.get(), bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
        if (is_connection_error(rc)) {
          ++a.errors;
          last = uri + ": " + describe(rc);
          continue;
        }
        if (rc != LDAP_SUCCESS) {
          // Another replica would refuse the service account just the same.
          fail(a, directory_status::unreachable, "service account bind refused: " + describe(rc));
          return nullptr;
        }
      }
      return ld;
    }
    a.status = directory_status::unreachable;
    a.reason = "directory unreachable (" + last + ")";
    return nullptr;
  }

  // Runs `op` on the service connection; a connection that broke since its last use is
  // reopened once, so a directory restart costs no failed logins.
  int on_service(directory_answer& a, const std::function<int(LDAP*)>& op) {
    for (int attempt = 0;; ++attempt) {
      if (!service_) {
        service_ = connect(opts_.bind_dn, opts_.bind_password, a);
        if (!service_) return LDAP_SERVER_DOWN;
      }
      const int rc = op(service_.get());
      if (!is_connection_error(rc)) return rc;
      ++a.errors;
      service_.reset();
      if (attempt == 1) return rc;
    }
  }

  // Finds the one entry `user` names: its DN in `dn`, its name (user_attr) in `a.user`.
  bool find_user(const std::string& user, std::string& dn, directory_answer& a) {
    const std::string filter = expand_filter(opts_.user_filter, user);
    message_ptr res;
    const int rc = on_service(a, [&](LDAP* ld) {
      LDAPMessage* raw = nullptr;
      char* attrs[] = {const_cast<char*>(opts_.user_attr.c_str()), nullptr};
      timeval tv = to_timeval(opts_.operation_timeout);
      const int r = ldap_search_ext_s(ld, opts_.user_base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), attrs, 0,
                                      nullptr, nullptr, &tv, 2, &raw);
      res.reset(raw);
      return r;
    });
    if (!service_ && a.status == directory_status::unreachable) return false;
    if (is_connection_error(rc)) return fail(a, directory_status::unreachable, "user search: " + describe(rc), false);
    if (rc == LDAP_SIZELIMIT_EXCEEDED) return refused(a, "ambiguous user");
    if (rc != LDAP_SUCCESS) return fail(a, directory_status::error, "user search: " + describe(rc));
    const int count = ldap_count_entries(service_.get(), res.get());
    if (count == 0) return refused(a, "unknown user");
    if (count != 1) return refused(a, "ambiguous user");
    LDAPMessage* entry = ldap_first_entry(service_.get(), res.get());
    char* raw_dn = ldap_get_dn(service_.get(), entry);
    if (raw_dn == nullptr) return fail(a, directory_status::error, "user entry without a DN");
    dn = raw_dn;
    ldap_memfree(raw_dn);
    if (dn.empty()) return refused(a, "user entry with an empty DN");
    a.user = entry_name(entry, dn);
    return true;
  }

  // The entry's own name for its user: the lowest user_attr value (so an entry with
  // several names is one identity, whichever was typed), or the DN when it has none.
  std::string entry_name(LDAPMessage* entry, const std::string& dn) {
    std::string name;
    if (berval** values = ldap_get_values_len(service_.get(), entry, opts_.user_attr.c_str())) {
      for (berval** v = values; *v != nullptr; ++v) {
        std::string value((*v)->bv_val, (*v)->bv_len);
        if (!value.empty() && (name.empty() || value < name)) name = std::move(value);
      }
      ldap_value_free_len(values);
    }
    return name.empty() ? dn : name;
  }

  bool bind_user(const std::string& dn, const std::string& password, directory_answer& a) {
    for (int attempt = 0;; ++attempt) {
      if (!user_) {
        user_ = connect({}, {}, a);
        if (!user_) return false;
      }
      berval cred{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
      const int rc = ldap_sasl_bind_s(user_.get(), dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
      if (rc == LDAP_SUCCESS) return true;
      if (is_refusal(rc)) return refused(a, rc == LDAP_INVALID_CREDENTIALS ? "invalid credentials" : "bind refused: " + describe(rc));
      user_.reset();
      if (!is_connection_error(rc)) return fail(a, directory_status::error, "user bind: " + describe(rc));
      ++a.errors;
      if (attempt == 1) return fail(a, directory_status::unreachable, "user bind: " + describe(rc), false);
    }
  }

  bool search_groups(const std::string& filter, std::vector<group_entry>& out, directory_answer& a) {
    message_ptr res;
    const int rc = on_service(a, [&](LDAP* ld) {
      LDAPMessage* raw = nullptr;
      char* attrs[] = {const_cast<char*>(opts_.group_attr.c_str()), nullptr};
      timeval tv = to_timeval(opts_.operation_timeout);
      const int r = ldap_search_ext_s(ld, opts_.group_base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), attrs, 0,
                                      nullptr, nullptr, &tv, LDAP_NO_LIMIT, &raw);
      res.reset(raw);
      return r;
    });
    if (!service_ && a.status == directory_status::unreachable) return false;
    if (is_connection_error(rc)) return fail(a, directory_status::unreachable, "group search: " + describe(rc), false);
    if (rc != LDAP_SUCCESS) return fail(a, directory_status::error, "group search: " + describe(rc));
    LDAP* ld = service_.get();
    for (LDAPMessage* e = ldap_first_entry(ld, res.get()); e != nullptr; e = ldap_next_entry(ld, e)) {
      group_entry g;
      if (char* raw_dn = ldap_get_dn(ld, e)) {
        g.dn = raw_dn;
        ldap_memfree(raw_dn);
      }
      if (berval** values = ldap_get_values_len(ld, e, opts_.group_attr.c_str())) {
        for (berval** v = values; *v != nullptr; ++v) g.names.emplace_back((*v)->bv_val, (*v)->bv_len);
        ldap_value_free_len(values);
      }
      out.push_back(std::move(g));
    }
    return true;
  }

  bool read_groups(const std::string& user, const std::string& user_dn, std::vector<std::string>& names,
                   directory_answer& a) {
    if (opts_.group_base.empty() || opts_.group_filter.empty()) return true;
    std::vector<group_entry> found;
    if (!search_groups(expand_filter(opts_.group_filter, user, user_dn), found, a)) return false;

    // Nested groups: groups whose member is a group already found, level by level. The
    // visited set makes a membership loop end instead of going round.
    std::set<std::string> visited;
    std::vector<std::string> frontier;
    auto absorb = [&](std::vector<group_entry>& entries) {
      for (auto& g : entries) {
        for (auto& n : g.names) names.push_back(std::move(n));
        if (!g.dn.empty() && visited.insert(g.dn).second) frontier.push_back(std::move(g.dn));
      }
      entries.clear();
    };
    absorb(found);
    const bool filter_uses_dn = opts_.group_filter.find("{dn}") != std::string::npos;
    // Several DNs per query keep the round trips down; a bound keeps each filter small.
    constexpr std::size_t dns_per_query = 32;
    for (unsigned depth = 0; filter_uses_dn && depth < opts_.nested_group_depth && !frontier.empty(); ++depth) {
      std::vector<std::string> level;
      level.swap(frontier);
      for (std::size_t i = 0; i < level.size(); i += dns_per_query) {
        std::string filter = "(|";
        for (std::size_t k = i; k < std::min(level.size(), i + dns_per_query); ++k)
          filter += expand_filter(opts_.group_filter, user, level[k]);
        filter += ')';
        if (!search_groups(filter, found, a)) return false;
        absorb(found);
      }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return true;
  }

  ldap_options opts_;
  ldap_handle service_;
  ldap_handle user_;
};

}  // namespace

std::unique_ptr<directory> make_ldap_directory(const ldap_options& opts) {
  return std::make_unique<ldap_directory>(opts);
}

}  // namespace tollgate::auth
