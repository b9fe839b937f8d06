#include "security/offboarding.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/config.h"
#include "core/error.h"
#include "db/connection.h"
#include "security/audit.h"
#include "security/tenants.h"

namespace voltedge::security {
namespace fs = std::filesystem;

namespace {

constexpr const char* kKept[] = {"tenants", "audit_log", "audit_heads"};

// The owner, confined by the forced policies to `tenant` for this transaction.
void act_as_owner(pqxx::transaction_base& tx, const std::string& tenant) {
    tx.exec("SET LOCAL ROLE voltedge_owner");
    db::set_tenant(tx, tenant);
}

struct TenantRow {
    bool deleting = false, deleted = false;
};

// The tenant's row, locked so that two deletions of one tenant run one after the other.
TenantRow lock_tenant(pqxx::transaction_base& tx, const std::string& tenant) {
    const auto r = tx.exec_params(
        "SELECT deleting_at IS NOT NULL, deleted_at IS NOT NULL FROM tenants WHERE tenant_id = $1 FOR UPDATE", tenant);
    if (r.empty()) throw Error("unknown tenant '" + tenant + "'", "voltedge tenant create " + tenant + " makes one");
    return {r[0][0].as<bool>(), r[0][1].as<bool>()};
}

// Deletes the tenant's rows from every table deletion does not keep, children first.
std::map<std::string, long> delete_rows(pqxx::transaction_base& tx, const std::string& tenant) {
    std::map<std::string, long> deleted;
    for (const std::string& table : tenant_tables(tx)) {
        if (kept_on_delete(table)) continue;
        const auto n = tx.exec_params("DELETE FROM " + tx.quote_name(table) + " WHERE tenant_id = $1", tenant).affected_rows();
        if (n > 0) deleted[table] = static_cast<long>(n);
    }
    // A large tenant has an HNSW index of its own (db/migrations/007); with its rows gone it would stay empty.
    if (tx.exec("SELECT to_regprocedure('rag_ann_index_name(text)') IS NOT NULL")[0][0].as<bool>()) {
        const std::string index = tx.exec_params1("SELECT rag_ann_index_name($1)", tenant)[0].as<std::string>();
        tx.exec("DROP INDEX IF EXISTS " + tx.quote_name(index));
    }
    return deleted;
}

void check_export_folder(const fs::path& out) {
    if (!fs::exists(out)) return;
    if (!fs::is_directory(out))
        throw Error("export folder " + out.string() + " is a file", "give a new or empty folder for the export");
    if (!fs::is_empty(out))
        throw Error("export folder " + out.string() + " is not empty",
                    "give a new or empty folder; an export never overwrites or mixes with other files");
}

// Writes every row of `table` (the transaction's tenant) as one JSON object a line; returns the row count. A
// cursor keeps memory flat for tables of millions of rows.
long write_table(pqxx::transaction_base& tx, const std::string& table, const fs::path& file) {
    std::ofstream out(file, std::ios::binary);
    if (!out) throw Error("cannot write " + file.string(), "check the folder's permissions and free space");
    tx.exec("DECLARE tenant_export NO SCROLL CURSOR FOR SELECT row_to_json(t)::text FROM " + tx.quote_name(table) + " t");
    long rows = 0;
    for (;;) {
        const auto batch = tx.exec("FETCH FORWARD 5000 FROM tenant_export");
        for (const auto& r : batch) out << r[0].c_str() << '\n';
        rows += static_cast<long>(batch.size());
        if (batch.empty()) break;
    }
    tx.exec("CLOSE tenant_export");
    out.flush();
    if (!out) throw Error("writing " + file.string() + " failed", "check the free space");
    return rows;
}

}  // namespace

std::vector<std::string> tenant_tables(pqxx::transaction_base& tx) {
    std::set<std::string> remaining;
    for (const auto& r : tx.exec("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND EXISTS (SELECT 1 FROM "
                                 "pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)"))
        remaining.insert(r[0].c_str());
    std::vector<std::pair<std::string, std::string>> references;  // (child, parent)
    for (const auto& r : tx.exec("SELECT ch.relname, pa.relname FROM pg_constraint k JOIN pg_class ch ON ch.oid = k.conrelid "
                                 "JOIN pg_class pa ON pa.oid = k.confrelid JOIN pg_namespace n ON n.oid = ch.relnamespace "
                                 "WHERE k.contype = 'f' AND n.nspname = 'public'"))
        if (std::string(r[0].c_str()) != r[1].c_str()) references.emplace_back(r[0].c_str(), r[1].c_str());
    // A table goes when no remaining table references it: children before their parents.
    std::vector<std::string> ordered;
    while (!remaining.empty()) {
        const auto next = std::find_if(remaining.begin(), remaining.end(), [&](const std::string& table) {
            return std::none_of(references.begin(), references.end(),
                                [&](const auto& ref) { return ref.second == table && remaining.count(ref.first); });
        });
        if (next == remaining.end())
            throw Error("the tenant tables' foreign keys form a cycle (" + *remaining.begin() + ", ...)",
                        "a migration made two tables reference each other; offboarding cannot order their deletion");
        ordered.push_back(*next);
        remaining.erase(next);
    }
    return ordered;
}

bool kept_on_delete(const std::string& table) { return std::find(std::begin(kKept), std::end(kKept), table) != std::end(kKept); }

TenantExport export_tenant(const std::string& admin_url, const std::string& tenant, const std::string& out_dir,
                           const std::string& actor) {
    check_tenant_id(tenant);
    const fs::path out = fs::absolute(out_dir).lexically_normal();
    check_export_folder(out);
    const fs::path partial = out.parent_path() / (out.filename().string() + ".partial-" + std::to_string(getpid()));
    fs::remove_all(partial);
    fs::create_directories(partial);
    TenantExport result{out.string(), "", {}};
    auto conn = db::connect(admin_url);
    try {
        // One snapshot for every table: the files agree with each other.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
        act_as_owner(tx, tenant);
        if (tx.exec_params("SELECT 1 FROM tenants WHERE tenant_id = $1", tenant).empty())
            throw Error("unknown tenant '" + tenant + "'", "voltedge tenant create " + tenant + " makes one");
        result.exported_at =
            tx.exec1("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")[0].as<std::string>();
        auto tables = tenant_tables(tx);
        std::sort(tables.begin(), tables.end());
        for (const auto& table : tables) {
            const std::string file = table + ".jsonl";
            result.tables.push_back({table, file, write_table(tx, table, partial / file)});
        }
        tx.commit();
        nlohmann::json manifest = {{"tenant", tenant},
                                   {"exported_at", result.exported_at},
                                   {"exported_by", actor},
                                   {"source_commit", source_commit()},
                                   {"format", "one JSON object per line per row (PostgreSQL row_to_json)"},
                                   {"tables", nlohmann::json::array()}};
        for (const auto& t : result.tables)
            manifest["tables"].push_back({{"table", t.table}, {"file", t.file}, {"rows", t.rows}});
        std::ofstream(partial / "manifest.json") << manifest.dump(2) << '\n';
        fs::rename(partial, out);  // replaces `out` only when it is an empty folder (checked above)
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(partial, ignored);
        throw;
    }
    pqxx::work tx(conn);
    act_as_owner(tx, tenant);
    long rows = 0;
    for (const auto& t : result.tables) rows += t.rows;
    audit(tx, tenant, actor, "tenant.exported",
          {{"folder", result.dir}, {"exported_at", result.exported_at}, {"tables", result.tables.size()}, {"rows", rows}});
    tx.commit();
    return result;
}

DeletionStart begin_tenant_deletion(const std::string& admin_url, const std::string& tenant, const std::string& actor) {
    check_tenant_id(tenant);
    auto conn = db::connect(admin_url);
    pqxx::work tx(conn);
    act_as_owner(tx, tenant);
    const TenantRow row = lock_tenant(tx, tenant);
    DeletionStart start;
    start.was = row.deleted ? TenantState::deleted : row.deleting ? TenantState::deleting : TenantState::active;
    if (start.was != TenantState::active) return start;
    tx.exec_params("UPDATE tenants SET deleting_at = now(), deleted_by = $2 WHERE tenant_id = $1", tenant, actor);
    for (const auto& r : tx.exec("UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL RETURNING key_id"))
        start.revoked_keys.push_back(r[0].c_str());
    audit(tx, tenant, actor, "tenant.delete_started", {{"revoked_keys", start.revoked_keys}});
    tx.commit();
    return start;
}

std::map<std::string, long> delete_tenant_rows(const std::string& admin_url, const std::string& tenant) {
    check_tenant_id(tenant);
    auto conn = db::connect(admin_url);
    pqxx::work tx(conn);
    act_as_owner(tx, tenant);
    if (!lock_tenant(tx, tenant).deleting)
        throw Error("tenant " + tenant + " is not marked for deletion", "voltedge tenant delete marks it first");
    auto deleted = delete_rows(tx, tenant);
    tx.commit();
    return deleted;
}

bool finish_tenant_deletion(const std::string& admin_url, const std::string& tenant, const std::string& actor,
                            const nlohmann::json& summary, bool removed_anything) {
    check_tenant_id(tenant);
    auto conn = db::connect(admin_url);
    pqxx::work tx(conn);
    act_as_owner(tx, tenant);
    const TenantRow row = lock_tenant(tx, tenant);
    if (!row.deleting) throw Error("tenant " + tenant + " is not marked for deletion", "voltedge tenant delete marks it first");
    nlohmann::json details = summary;
    const auto late = delete_rows(tx, tenant);
    if (!late.empty()) details["late_rows"] = late;
    if (row.deleted) {
        // A rerun after the deletion finished: normally nothing was left; what was is on the record.
        if (removed_anything || !late.empty()) audit(tx, tenant, actor, "tenant.delete_swept", details);
        tx.commit();
        return false;
    }
    tx.exec_params("UPDATE tenants SET deleted_at = now(), deleted_by = $2 WHERE tenant_id = $1", tenant, actor);
    audit(tx, tenant, actor, "tenant.deleted", details);
    tx.commit();
    return true;
}

}  // namespace voltedge::security
