#include <gtest/gtest.h>

#include "core/sha256.h"
#include "core/error.h"
#include "db/connection.h"
#include "db/migrate.h"
#include "ingestion/ingest.h"
#include "security/api_keys.h"
#include "security/tenants.h"
#include "support.h"

using namespace voltedge;
using voltedge::test::count_as_app;

namespace {

const char* kTenantTables[] = {"tenants", "api_keys", "audit_log", "ingest_runs", "data_quality", "usage_minute", "usage_hourly"};

// Two tenants with different data, loaded once for the whole suite.
class RlsTest : public ::testing::Test {
protected:
    static inline std::string a, b;
    static void SetUpTestSuite() {
        auto conn = db::connect(test::config().database_url);
        a = test::new_tenant("rls-a");
        b = test::new_tenant("rls-b");
        for (auto [tenant, file] : {std::pair{a, "excerpt-2006-12-16_18.txt"}, std::pair{b, "excerpt-2007-02-01_02.txt"}}) {
            ingestion::IngestOptions o;
            o.tenant = tenant;
            o.source = test::data_file(file);
            ingestion::ingest(conn, o);
        }
    }
    pqxx::connection conn = db::connect(test::config().database_url);
    long count(const std::string& tenant, const std::string& sql) { return count_as_app(conn, tenant, sql); }
};

}  // namespace

TEST_F(RlsTest, EachTenantSeesOnlyItsOwnRows) {
    EXPECT_EQ(count(a, "SELECT * FROM usage_minute"), 2203);
    EXPECT_EQ(count(b, "SELECT * FROM usage_minute"), 2880);
    EXPECT_EQ(count(a, "SELECT * FROM usage_minute WHERE tenant_id = '" + b + "'"), 0);
    EXPECT_EQ(count(a, "SELECT * FROM usage_hourly"), 38);
    EXPECT_EQ(count(b, "SELECT * FROM usage_hourly"), 48);
    EXPECT_EQ(count(a, "SELECT * FROM tenants"), 1);
    for (const char* table : kTenantTables)
        EXPECT_EQ(count(a, std::string("SELECT * FROM ") + table + " WHERE tenant_id <> '" + a + "'"), 0) << table;
}

TEST_F(RlsTest, NoTenantSetMeansNoRows) {
    for (const char* table : kTenantTables) EXPECT_EQ(count("", std::string("SELECT * FROM ") + table), 0) << table;
}

TEST_F(RlsTest, CannotWriteAnotherTenantsRows) {
    {
        pqxx::work tx(conn);
        db::set_tenant(tx, a);
        EXPECT_THROW(
            tx.exec_params("INSERT INTO usage_hourly (tenant_id, hour, mean_kw, energy_kwh, min_kw, max_kw, "
                           "mean_reactive_kw, mean_voltage, sub_metering_1_wh, sub_metering_2_wh, sub_metering_3_wh, "
                           "minutes_present, minutes_imputed, run_id) VALUES ($1, '2030-01-01', 1,1,1,1,1,1,1,1,1,60,0,1)",
                           b),
            pqxx::sql_error);
    }
    pqxx::work tx(conn);
    db::set_tenant(tx, a);
    EXPECT_EQ(tx.exec_params("DELETE FROM usage_minute WHERE tenant_id = $1", b).affected_rows(), 0u);
    // UPDATE is not even granted on usage data; reading is the only way in, and it is filtered.
    tx.abort();
    EXPECT_EQ(count(b, "SELECT * FROM usage_minute"), 2880);
}

TEST_F(RlsTest, AReusedConnectionNeverKeepsThePreviousTenant) {
    for (int i = 0; i < 12; ++i) {
        switch (i % 3) {
            case 0: EXPECT_EQ(count(a, "SELECT * FROM usage_minute"), 2203); break;
            case 1: EXPECT_EQ(count("", "SELECT * FROM usage_minute"), 0); break;
            case 2: EXPECT_EQ(count(b, "SELECT * FROM usage_minute"), 2880); break;
        }
    }
    pqxx::work tx(conn);  // nothing set in this transaction: the previous one's SET LOCAL is gone
    EXPECT_EQ(tx.exec("SELECT coalesce(current_setting('app.tenant_id', true), '')")[0][0].as<std::string>(), "");
}

TEST_F(RlsTest, ApplicationRoleCannotBypassPolicies) {
    pqxx::work tx(conn);
    const auto role = tx.exec("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")[0];
    EXPECT_FALSE(role[0].as<bool>());
    EXPECT_FALSE(role[1].as<bool>());
    for (const char* table : kTenantTables) {
        const auto r = tx.exec_params("SELECT relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) FROM pg_class "
                                      "WHERE oid = $1::regclass",
                                      std::string(table))[0];
        EXPECT_TRUE(r[0].as<bool>()) << table;
        EXPECT_TRUE(r[1].as<bool>()) << table;
        EXPECT_EQ(r[2].as<std::string>(), "voltedge_owner") << table;
    }
}

