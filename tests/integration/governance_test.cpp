// The tamper-evident audit log (security/audit.h), against the real Postgres.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "cli/governance.h"
#include "core/config.h"
#include "db/connection.h"
#include "security/audit.h"
#include "security/tenants.h"
#include "support.h"

using namespace voltedge;

namespace {

// Appends `n` audit rows to the tenant as the application does (application role, tenant set).
void append_audit(const std::string& tenant, int n, const std::string& actor = "test") {
    auto conn = db::connect(test::config().database_url);
    for (int i = 0; i < n; ++i)
        db::with_tenant(conn, tenant, [&](pqxx::work& tx) { security::audit(tx, tenant, actor, "test.event", {{"i", i}}); });
}

security::ChainCheck verify(const std::string& tenant) {
    auto admin = db::connect(test::config().database_admin_url);
    const auto report = security::verify_audit_chain(admin, tenant);
    if (report.tenants.size() != 1) throw std::runtime_error("expected one chain for " + tenant);
    return report.tenants[0];
}

// Runs `sql` with the administrative login (a superuser: past every grant and policy), as an intruder would.
pqxx::result as_admin(const std::string& sql) {
    auto admin = db::connect(test::config().database_admin_url);
    pqxx::work tx(admin);
    auto r = tx.exec(sql);
    tx.commit();
    return r;
}

std::vector<long long> audit_ids(const std::string& tenant) {
    std::vector<long long> ids;
    for (const auto& r : as_admin("SELECT id FROM audit_log WHERE tenant_id = '" + tenant + "' ORDER BY id"))
        ids.push_back(r[0].as<long long>());
    return ids;
}

// Tampered chains stay broken; at the end of a test their rows and heads go, so that `voltedge audit verify` of
// the whole test database still passes afterwards.
struct ForgetChains {
    std::vector<std::string> tenants;
    ~ForgetChains() {
        for (const auto& t : tenants)
            as_admin("DELETE FROM audit_log WHERE tenant_id = '" + t + "'; DELETE FROM audit_heads WHERE tenant_id = '" + t +
                     "'");
    }
};

}  // namespace

TEST(Audit, VerifyPassesOnAnUntouchedChain) {
    const std::string tenant = test::new_tenant("audit");  // tenant.create is the first row
    append_audit(tenant, 5);
    const std::string key = security::issue_api_key(test::config().database_admin_url, tenant, false, "test-admin");
    security::revoke_api_key(test::config().database_admin_url, tenant, key.substr(3, 8), "test-admin");
    const auto check = verify(tenant);
    EXPECT_TRUE(check.ok) << check.problem;
    EXPECT_EQ(check.rows, 8);

    // Every row names the build it was written by, and the first links to the genesis value.
    const auto rows = as_admin("SELECT details->>'commit_sha', prev_hash, action FROM audit_log WHERE tenant_id = '" + tenant +
                               "' ORDER BY id");
    ASSERT_EQ(rows.size(), 8u);
    for (const auto& r : rows) EXPECT_EQ(r[0].as<std::string>(""), source_commit()) << r[2].c_str();
    EXPECT_EQ(rows[0][1].as<std::string>(), security::kAuditGenesis);
    EXPECT_EQ(rows[7][2].as<std::string>(), "api_key.revoke");

    // The application may add rows, never rewrite them or the head.
    auto conn = db::connect(test::config().database_url);
    for (const char* sql : {"UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "UPDATE audit_heads SET last_id = 0",
                            "DELETE FROM audit_heads"}) {
        pqxx::work tx(conn);
        db::set_tenant(tx, tenant);
        EXPECT_THROW(tx.exec(sql), pqxx::insufficient_privilege) << sql;
    }
}

TEST(Audit, DetectsARowChangedByTheAdministrator) {
    const std::string tenant = test::new_tenant("audit");
    const std::string other = test::new_tenant("audit");
    ForgetChains forget{{tenant, other}};
    append_audit(tenant, 4);
    const auto ids = audit_ids(tenant);
    ASSERT_EQ(ids.size(), 5u);
    as_admin("UPDATE audit_log SET details = details || '{\"i\": 99}' WHERE id = " + std::to_string(ids[2]));
    const auto check = verify(tenant);
    EXPECT_FALSE(check.ok);
    EXPECT_EQ(check.broken_id, ids[2]);
    EXPECT_EQ(check.broken_action, "test.event");
    EXPECT_NE(check.problem.find("content does not match"), std::string::npos) << check.problem;

    // The command says so and fails.
    std::ostringstream out;
    Config config = test::config();
    EXPECT_EQ(cli::run_audit_verify(config, tenant, out), 1);
    EXPECT_NE(out.str().find("BROKEN  " + tenant), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("at row " + std::to_string(ids[2])), std::string::npos) << out.str();

    // A change to the actor or the time is found as well (another tenant, the same way).
    append_audit(other, 2);
    const auto other_ids = audit_ids(other);
    as_admin("UPDATE audit_log SET created_at = created_at + interval '1 microsecond' WHERE id = " +
             std::to_string(other_ids[1]));
    EXPECT_EQ(verify(other).broken_id, other_ids[1]);
}

TEST(Audit, DetectsADeletedRow) {
    // In the middle: the next row's prev_hash no longer matches.
    const std::string middle = test::new_tenant("audit");
    const std::string last = test::new_tenant("audit");
    ForgetChains forget{{middle, last}};
    append_audit(middle, 4);
    auto ids = audit_ids(middle);
    as_admin("DELETE FROM audit_log WHERE id = " + std::to_string(ids[2]));
    auto check = verify(middle);
    EXPECT_FALSE(check.ok);
    EXPECT_EQ(check.broken_id, ids[3]);
    EXPECT_NE(check.problem.find("was deleted"), std::string::npos) << check.problem;

    // The last: every remaining link holds, but the head names the row that is gone.
    append_audit(last, 4);
    ids = audit_ids(last);
    as_admin("DELETE FROM audit_log WHERE id = " + std::to_string(ids.back()));
    check = verify(last);
    EXPECT_FALSE(check.ok);
    EXPECT_EQ(check.broken_id, ids[ids.size() - 2]);
    EXPECT_NE(check.problem.find("chain head names row " + std::to_string(ids.back())), std::string::npos) << check.problem;

    // ... and a row appended after the deletion does not hide it: it links to the head, not to the survivor.
    append_audit(last, 1);
    check = verify(last);
    EXPECT_FALSE(check.ok);
    EXPECT_GT(check.broken_id, ids.back());
}

TEST(Audit, ConcurrentWritersKeepOneChain) {
    const std::string tenant = test::new_tenant("audit");
    constexpr int kThreads = 6, kRows = 25;
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t)
        writers.emplace_back([&, t] { append_audit(tenant, kRows, "writer-" + std::to_string(t)); });
    for (auto& w : writers) w.join();
    const auto check = verify(tenant);
    EXPECT_TRUE(check.ok) << "row " << check.broken_id << ": " << check.problem;
    EXPECT_EQ(check.rows, 1 + kThreads * kRows);
    // One chain: every prev_hash is used once.
    EXPECT_EQ(as_admin("SELECT count(DISTINCT prev_hash) FROM audit_log WHERE tenant_id = '" + tenant + "'")[0][0].as<long>(),
              1 + kThreads * kRows);
}
