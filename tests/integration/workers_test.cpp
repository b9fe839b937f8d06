// The job queue on the real Redis and Postgres: retries and dead letters, dedupe, the schedule's leases, and
// real worker processes killed with -9 mid-job.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "cli/job_handlers.h"
#include "core/error.h"
#include "core/uuid.h"
#include "db/connection.h"
#include "jobs/job_store.h"
#include "api/openapi.h"
#include "api/server.h"
#include "security/tenants.h"
#include "support.h"
#include "workers/schedule.h"
#include "workers/worker.h"

using namespace voltedge;
using namespace std::chrono_literals;

namespace {

// A queue of its own (key prefix) on the shared Redis, with test handlers.
struct QueueFixture {
    jobs::HandlerRegistry handlers;
    db::ConnectionPool pool{test::config().database_url, 2};
    db::RedisClient redis{test::config().redis_url, 2};
    std::string prefix = "test-" + new_uuid().substr(0, 8);
    std::unique_ptr<workers::StreamQueue> queue;

    void open() { queue = std::make_unique<workers::StreamQueue>(pool, redis, handlers, workers::QueueOptions{prefix}); }
    ~QueueFixture() {
        if (!queue) return;
        for (const auto& [kind, d] : handlers.kinds()) redis.command({"DEL", queue->stream_key(kind)});
        redis.command({"DEL", queue->delayed_key(), queue->dead_key(), prefix + ":workers"});
    }
    jobs::JobStatus status(const std::string& tenant, const std::string& id) { return *queue->status(tenant, id); }
};

workers::WorkerOptions fast_options(const std::string& name) {
    workers::WorkerOptions o;
    o.name = name;
    o.block = 50ms;
    o.backoff_base = 20ms;
    o.visibility_timeout = 2s;
    return o;
}

// Runs turns until `done` or 20 s.
template <class Done>
void turn_until(workers::Worker& worker, Done done) {
    std::atomic<bool> stop{false};
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < until) worker.run_once(stop);
}

// `voltedge worker` as a real process on the fixture's queue.
pid_t spawn_worker(const std::string& prefix, const std::string& name, const std::string& kinds,
                   const std::string& grace = "30") {
    const pid_t pid = fork();
    if (pid == 0) {
        const auto& c = test::config();
        setenv("DATABASE_URL", c.database_url.c_str(), 1);
        setenv("DATABASE_ADMIN_URL", c.database_admin_url.c_str(), 1);
        setenv("REDIS_URL", c.redis_url.c_str(), 1);
        setenv("VOLTEDGE_QUEUE_PREFIX", prefix.c_str(), 1);
        setenv("VOLTEDGE_JOB_VISIBILITY_SECONDS", "2", 1);
        setenv("VOLTEDGE_WORKER_GRACE_SECONDS", grace.c_str(), 1);
        setenv("VOLTEDGE_WORKER_METRICS_PORT", "0", 1);
        const std::string log = "/tmp/voltedge-worker-" + name + ".log";
        freopen(log.c_str(), "w", stderr);
        freopen("/dev/null", "w", stdout);
        execl(VOLTEDGE_BIN, VOLTEDGE_BIN, "worker", "--name", name.c_str(), "--kinds", kinds.c_str(), nullptr);
        _exit(127);
    }
    return pid;
}

template <class Done>
bool wait_until(Done done, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(100ms);
    }
    return done();
}

long count(const std::string& tenant, const std::string& sql) {
    auto conn = db::connect(test::config().database_url);
    return test::count_as_app(conn, tenant, sql);
}

}  // namespace

