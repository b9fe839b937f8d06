#pragma once
// The one writer of audit_log (append-only under row-level security): who did what to which tenant, in the
// caller's transaction, so the record commits or rolls back with the change it describes. Every row's details
// carry `commit_sha`, the commit of the running build (core/config.h source_commit()).
//
// Tamper evidence (db/migrations/017_audit_chain.sql). Each tenant's rows form a hash chain in id order: a
// BEFORE INSERT trigger (serialised per tenant) gives each row its id, prev_hash (the previous row's row_hash,
// or 64 '0' for the tenant's first row) and row_hash, and moves the tenant's head (audit_heads: last id, last
// hash, row count), which the application role cannot write. The hashed content:
//
//   row_hash = lowercase hex SHA-256 of
//     "voltedge-audit-v1" F(tenant_id) F(id) F(actor) F(action) F(details) F(created_at) F(prev_hash)
//   F(x) = <byte length of x in decimal> ":" x ";"
//   id: decimal; details: the jsonb text form (details::text); created_at: microseconds since the Unix epoch
//   (UTC), decimal; text fields as UTF-8.
//
// verify_audit_chain recomputes this in C++ (not with the SQL function), so a changed row, a deleted row (the
// next row's prev_hash no longer matches) and deleted newest rows (the head no longer matches) are all found.
// Someone who can also rewrite audit_heads and every later row can forge a consistent chain: the chain shows
// tampering by whoever got past the application's grants, it does not stop a database superuser.
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace voltedge::security {

// `tx` must have the tenant set (db::with_tenant or an owner transaction scoped to the tenant).
void audit(pqxx::transaction_base& tx, const std::string& tenant_id, const std::string& actor, const std::string& action,
           const nlohmann::json& details = nlohmann::json::object());

inline constexpr const char* kAuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditRow {
    std::string tenant;
    long long id = 0;
    std::string actor, action;
    std::string details;              // details::text
    long long created_at_us = 0;      // microseconds since the Unix epoch, UTC
    std::string prev_hash, row_hash;  // as stored
};

// The row_hash the row should have (the content above, from its stored prev_hash).
std::string audit_row_hash(const AuditRow& row);

struct ChainCheck {
    std::string tenant;
    long rows = 0;  // rows checked
    bool ok = true;
    // The first broken row (0: the break is in the head, after the last row) and what does not match.
    long long broken_id = 0;
    std::string broken_action, problem;
};

struct AuditReport {
    std::vector<ChainCheck> tenants;  // by tenant id
    bool ok() const;
};

// Checks every tenant's chain (or one tenant's) against its rows and head. `admin` is the administrative login:
// it reads as voltedge_auditor (every tenant's rows, nothing writable) in a read-only snapshot.
AuditReport verify_audit_chain(pqxx::connection& admin, const std::optional<std::string>& tenant = std::nullopt);

}  // namespace voltedge::security
