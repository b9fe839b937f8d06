// The tamper-evident audit log (security/audit.h) and tenant offboarding (security/offboarding.h,
// cli/governance.h), against the real Postgres, MLflow and Redis.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "cli/governance.h"
#include "core/config.h"
#include "core/error.h"
#include "core/sha256.h"
#include "db/connection.h"
#include "db/redis_client.h"
#include "registry/mlflow.h"
#include "security/audit.h"
#include "security/offboarding.h"
#include "security/tenants.h"
#include "serving/prediction_cache.h"
#include "support.h"
#include "training/train.h"

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

namespace {

namespace fs = std::filesystem;

// Rows of every kind a tenant accumulates, beyond usage and features: a prediction, a job, a document with a
// chunk, an agent thread with a checkpoint, and an API key.
std::string give_tenant_data(const std::string& tenant) {
    auto conn = db::connect(test::config().database_url);
    db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        tx.exec_params("INSERT INTO predictions (tenant_id, id, target_hour, horizon_hours, origin_hour, value_kw, model_name, "
                       "model_version, model_family, inputs, request_id) VALUES ($1, gen_random_uuid(), '2009-01-02', 1, "
                       "'2009-01-02', 1, 'm', '1', 'linear', '{1}', 'r')",
                       tenant);
        tx.exec_params("INSERT INTO jobs (tenant_id, job_id, kind, state, max_attempts) VALUES ($1, gen_random_uuid(), "
                       "'features', 'succeeded', 3)",
                       tenant);
        tx.exec_params("INSERT INTO rag_documents (tenant_id, doc_path, kind, revision, content_sha256, chunk_count) "
                       "VALUES ($1, 'notes.md', 'tenant_doc', 'r1', 'x', 1)",
                       tenant);
        tx.exec_params("INSERT INTO rag_chunks (tenant_id, doc_path, ordinal, kind, revision, line_start, line_end, section, "
                       "content, embedding) VALUES ($1, 'notes.md', 0, 'tenant_doc', 'r1', 1, 2, 'Notes', 'peak load in "
                       "winter', array_fill(0.05::real, ARRAY[384])::vector)",
                       tenant);
        tx.exec_params("WITH t AS (INSERT INTO agent_threads (tenant_id, thread_id, question, backend, status) VALUES ($1, "
                       "gen_random_uuid(), 'why?', 'graph', 'answered') RETURNING thread_id) "
                       "INSERT INTO agent_checkpoints (tenant_id, thread_id, step, node, state) SELECT $1, thread_id, 0, "
                       "'retrieve', '{}' FROM t",
                       tenant);
    });
    return security::issue_api_key(test::config().database_admin_url, tenant, false, "test");
}

std::vector<std::string> tenant_tables() {
    auto admin = db::connect(test::config().database_admin_url);
    pqxx::work tx(admin);
    return security::tenant_tables(tx);
}

long rows_of(const std::string& table, const std::string& tenant) {
    return as_admin("SELECT count(*) FROM " + table + " WHERE tenant_id = '" + tenant + "'")[0][0].as<long>();
}

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("voltedge-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    return dir;
}

}  // namespace

TEST(TenantOffboarding, ExportWritesEveryTable) {
    const std::string tenant = test::new_tenant("export");
    test::insert_usage(tenant, 2);
    give_tenant_data(tenant);
    const fs::path dir = fresh_dir("export");
    const auto e = security::export_tenant(test::config().database_admin_url, tenant, dir.string(), "test");

    // Every tenant table has its file, with as many lines as the tenant has rows there.
    std::set<std::string> exported;
    for (const auto& t : e.tables) {
        exported.insert(t.table);
        std::ifstream in(dir / t.file);
        long lines = 0;
        for (std::string line; std::getline(in, line); ++lines) {
            const auto row = nlohmann::json::parse(line);
            EXPECT_EQ(row.at("tenant_id"), tenant) << t.table;
        }
        EXPECT_EQ(lines, t.rows) << t.table;
        // The audit log has one row more now: the export itself, written after the snapshot.
        EXPECT_EQ(t.rows, rows_of(t.table, tenant) - (t.table == "audit_log" ? 1 : 0)) << t.table;
    }
    for (const auto& table : tenant_tables()) EXPECT_TRUE(exported.count(table)) << table << " was not exported";
    const auto rows = [&](const std::string& table) {
        for (const auto& t : e.tables)
            if (t.table == table) return t.rows;
        return -1L;
    };
    EXPECT_EQ(rows("usage_minute"), 2 * 1440);
    EXPECT_EQ(rows("usage_hourly"), 48);
    EXPECT_EQ(rows("rag_chunks"), 1);
    EXPECT_EQ(rows("api_keys"), 1);

    const auto manifest = nlohmann::json::parse(std::ifstream(dir / "manifest.json"));
    EXPECT_EQ(manifest["tenant"], tenant);
    EXPECT_EQ(manifest["exported_at"], e.exported_at);
    EXPECT_EQ(manifest["tables"].size(), e.tables.size());

    // A folder with files in it is refused, and left as it was.
    try {
        security::export_tenant(test::config().database_admin_url, tenant, dir.string(), "test");
        FAIL() << "exported into a non-empty folder";
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("is not empty"), std::string::npos) << err.what();
    }
    EXPECT_TRUE(fs::exists(dir / "manifest.json"));
    const auto last = as_admin("SELECT action FROM audit_log WHERE tenant_id = '" + tenant + "' ORDER BY id DESC LIMIT 1");
    EXPECT_EQ(last[0][0].as<std::string>(), "tenant.exported");
    fs::remove_all(dir);
}