TEST(Workers, FailedJobsRetryWithBackoffThenGoToTheDeadLetterStreamWithTheirLastError) {
    QueueFixture f;
    std::atomic<int> flaky_calls{0};
    f.handlers.add("flaky", "fails twice, then works", [&](const jobs::Job&) -> nlohmann::json {
        if (++flaky_calls <= 2) throw Error("not yet (call " + std::to_string(flaky_calls.load()) + ")");
        return {{"summary", "worked"}};
    });
    f.handlers.add(
        "broken", "always fails", [](const jobs::Job&) -> nlohmann::json { throw Error("disk on fire", "call someone"); }, 2);
    f.open();
    const std::string tenant = test::new_tenant("retry");
    observability::Registry metrics;
    workers::Worker worker(*f.queue, metrics, fast_options("w1"));
    const auto flaky = f.queue->enqueue({"flaky", tenant});
    const auto broken = f.queue->enqueue({"broken", tenant});
    turn_until(worker, [&] {
        return f.status(tenant, flaky).state == jobs::JobState::succeeded &&
               f.status(tenant, broken).state == jobs::JobState::dead;
    });

    const auto ok = f.status(tenant, flaky);
    EXPECT_EQ(ok.state, jobs::JobState::succeeded);
    EXPECT_EQ(ok.attempts, 3);
    EXPECT_EQ(ok.result["summary"], "worked");
    EXPECT_EQ(ok.error, "not yet (call 2)");  // the last failed attempt's, kept for the record
    const auto dead = f.status(tenant, broken);
    EXPECT_EQ(dead.state, jobs::JobState::dead);
    EXPECT_EQ(dead.attempts, 2);  // the kind's limit
    EXPECT_EQ(dead.error, "disk on fire");
    EXPECT_EQ(dead.hint, "call someone");
    const auto letters = f.queue->dead_letters(10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].job_id, broken);
    EXPECT_EQ(letters[0].error, "disk on fire");
    EXPECT_EQ(letters[0].attempts, 2);
    EXPECT_EQ(f.queue->delayed_count(), 0);
    for (const auto& s : f.queue->stats()) EXPECT_EQ(s.pending + s.waiting, 0) << s.kind;  // everything acknowledged
    const std::string text = metrics.render();
    EXPECT_NE(text.find("voltedge_job_retries_total{kind=\"flaky\"} 2"), std::string::npos) << text;
    EXPECT_NE(text.find("voltedge_jobs_total{kind=\"broken\",outcome=\"dead\"} 1"), std::string::npos);

    // retry puts a dead job back from its first attempt; purge empties the stream but keeps the record.
    EXPECT_FALSE(f.queue->retry(tenant, flaky));                        // succeeded: nothing to retry
    EXPECT_FALSE(f.queue->retry(test::new_tenant("retry-b"), broken));  // another tenant's id is not found
    ASSERT_TRUE(f.queue->retry(tenant, broken));
    EXPECT_EQ(f.queue->dead_count(), 0);
    EXPECT_EQ(f.status(tenant, broken).attempts, 0);
    turn_until(worker, [&] { return f.status(tenant, broken).state == jobs::JobState::dead; });
    EXPECT_EQ(f.queue->purge_dead(), 1);
    EXPECT_EQ(f.queue->dead_count(), 0);
    EXPECT_EQ(f.status(tenant, broken).state, jobs::JobState::dead);

    workers::register_queue_metrics(metrics, *f.queue);
    const std::string gauges = metrics.render();
    EXPECT_NE(gauges.find("voltedge_queue_dead_letters 0"), std::string::npos) << gauges;
    EXPECT_NE(gauges.find("voltedge_queue_depth{stream=\"" + f.queue->stream_key("flaky") + "\"} 0"), std::string::npos)
        << gauges;
    EXPECT_NE(gauges.find("voltedge_queue_pending{stream=\"" + f.queue->stream_key("broken") + "\"} 0"), std::string::npos);
    metrics.remove("voltedge_queue_depth"), metrics.remove("voltedge_queue_pending");  // they point at this fixture's queue
    metrics.remove("voltedge_queue_oldest_waiting_age_seconds"), metrics.remove("voltedge_queue_oldest_pending_age_seconds");
    metrics.remove("voltedge_queue_delayed"), metrics.remove("voltedge_queue_dead_letters");
}

TEST(Workers, TheSameDedupeKeyIsNotQueuedTwiceWhileOneIsActive) {
    QueueFixture f;
    std::atomic<int> runs{0};
    f.handlers.add("count", "counts", [&](const jobs::Job&) -> nlohmann::json { return {{"run", ++runs}}; });
    f.open();
    const std::string tenant = test::new_tenant("dedupe"), other = test::new_tenant("dedupe-b");
    const auto first = f.queue->enqueue({"count", tenant, {}, "nightly"});
    EXPECT_EQ(f.queue->enqueue({"count", tenant, {{"x", 1}}, "nightly"}), first);
    EXPECT_NE(f.queue->enqueue({"count", other, {}, "nightly"}), first);  // keys are per tenant
    EXPECT_NE(f.queue->enqueue({"count", tenant}), first);                // no key: always queued
    EXPECT_EQ(f.queue->stats()[0].waiting, 3);
    observability::Registry metrics;
    workers::Worker worker(*f.queue, metrics, fast_options("w1"));
    turn_until(worker, [&] { return runs == 3; });
    EXPECT_EQ(runs, 3);
    EXPECT_EQ(f.status(tenant, first).state, jobs::JobState::succeeded);
    // Finished, the key is free again.
    const auto again = f.queue->enqueue({"count", tenant, {}, "nightly"});
    EXPECT_NE(again, first);
    // An unknown kind or tenant is refused before anything is queued.
    EXPECT_THROW(f.queue->enqueue({"nope", tenant}), FieldError);
    EXPECT_THROW(f.queue->enqueue({"count", "no-such-tenant-x"}), Error);
}

