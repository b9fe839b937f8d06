// What the seams brought, against the real stack: work left behind by killed processes is found and marked
// failed by the next run, a registered version links to its run, and the tenant's training lock.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <future>
#include <thread>

#include "core/error.h"
#include "db/connection.h"
#include "db/pool.h"
#include "features/feature_store.h"
#include "http/client.h"
#include "ingestion/dq_report.h"
#include "ingestion/ingest.h"
#include "registry/mlflow.h"
#include "security/key_resolver.h"
#include "security/tenants.h"
#include "support.h"
#include "training/train.h"

using namespace voltedge;
using Json = nlohmann::json;

namespace {

Json mlflow_get(const std::string& path) {
    return Json::parse(http::send({"GET", test::config().mlflow_tracking_uri + "/api/2.0/mlflow/" + path, "", {}, 5, 60}).body);
}

ingestion::IngestOptions ingest_options(const std::string& tenant) {
    ingestion::IngestOptions o;
    o.tenant = tenant;
    o.source = test::data_file("excerpt-2006-12-16_18.txt");
    o.download_dir = "/tmp/voltedge-seams-" + tenant;
    return o;
}

}  // namespace

// A run a killed ingest left as 'running' (kill -9: no chance to mark it) is failed by the next ingest,
// which holds the tenant's lock and so knows nobody owns it; the new run proceeds.
TEST(AbandonedWork, IngestMarksAKilledRunFailedAndProceeds) {
    const std::string tenant = test::new_tenant("stale-ingest");
    auto conn = db::connect(test::config().database_url);
    const auto stale = db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        return tx
            .exec_params1("INSERT INTO ingest_runs (tenant_id, source, status) VALUES ($1, 'killed.txt', 'running') "
                          "RETURNING run_id",
                          tenant)[0]
            .as<long>();
    });
    const auto report = ingestion::ingest(conn, ingest_options(tenant));
    EXPECT_EQ(report.status, "succeeded");
    const auto row = db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        return tx.exec_params1("SELECT status, error, finished_at IS NOT NULL FROM ingest_runs WHERE run_id = $1", stale);
    });
    EXPECT_EQ(row[0].as<std::string>(), "failed");
    EXPECT_NE(row[1].as<std::string>().find("abandoned"), std::string::npos);
    EXPECT_TRUE(row[2].as<bool>());
    // The data-quality report (its SQL now in ingestion/) is the new run's, not the abandoned one's.
    const auto dq = ingestion::latest_dq_report(conn, tenant);
    ASSERT_TRUE(dq);
    EXPECT_EQ(dq->run_id, report.run_id);
    EXPECT_EQ(dq->rows_read, static_cast<std::int64_t>(report.rows_read));
    EXPECT_EQ(dq->checks.size(), report.checks.size());
    EXPECT_FALSE(dq->finished_at.empty());
    EXPECT_FALSE(ingestion::latest_dq_report(conn, test::new_tenant("no-dq")));
}

// While another process holds the tenant's ingest lock, a second ingest refuses instead of failing its run.
TEST(AbandonedWork, ALiveIngestIsNotMistakenForAKilledOne) {
    const std::string tenant = test::new_tenant("busy-ingest");
    auto holder = db::connect(test::config().database_url);
    const db::SessionLock lock(holder, "voltedge.ingest." + tenant);
    ASSERT_TRUE(lock.held());
    auto conn = db::connect(test::config().database_url);
    try {
        ingestion::ingest(conn, ingest_options(tenant));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("already being ingested"), std::string::npos);
    }
    EXPECT_EQ(test::count_as_app(conn, tenant, "SELECT 1 FROM ingest_runs"), 0);
}

// A job's ingest waits for the lock: the holder here goes away the way a worker that handed a job back does,
// its connection closed while it held the lock, and the waiting ingest then runs once, as the only run.
TEST(AbandonedWork, AnIngestGivenTimeWaitsForTheHolderToGo) {
    const std::string tenant = test::new_tenant("wait-ingest");
    std::promise<std::chrono::steady_clock::time_point> locked;
    std::thread going([&] {
        auto holder = db::connect(test::config().database_url);
        pqxx::nontransaction(holder).exec_params("SELECT pg_advisory_lock(hashtextextended($1, 0))", "voltedge.ingest." + tenant);
        locked.set_value(std::chrono::steady_clock::now());
        std::this_thread::sleep_for(std::chrono::seconds(1));
    });  // the connection closes as the thread ends, the lock still held
    const auto started = locked.get_future().get();
    auto conn = db::connect(test::config().database_url);
    auto options = ingest_options(tenant);
    options.lock_wait = std::chrono::seconds(30);
    const auto report = ingestion::ingest(conn, options);
    going.join();
    EXPECT_EQ(report.status, "succeeded");
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));  // the lock was held that long
    EXPECT_EQ(test::count_as_app(conn, tenant, "SELECT 1 FROM ingest_runs"), 1);
}