TEST(TenantOffboarding, DeleteRemovesEveryRowAndIsSafeToRerun) {
    const Config& config = test::config();
    const std::string tenant = test::new_tenant("offboard");
    const std::string other = test::new_tenant("offboard-keep");
    test::insert_usage(tenant, 40);
    test::train_and_promote(tenant, "linear");  // features, an MLflow experiment and a registered model
    const std::string key = give_tenant_data(tenant);
    test::insert_usage(other, 2);
    give_tenant_data(other);

    auto redis = std::make_shared<db::RedisClient>(config.redis_url, 1);
    serving::PredictionCache cache(redis, 100, 3600);
    cache.put({tenant, "1", 7}, {{"p1", 600, 1, 1.5, std::nullopt}});
    cache.put({other, "1", 7}, {{"p2", 600, 1, 2.5, std::nullopt}});
    const std::string cached = serving::PredictionCache::tenant_key_prefix(tenant) + "1:7:600";
    const std::string kept = serving::PredictionCache::tenant_key_prefix(other) + "1:7:600";
    ASSERT_TRUE(redis->mget({cached})[0]) << "the cache key scheme changed: " << cached;

    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    ASSERT_TRUE(mlflow.experiment_active(training::experiment_name(tenant)));
    ASSERT_TRUE(mlflow.alias(tenant, "production"));
    std::map<std::string, long> other_rows;
    for (const auto& table : tenant_tables()) other_rows[table] = rows_of(table, other);
    ASSERT_GT(rows_of("features_hourly", tenant), 0);

    const auto d = cli::delete_tenant(config, tenant, tenant);
    EXPECT_FALSE(d.already_deleted);
    EXPECT_EQ(d.revoked_keys, std::vector<std::string>{key.substr(3, 8)});
    EXPECT_TRUE(d.mlflow_model);
    EXPECT_TRUE(d.mlflow_experiment);
    EXPECT_EQ(d.cache_keys, 1);
    EXPECT_EQ(d.rows.at("usage_minute"), 40 * 1440);

    // Nothing of the tenant is left but its tombstone and its audit log.
    for (const auto& table : tenant_tables()) {
        if (security::kept_on_delete(table)) continue;
        EXPECT_EQ(rows_of(table, tenant), 0) << table;
    }
    EXPECT_EQ(
        as_admin("SELECT count(*) FROM tenants WHERE tenant_id = '" + tenant + "' AND deleted_at IS NOT NULL")[0][0].as<long>(),
        1);
    EXPECT_FALSE(mlflow.experiment_active(training::experiment_name(tenant)));
    EXPECT_FALSE(mlflow.delete_registered_model(tenant)) << "the registered model is still there";
    EXPECT_FALSE(redis->mget({cached})[0]);

    // No new work: the tenant cannot be entered, its key resolves to nothing, its id cannot be taken again.
    auto conn = db::connect(config.database_url);
    EXPECT_THROW(db::with_tenant(conn, tenant, [](pqxx::work&) {}), db::TenantClosed);
    {
        pqxx::work tx(conn);
        EXPECT_TRUE(tx.exec_params("SELECT * FROM resolve_key($1)", sha256_hex(key)).empty());
    }
    EXPECT_THROW(security::create_tenant(config.database_admin_url, tenant, "test"), Error);

    // The audit chain still verifies and ends with who deleted the tenant.
    auto check = verify(tenant);
    EXPECT_TRUE(check.ok) << check.problem;
    const auto last = as_admin("SELECT action, actor, details->'rows'->>'usage_minute' FROM audit_log WHERE tenant_id = '" +
                               tenant + "' ORDER BY id DESC LIMIT 1");
    EXPECT_EQ(last[0][0].as<std::string>(), "tenant.deleted");
    EXPECT_EQ(last[0][1].as<std::string>(), config.actor);
    EXPECT_EQ(last[0][2].as<std::string>(""), std::to_string(40 * 1440));
    const long audit_rows = check.rows;

    // Again: succeeds and changes nothing.
    const auto again = cli::delete_tenant(config, tenant, tenant);
    EXPECT_TRUE(again.already_deleted);
    EXPECT_TRUE(again.rows.empty());
    EXPECT_TRUE(again.revoked_keys.empty());
    EXPECT_FALSE(again.mlflow_model || again.mlflow_experiment);
    EXPECT_EQ(again.cache_keys, 0);
    check = verify(tenant);
    EXPECT_TRUE(check.ok) << check.problem;
    EXPECT_EQ(check.rows, audit_rows);

    // The other tenant is untouched.
    for (const auto& [table, n] : other_rows) EXPECT_EQ(rows_of(table, other), n) << table;
    EXPECT_TRUE(redis->mget({kept})[0]);
    EXPECT_NO_THROW(db::with_tenant(conn, other, [](pqxx::work&) {}));
    redis->delete_by_prefix(serving::PredictionCache::tenant_key_prefix(other));
}

TEST(TenantOffboarding, DeleteNeedsTheIdRepeated) {
    const std::string tenant = test::new_tenant("offboard");
    test::insert_usage(tenant, 1);
    const long audit_rows = verify(tenant).rows;
    for (const std::string& confirm : std::vector<std::string>{"", "another-tenant", tenant + " "}) {
        try {
            cli::delete_tenant(test::config(), tenant, confirm);
            FAIL() << "deleted with --confirm '" << confirm << "'";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("does not repeat the tenant id"), std::string::npos) << e.what();
            EXPECT_NE(e.hint().find("--confirm " + tenant), std::string::npos) << e.hint();
        }
    }
    // Nothing happened: the tenant works, its rows and audit log are as they were.
    auto conn = db::connect(test::config().database_url);
    EXPECT_NO_THROW(db::with_tenant(conn, tenant, [](pqxx::work&) {}));
    EXPECT_EQ(rows_of("usage_minute", tenant), 1440);
    EXPECT_EQ(verify(tenant).rows, audit_rows);
}
