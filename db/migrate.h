#pragma once
// Schema migrations: db/migrations/NNN_name.sql, compiled into the binary, applied in order, each once,
// each in its own transaction.
#include <string>
#include <vector>

namespace voltedge::db {

struct Migration {
    std::string version;  // file name without .sql, e.g. "001_tenancy"
    std::string sql;
};
const std::vector<Migration>& bundled_migrations();

struct MigrationReport {
    std::vector<std::string> applied;  // versions applied by this call
    std::vector<std::string> already;  // versions that were applied before
};

// Connects with admin_url (a login allowed to create roles) and makes sure the roles exist:
// voltedge_owner (NOLOGIN, owns every object), voltedge_app (no BYPASSRLS; the login named in app_url is
// it or a member of it), voltedge_key_resolver (owns the key resolver function only), voltedge_searcher (the
// full-text candidates function) and voltedge_auditor (the audit chain's trigger). Then applies pending
// migrations as voltedge_owner. Safe to run concurrently: an advisory lock serialises runners.
MigrationReport migrate(const std::string& admin_url, const std::string& app_url);

}  // namespace voltedge::db
