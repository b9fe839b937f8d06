#pragma once
// Tenant offboarding, the database's part (administrative login, acting as voltedge_owner with the tenant set,
// so the forced row-level security confines every statement to that one tenant). `voltedge tenant export` and
// `voltedge tenant delete` (cli/governance.h) add the model registry and the cache.
//
// The tenant tables are found in the catalog (every public table with a tenant_id column), so a table a later
// migration adds is exported and deleted without being listed here. Deleting keeps three: `tenants` (the row
// stays as a tombstone, so the id is never reused), `audit_log` and `audit_heads` (the audit chain is the
// governance record of what was done, deletion included, and still verifies).
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace voltedge::security {

// Every table holding tenant rows, each before the tables it references (the order rows can be deleted in).
std::vector<std::string> tenant_tables(pqxx::transaction_base& tx);
// What deleting a tenant keeps: tenants (tombstone), audit_log, audit_heads.
bool kept_on_delete(const std::string& table);

struct TableExport {
    std::string table, file;
    long rows = 0;
};
struct TenantExport {
    std::string dir, exported_at;  // exported_at: UTC, ISO 8601, the snapshot's time
    std::vector<TableExport> tables;
};

// Writes one JSON-lines file per tenant table (<table>.jsonl, one row_to_json object a line) and manifest.json
// (tenant, export time, commit, row counts) to `out_dir`, all from one snapshot. `out_dir` must not exist or be
// empty; the files are written to a sibling folder first and moved into place at the end, so an interrupted
// export leaves no half-written `out_dir`. The export is an audit row (tenant.exported).
TenantExport export_tenant(const std::string& admin_url, const std::string& tenant, const std::string& out_dir,
                           const std::string& actor);

enum class TenantState { active, deleting, deleted };

struct DeletionStart {
    TenantState was = TenantState::active;
    std::vector<std::string> revoked_keys;  // keys revoked now (none on a rerun)
};
// Step 1 of a deletion: marks the tenant as being deleted (tenants.deleting_at: db::enter_tenant refuses it from
// now on, so no new work is accepted) and revokes its keys, with an audit row tenant.delete_started. On a rerun
// (deleting or deleted already) it changes nothing. Throws Error for an unknown tenant.
DeletionStart begin_tenant_deletion(const std::string& admin_url, const std::string& tenant, const std::string& actor);

// Step 2: deletes the tenant's rows from every tenant table but the kept ones, children first, in one
// transaction, and drops its own vector index if it has one. Rows per table (tables with none are left out).
// Only for a tenant that begin_tenant_deletion marked.
std::map<std::string, long> delete_tenant_rows(const std::string& admin_url, const std::string& tenant);

// Last step: deletes rows written since step 2 by work that started before the mark, sets deleted_at and
// appends the audit row tenant.deleted (who, and `summary`: what the steps removed). False when the tenant was
// deleted already: then only rows left since are deleted, with an audit row tenant.delete_swept if anything
// was (rows, or `removed_anything` elsewhere), so a rerun that finds nothing changes nothing.
bool finish_tenant_deletion(const std::string& admin_url, const std::string& tenant, const std::string& actor,
                            const nlohmann::json& summary, bool removed_anything);

}  // namespace voltedge::security