TEST(Workers, EachScheduledPeriodRunsOnceHoweverManyWorkersTick) {
    QueueFixture f;
    f.handlers.add("eval", "evaluates", [](const jobs::Job&) -> nlohmann::json { return {}; });
    f.open();
    const std::string tenant = test::new_tenant("sched");
    const auto schedule = workers::parse_schedule(nlohmann::json::parse(fmt::format(
        R"([{{"name": "nightly", "kind": "eval", "tenant": "{}", "every": "1d", "offset": "2h", "payload": {{"suite": "retrieval"}}}}])",
        tenant)));
    const long long day = 20'000 * 86'400LL + 3 * 3600;  // 03:00 on some day: its 02:00 period
    std::vector<std::string> ids;
    for (const auto* worker : {"a", "b", "c"})
        for (const auto& id : workers::run_due(*f.queue, schedule, worker, day)) ids.push_back(id);
    for (const auto& id : workers::run_due(*f.queue, schedule, "a", day + 3600)) ids.push_back(id);  // same period
    ASSERT_EQ(ids.size(), 1u);
    const auto job = f.status(tenant, ids[0]);
    EXPECT_EQ(job.job.payload["suite"], "retrieval");
    EXPECT_EQ(job.job.dedupe_key, fmt::format("schedule:nightly:{}", (day - 7200) / 86400));
    EXPECT_EQ(workers::run_due(*f.queue, schedule, "b", day + 86'400).size(), 1u);  // the next day
    f.redis.command({"DEL", fmt::format("{}:schedule:nightly:{}", f.prefix, (day - 7200) / 86400),
                     fmt::format("{}:schedule:nightly:{}", f.prefix, (day - 7200) / 86400 + 1)});
    // Bad schedules name the entry and field.
    try {
        workers::parse_schedule(nlohmann::json::parse(R"([{"name": "x", "kind": "eval", "tenant": "t", "every": "soon"}])"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("\"every\""), std::string::npos) << e.what();
    }
}

// A worker killed with -9 in the middle of an ingest: its entry stays pending, a second worker reclaims it once
// the visibility timeout passes, and the tenant ends with exactly the rows one clean ingest leaves.
TEST(Workers, AWorkerKilledMidJobLosesNothingAndDoublesNothing) {
    QueueFixture f;
    cli::register_job_handlers(f.handlers, test::config());
    f.open();
    const std::string tenant = test::new_tenant("kill"), clean = test::new_tenant("kill-clean");
    const std::string source = std::string(VOLTEDGE_SOURCE_DIR) + "/data/raw/household_power_consumption.txt.xz";
    const auto id = f.queue->enqueue({"ingest", tenant, {{"source", source}}});

    const pid_t first = spawn_worker(f.prefix, "first", "ingest");
    ASSERT_TRUE(wait_until([&] { return f.status(tenant, id).state == jobs::JobState::running; }, 30s));
    std::this_thread::sleep_for(1500ms);  // well into the load
    ASSERT_EQ(f.status(tenant, id).state, jobs::JobState::running) << "the ingest finished before the kill; it must take longer";
    kill(first, SIGKILL);
    waitpid(first, nullptr, 0);
    EXPECT_EQ(f.status(tenant, id).state, jobs::JobState::running);  // nobody said otherwise: its worker just vanished

    const pid_t second = spawn_worker(f.prefix, "second", "ingest");
    const bool finished = wait_until([&] { return f.status(tenant, id).state == jobs::JobState::succeeded; }, 180s);
    kill(second, SIGTERM);
    int exit_status = 0;
    waitpid(second, &exit_status, 0);
    ASSERT_TRUE(finished) << f.status(tenant, id).error;
    const auto job = f.status(tenant, id);
    EXPECT_EQ(job.attempts, 2);
    EXPECT_EQ(job.worker, "second");
    EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << "SIGTERM is a clean stop";
    for (const auto& s : f.queue->stats()) EXPECT_EQ(s.pending, 0) << s.kind;

    // The same file loaded once, cleanly, into another tenant.
    f.handlers.run({"ingest", clean, {{"source", source}}});
    for (const char* table : {"usage_minute", "usage_hourly"}) {
        const std::string sql = std::string("SELECT 1 FROM ") + table;
        EXPECT_EQ(count(tenant, sql), count(clean, sql)) << table;
    }
    EXPECT_GT(count(tenant, "SELECT 1 FROM usage_minute"), 2'000'000);
    EXPECT_EQ(count(tenant, "SELECT 1 FROM ingest_runs WHERE status = 'succeeded'"), 1);
}

// POST /jobs and GET /jobs/{id}: queued in the key's tenant, followed there, invisible to another tenant; keys
// cannot name server paths or promote without being admins.
TEST(Workers, TheJobsApiKeepsEachTenantToItsOwnJobs) {
    QueueFixture f;
    f.handlers.add("features", "test features", [](const jobs::Job& j) -> nlohmann::json {
        return {{"summary", "built for " + j.tenant}};
    });
    f.handlers.add("promote", "test promote", [](const jobs::Job&) -> nlohmann::json { return {}; });
    f.open();
    const std::string a = test::new_tenant("jobs-a"), b = test::new_tenant("jobs-b");
    const auto& admin_url = test::config().database_admin_url;
    const std::string key_a = security::issue_api_key(admin_url, a, false, "test"),
                      key_b = security::issue_api_key(admin_url, b, false, "test");
    const std::string admin_a = security::issue_api_key(admin_url, a, true, "test"),
                      operator_key = security::issue_operator_key(admin_url, "test");
    api::ApiServer server(test::config(), test::serve_options(), {}, f.queue.get());
    server.start();
    const int port = server.port();

    const auto posted = test::call_api(port, "POST", "/jobs", key_a, R"({"kind": "features", "dedupe_key": "nightly-features"})");
    ASSERT_EQ(posted.status, 202) << posted.text;
    const std::string id = posted.body["job_id"];
    EXPECT_EQ(posted.header("location"), "/jobs/" + id);
    EXPECT_EQ(posted.body["state"], "queued");
    EXPECT_EQ(posted.body["tenant"], a);
    EXPECT_EQ(
        test::call_api(port, "POST", "/jobs", key_a, R"({"kind": "features", "dedupe_key": "nightly-features"})").body["job_id"],
        id);
    EXPECT_EQ(test::call_api(port, "GET", "/jobs/" + id, key_b, "").status, 404);  // b cannot see a's job
    EXPECT_EQ(test::call_api(port, "GET", "/jobs/not-a-uuid", key_a, "").status, 404);
    EXPECT_EQ(test::call_api(port, "GET", "/jobs/" + id, "", "").status, 401);

    observability::Registry metrics;
    workers::Worker worker(*f.queue, metrics, fast_options("api"));
    turn_until(worker, [&] { return f.status(a, id).state == jobs::JobState::succeeded; });
    const auto got = test::call_api(port, "GET", "/jobs/" + id, key_a, "");
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.body["state"], "succeeded");
    EXPECT_EQ(got.body["result"]["summary"], "built for " + a);
    EXPECT_EQ(got.body["attempts"], 1);

    const auto refused = [&](const std::string& key, const std::string& body) {
        return test::call_api(port, "POST", "/jobs", key, body);
    };
    EXPECT_EQ(refused(key_a, R"({"kind": "features", "tenant": ")" + b + "\"}").status, 403);
    EXPECT_EQ(refused(key_a, R"({"kind": "features", "payload": {"source": "/etc/passwd"}})").status, 403);
    EXPECT_EQ(refused(key_a, R"({"kind": "promote", "payload": {"version": "1"}})").status, 403);
    EXPECT_EQ(refused(admin_a, R"({"kind": "promote", "payload": {"version": "1"}})").status, 202);
    EXPECT_EQ(refused(key_a, R"({"kind": "nope"})").status, 422);
    EXPECT_EQ(refused(key_a, R"({"payload": {}})").status, 422);
    EXPECT_EQ(refused(key_a, R"({"kind": "features", "extra": 1})").status, 422);
    EXPECT_EQ(refused(key_a, "{not json").status, 400);
    EXPECT_EQ(refused(operator_key, R"({"kind": "features"})").status, 422);  // whose?
    const auto by_operator = refused(operator_key, R"({"kind": "features", "tenant": ")" + b + "\"}");
    ASSERT_EQ(by_operator.status, 202) << by_operator.text;
    EXPECT_EQ(by_operator.body["tenant"], b);
    EXPECT_EQ(test::call_api(port, "GET", "/jobs/" + by_operator.body["job_id"].get<std::string>(), key_b, "").status, 200);
    // tune rewrites the training configuration every tenant shares: not even a tenant admin may queue it.
    EXPECT_EQ(refused(admin_a, R"({"kind": "tune"})").status, 403);
    server.stop();

    // A flood from one tenant stops at its cap of active jobs (429 with Retry-After); another tenant still gets in.
    api::ServeOptions capped = test::serve_options();
    capped.max_active_jobs = 3;
    api::ApiServer small(test::config(), capped, {}, f.queue.get());
    small.start();
    const std::string c = test::new_tenant("jobs-c");
    const std::string key_c = security::issue_api_key(admin_url, c, false, "test");
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(test::call_api(small.port(), "POST", "/jobs", key_c, R"({"kind": "features"})").status, 202);
    const auto flooded = test::call_api(small.port(), "POST", "/jobs", key_c, R"({"kind": "features"})");
    EXPECT_EQ(flooded.status, 429) << flooded.text;
    EXPECT_EQ(flooded.header("retry-after"), "30");
    EXPECT_NE(flooded.body["error"]["message"].get<std::string>().find("3 jobs"), std::string::npos) << flooded.text;
    EXPECT_EQ(test::call_api(small.port(), "POST", "/jobs", key_b, R"({"kind": "features"})").status, 202);
    small.stop();

    // The document lists exactly the kinds the binary registers.
    jobs::HandlerRegistry real;
    cli::register_job_handlers(real, test::config());
    std::vector<std::string> kinds;
    for (const auto& [kind, description] : real.kinds()) kinds.push_back(kind);
    EXPECT_EQ(api::openapi_document(168)["components"]["schemas"]["JobRequest"]["properties"]["kind"]["enum"]
                  .get<std::vector<std::string>>(),
              kinds);
}

