#include "security/audit.h"

#include <fmt/format.h>

#include <map>

#include "core/config.h"
#include "core/sha256.h"

namespace voltedge::security {

void audit(pqxx::transaction_base& tx, const std::string& tenant_id, const std::string& actor, const std::string& action,
           const nlohmann::json& details) {
    nlohmann::json recorded = details.is_object() ? details : nlohmann::json{{"details", details}};
    recorded["commit_sha"] = source_commit();
    // id, prev_hash and row_hash come from the chain trigger (db/migrations/017_audit_chain.sql).
    tx.exec_params("INSERT INTO audit_log (tenant_id, actor, action, details) VALUES ($1, $2, $3, $4::jsonb)", tenant_id, actor,
                   action, recorded.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

namespace {

void append_field(std::string& out, const std::string& value) {
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += ';';
}

std::string short_hash(const std::string& h) { return h.size() > 16 ? h.substr(0, 16) + "..." : h; }

struct Head {
    long long last_id = 0;
    std::string last_hash;
    long rows = 0;
};

// Walks one tenant's rows (id order) against the chain rules, then the head; stops at the first break.
ChainCheck check_chain(const std::string& tenant, const std::vector<AuditRow>& rows, const std::optional<Head>& head) {
    ChainCheck c{tenant, 0, true, 0, "", ""};
    const auto broken = [&](const AuditRow* row, std::string problem) {
        c.ok = false;
        c.broken_id = row ? row->id : 0;
        c.broken_action = row ? row->action : "";
        c.problem = std::move(problem);
        return c;
    };
    std::string expected_prev = kAuditGenesis;
    long long previous_id = 0;
    for (const AuditRow& row : rows) {
        ++c.rows;
        const std::string computed = audit_row_hash(row);
        if (computed != row.row_hash)
            return broken(&row, fmt::format("its content does not match its row_hash (stored {}, content hashes to {}): the row "
                                            "was changed after it was written",
                                            short_hash(row.row_hash), short_hash(computed)));
        if (row.prev_hash != expected_prev)
            return broken(&row, previous_id == 0
                                    ? fmt::format("it is the first row but its prev_hash is {}, not the genesis value: rows "
                                                  "before it were deleted",
                                                  short_hash(row.prev_hash))
                                    : fmt::format("its prev_hash {} is not the row_hash {} of the row before it (id {}): a row "
                                                  "between them was deleted, or the chain was rewritten",
                                                  short_hash(row.prev_hash), short_hash(expected_prev), previous_id));
        expected_prev = row.row_hash;
        previous_id = row.id;
    }
    const AuditRow* last = rows.empty() ? nullptr : &rows.back();
    if (!head)
        return rows.empty() ? c : broken(last, "the tenant has audit rows but no chain head (audit_heads): the head was deleted");
    if (!last)
        return broken(nullptr, fmt::format("the chain head names row {} ({} rows) but the tenant has no audit rows: they were "
                                           "deleted",
                                           head->last_id, head->rows));
    if (head->last_id != last->id || head->last_hash != last->row_hash)
        return broken(last, fmt::format("the chain head names row {} (hash {}) as the last, but the last row is this one: rows "
                                        "after it were deleted",
                                        head->last_id, short_hash(head->last_hash)));
    if (head->rows != c.rows)
        return broken(last, fmt::format("the chain head counts {} rows, the chain has {}", head->rows, c.rows));
    return c;
}

}  // namespace

std::string audit_row_hash(const AuditRow& row) {
    std::string content = "voltedge-audit-v1";
    append_field(content, row.tenant);
    append_field(content, std::to_string(row.id));
    append_field(content, row.actor);
    append_field(content, row.action);
    append_field(content, row.details);
    append_field(content, std::to_string(row.created_at_us));
    append_field(content, row.prev_hash);
    return sha256_hex(content);
}

bool AuditReport::ok() const {
    for (const auto& t : tenants)
        if (!t.ok) return false;
    return true;
}

AuditReport verify_audit_chain(pqxx::connection& admin, const std::optional<std::string>& tenant) {
    // Rows and heads from one snapshot, so a row appended while this reads cannot look like a broken head.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(admin);
    tx.exec("SET LOCAL ROLE voltedge_auditor");
    const std::string where = tenant ? " WHERE tenant_id = " + tx.quote(*tenant) : "";
    std::map<std::string, std::vector<AuditRow>> rows;
    for (const auto& r : tx.exec("SELECT tenant_id, id, actor, action, details::text, "
                                 "(extract(epoch FROM created_at) * 1000000)::bigint, prev_hash, row_hash FROM audit_log" +
                                 where + " ORDER BY tenant_id, id"))
        rows[r[0].c_str()].push_back({r[0].c_str(), r[1].as<long long>(), r[2].c_str(), r[3].c_str(), r[4].c_str(),
                                      r[5].as<long long>(), r[6].as<std::string>(""), r[7].as<std::string>("")});
    std::map<std::string, Head> heads;
    for (const auto& r : tx.exec("SELECT tenant_id, last_id, last_hash, rows FROM audit_heads" + where))
        heads[r[0].c_str()] = {r[1].as<long long>(), r[2].c_str(), r[3].as<long>()};
    tx.commit();

    AuditReport report;
    for (const auto& [id, _] : heads) rows.try_emplace(id);
    if (tenant) rows.try_emplace(*tenant);
    for (const auto& [id, chain] : rows) {
        const auto head = heads.find(id);
        report.tenants.push_back(check_chain(id, chain, head == heads.end() ? std::nullopt : std::optional<Head>(head->second)));
    }
    return report;
}

}  // namespace voltedge::security
