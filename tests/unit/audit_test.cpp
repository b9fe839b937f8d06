// The audit chain's hashed content (security/audit.h): pinned, because the SQL trigger
// (db/migrations/017_audit_chain.sql) computes the same bytes and rows already written depend on it.
#include <gtest/gtest.h>

#include "core/sha256.h"
#include "security/audit.h"

using namespace voltedge;

TEST(AuditChain, RowHashIsTheDocumentedCanonicalForm) {
    const security::AuditRow row{
        "acme", 7, "cli:ana", "model.promote", R"({"version": "3"})", 1700000000123456, security::kAuditGenesis, ""};
    const std::string content = std::string("voltedge-audit-v1") + "4:acme;" + "1:7;" + "7:cli:ana;" + "13:model.promote;" +
                                R"(16:{"version": "3"};)" + "16:1700000000123456;" + "64:" + security::kAuditGenesis + ";";
    EXPECT_EQ(security::audit_row_hash(row), sha256_hex(content));
}

TEST(AuditChain, LengthsKeepFieldsApart) {
    // Moving a character from one field to the next changes the hash: no separator can be forged.
    security::AuditRow a{"acme", 7, "cli:an", "amodel.promote", "{}", 0, security::kAuditGenesis, ""};
    security::AuditRow b{"acme", 7, "cli:ana", "model.promote", "{}", 0, security::kAuditGenesis, ""};
    EXPECT_NE(security::audit_row_hash(a), security::audit_row_hash(b));
    // Multi-byte characters count in bytes, as PostgreSQL's octet_length does.
    b.actor = "cli:anä";
    EXPECT_EQ(security::audit_row_hash(b),
              sha256_hex(std::string("voltedge-audit-v1") + "4:acme;1:7;8:cli:anä;13:model.promote;2:{};1:0;" +
                         "64:" + security::kAuditGenesis + ";"));
}