// Runs a killed `voltedge train` left RUNNING in MLflow are marked FAILED, with the reason, by the next train;
// the champion's version links to its run (runs:/ source, run id, logged-model history) for MLflow's UI.
TEST(AbandonedWork, TrainFailsKilledRunsAndLinksTheVersionToItsRun) {
    const std::string tenant = test::new_tenant("stale-train");
    test::insert_usage(tenant, 40);
    auto conn = db::connect(test::config().database_url);
    features::FeatureOptions fo;
    fo.tenant = tenant;
    features::build_features(conn, fo);
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const auto killed = mlflow.start_run(mlflow.experiment(training::experiment_name(tenant)), "linear", "voltedge train", "x",
                                         {});
    ASSERT_EQ(mlflow.run_status(killed.run_id), "RUNNING");

    const auto config =
        training::TrainConfig::from_json(R"({"families": ["linear"], "folds": 1, "fold_days": 7, "horizons": [1]})", "t");
    {  // another process training the tenant: refused, and the abandoned run is left alone
        auto other = db::connect(test::config().database_url);
        const db::SessionLock lock(other, "voltedge.train." + tenant);
        EXPECT_THROW(training::train(conn, mlflow, mlflow, tenant, config), Error);
        EXPECT_EQ(mlflow.run_status(killed.run_id), "RUNNING");
    }
    const auto report = training::train(conn, mlflow, mlflow, tenant, config);
    EXPECT_EQ(mlflow.run_status(killed.run_id), "FAILED");
    const Json run = mlflow_get("runs/get?run_id=" + killed.run_id)["run"];
    std::string reason;
    for (const auto& t : run["data"]["tags"])
        if (t["key"] == "voltedge.failure_reason") reason = t["value"];
    EXPECT_NE(reason.find("abandoned"), std::string::npos);

    const auto version = mlflow.version(tenant, report.registered_version);
    ASSERT_TRUE(version);
    EXPECT_EQ(version->run_id, report.families.front().run_id);
    const Json v = mlflow_get("model-versions/get?name=" + http::escape(mlflow.model_name(tenant)) +
                              "&version=" + version->version);
    EXPECT_EQ(v["model_version"]["source"], "runs:/" + version->run_id + "/model");
    bool logged = false;
    const Json champion_tags = mlflow_get("runs/get?run_id=" + version->run_id)["run"]["data"]["tags"];
    for (const auto& t : champion_tags)
        if (t["key"] == "mlflow.log-model.history")
            logged = Json::parse(t["value"].get<std::string>())[0]["artifact_path"] == "model";
    EXPECT_TRUE(logged) << champion_tags.dump();
    EXPECT_NE(mlflow.fetch(*version, "MLmodel").find("voltedge"), std::string::npos);
}

// A full key cache forgets the least recently used keys, not all of them: a key in use keeps being served
// from memory (here: even after it is revoked, within its TTL), an idle one is asked of the database again.
TEST(KeyCache, EvictsTheLeastRecentlyUsed) {
    const std::string tenant = test::new_tenant("key-lru");
    std::vector<std::string> keys;
    for (int i = 0; i < 11; ++i)
        keys.push_back(security::issue_api_key(test::config().database_admin_url, tenant, false, "test"));
    db::ConnectionPool pool(test::config().database_url, 2);
    security::KeyResolver resolver(pool, std::chrono::minutes(5), 10);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(resolver.resolve(keys[i]));
    ASSERT_TRUE(resolver.resolve(keys[0]));   // key 0 used again: key 1 is now the least recent
    ASSERT_TRUE(resolver.resolve(keys[10]));  // full: the least recent go
    EXPECT_EQ(resolver.cached(), 10u);
    for (int i : {0, 1})
        ASSERT_TRUE(security::revoke_api_key(test::config().database_admin_url, tenant, keys[i].substr(3, 8), "test"));
    EXPECT_TRUE(resolver.resolve(keys[0]));   // still remembered
    EXPECT_FALSE(resolver.resolve(keys[1]));  // forgotten, so the database says: revoked
}

// The subcommands run as jobs through the handlers the binary registers: `voltedge ingest` and `voltedge
// features` for a test tenant, through the real binary, land their rows; a bad payload is a clear error.
TEST(Jobs, SubcommandsRunThroughTheHandlers) {
    const std::string tenant = test::new_tenant("cli-jobs");
    const std::string env = "DATABASE_URL='" + test::config().database_url + "' DATABASE_ADMIN_URL='" +
                            test::config().database_admin_url + "' ";
    const auto run = [&](const std::string& args) {
        std::string out;
        FILE* p = popen((env + VOLTEDGE_BIN + " " + args + " 2>&1").c_str(), "r");
        char buf[4096];
        while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        return std::pair{WEXITSTATUS(pclose(p)), out};
    };
    const auto [ingest_rc,
                ingest_out] = run("ingest --tenant " + tenant + " --source " + test::data_file("excerpt-2006-12-16_18.txt"));
    EXPECT_EQ(ingest_rc, 0) << ingest_out;
    EXPECT_NE(ingest_out.find("\"event\":\"job_finished\",\"tenant_id\":\"" + tenant + "\",\"job_id\":"), std::string::npos)
        << ingest_out;
    const auto [features_rc, features_out] = run("features --tenant " + tenant);
    EXPECT_EQ(features_rc, 0) << features_out;
    auto conn = db::connect(test::config().database_url);
    EXPECT_EQ(test::count_as_app(conn, tenant, "SELECT 1 FROM ingest_runs WHERE status = 'succeeded'"), 1);
    EXPECT_GT(test::count_as_app(conn, tenant, "SELECT 1 FROM features_hourly"), 0);
    const auto [show_rc, show_out] = run("config show");
    EXPECT_EQ(show_rc, 0);
    EXPECT_NE(show_out.find("voltedge_app:***@"), std::string::npos);  // the password masked
    const auto [bad_rc, bad_out] = run("ingest --tenant " + tenant + " --source /no/such/file.txt");
    EXPECT_EQ(bad_rc, 1);
    EXPECT_NE(bad_out.find("no such file"), std::string::npos) << bad_out;
}