// SIGTERM with no grace left: the worker gives its attempt back (not counted) and exits at once; another worker
// claims the job without waiting for the visibility timeout and finishes it.
TEST(Workers, AStoppedWorkerHandsItsJobBackForAnotherToFinish) {
    QueueFixture f;
    cli::register_job_handlers(f.handlers, test::config());
    f.open();
    const std::string tenant = test::new_tenant("handback");
    const std::string source = std::string(VOLTEDGE_SOURCE_DIR) + "/data/raw/household_power_consumption.txt.xz";
    const auto id = f.queue->enqueue({"ingest", tenant, {{"source", source}}});
    const pid_t first = spawn_worker(f.prefix, "stopping", "ingest", "0");
    ASSERT_TRUE(wait_until([&] { return f.status(tenant, id).state == jobs::JobState::running; }, 30s));
    std::this_thread::sleep_for(1s);
    kill(first, SIGTERM);
    int exit_status = -1;
    waitpid(first, &exit_status, 0);
    EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0);
    const auto handed = f.status(tenant, id);
    ASSERT_EQ(handed.state, jobs::JobState::queued) << "the ingest finished before the stop; it must take longer";
    EXPECT_EQ(handed.attempts, 0);
    EXPECT_EQ(handed.error, "handed back by a stopping worker");

    const pid_t second = spawn_worker(f.prefix, "taking-over", "ingest");
    const bool finished = wait_until([&] { return f.status(tenant, id).state == jobs::JobState::succeeded; }, 180s);
    kill(second, SIGTERM);
    waitpid(second, nullptr, 0);
    ASSERT_TRUE(finished) << f.status(tenant, id).error;
    EXPECT_EQ(f.status(tenant, id).attempts, 1);
    EXPECT_EQ(f.status(tenant, id).worker, "taking-over");
    EXPECT_EQ(count(tenant, "SELECT 1 FROM ingest_runs WHERE status = 'succeeded'"), 1);
}