// Every table that holds a tenant_id, including those later migrations add (jobs, evaluations, canaries, ...),
// is under forced row-level security: a new table cannot be left out by forgetting to list it here.
TEST_F(RlsTest, EveryTableWithATenantIdForcesRowLevelSecurity) {
    pqxx::work tx(conn);
    const auto tables = tx.exec(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
        "AND a.attname = 'tenant_id' AND NOT a.attisdropped)");
    EXPECT_GE(tables.size(), 15u);
    for (const auto& t : tables) {
        EXPECT_TRUE(t[1].as<bool>()) << t[0].c_str() << " has no row-level security";
        EXPECT_TRUE(t[2].as<bool>()) << t[0].c_str() << " does not force row-level security on its owner";
    }
}

TEST_F(RlsTest, ApiKeysResolveThroughTheNarrowFunctionOnly) {
    const std::string secret = security::issue_api_key(test::config().database_admin_url, a, false, "test");
    const std::string admin = security::issue_api_key(test::config().database_admin_url, a, true, "test");
    const std::string op = security::issue_operator_key(test::config().database_admin_url, "test");
    pqxx::work tx(conn);  // no tenant set: the key table itself shows nothing...
    EXPECT_EQ(tx.exec("SELECT count(*) FROM api_keys")[0][0].as<long>(), 0);
    // ...but the resolver maps exactly this key's hash to its tenant and scope.
    const auto r = tx.exec_params("SELECT tenant_id, scope FROM resolve_key($1)", sha256_hex(secret));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0][0].as<std::string>(), a);
    EXPECT_EQ(r[0][1].as<std::string>(), "tenant");
    EXPECT_EQ(tx.exec_params("SELECT scope FROM resolve_key($1)", sha256_hex(admin))[0][0].as<std::string>(), "tenant_admin");
    const auto o = tx.exec_params("SELECT tenant_id, scope FROM resolve_key($1)", sha256_hex(op));
    ASSERT_EQ(o.size(), 1u);
    EXPECT_TRUE(o[0][0].is_null());
    EXPECT_EQ(o[0][1].as<std::string>(), "operator");
    EXPECT_TRUE(tx.exec_params("SELECT * FROM resolve_key($1)", sha256_hex(secret + "x")).empty());
    EXPECT_TRUE(tx.exec("SELECT to_regprocedure('resolve_api_key(text)') IS NULL")[0][0].as<bool>());  // replaced
}

// Operator keys are the administrative login's: the application role can neither read nor make them.
TEST_F(RlsTest, TheApplicationCannotSeeOrMakeOperatorKeys) {
    security::issue_operator_key(test::config().database_admin_url, "test");
    {
        pqxx::work tx(conn);
        EXPECT_THROW(tx.exec("SELECT count(*) FROM operator_keys"), pqxx::insufficient_privilege);
    }
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec("INSERT INTO operator_keys (key_id, key_hash, created_by) VALUES ('x', 'y', 'z')"),
                 pqxx::insufficient_privilege);
}

// The application login is stripped of privileges by migrate: handed the admin's own login by mistake, it must
// refuse rather than leave the server without a superuser (it once did, on a developer's machine).
TEST(Migrate, RefusesAPrivilegedRoleAsTheApplicationLogin) {
    const auto& c = test::config();
    try {
        db::migrate(c.database_admin_url, c.database_admin_url);
        FAIL() << "migrate accepted the admin login as the application's";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("privileged role"), std::string::npos) << e.what();
        EXPECT_NE(e.hint().find("DATABASE_URL"), std::string::npos);
    }
    auto admin = db::connect(c.database_admin_url);
    pqxx::nontransaction tx(admin);
    EXPECT_TRUE(tx.exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0].as<bool>());
    EXPECT_TRUE(tx.exec("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'voltedge_app'")[0][0].as<bool>());
}

// The search's vector stage sends its tenant, the tenant's check and its settings ahead, then computes: the same
// rows and the same refusals as with_tenant, with the settings in force for the transaction alone.
TEST_F(RlsTest, AnOverlappedTenantTransactionEntersChecksAndSetsAsWithTenant) {
    bool prepared = false;
    const auto [rows, ef_search] = db::with_tenant_overlapped(
        conn, a, {{"hnsw.ef_search", "123"}}, [&] { return prepared = true; },
        [&](pqxx::work& tx, bool ready) {
        EXPECT_TRUE(ready);
        return std::pair{tx.exec("SELECT count(*) FROM usage_minute")[0][0].as<long>(),
                         tx.exec("SELECT current_setting('hnsw.ef_search', true)")[0][0].as<std::string>()};
        });
    EXPECT_TRUE(prepared);
    EXPECT_EQ(rows, 2203);
    EXPECT_EQ(ef_search, "123");
    pqxx::work after(conn);
    EXPECT_EQ(after.exec("SELECT coalesce(current_setting('app.tenant_id', true), '')")[0][0].as<std::string>(), "");
    after.abort();

    const auto nothing = [] { return 0; };
    const auto unused = [](pqxx::work&, int) { return 0; };
    EXPECT_THROW(db::with_tenant_overlapped(conn, "no-such-tenant", {}, nothing, unused), Error);
    EXPECT_THROW(db::with_tenant_overlapped(conn, a + "' OR true --", {}, nothing, unused), Error);  // quoted, not SQL
    // What the caller computes may fail: the transaction is rolled back and the connection stays usable.
    EXPECT_THROW(db::with_tenant_overlapped(
                     conn, a, {}, []() -> int { throw std::runtime_error("embedding failed"); }, unused),
                 std::runtime_error);
    EXPECT_EQ(count(b, "SELECT * FROM usage_minute"), 2880);
}
