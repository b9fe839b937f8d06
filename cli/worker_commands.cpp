#include "cli/worker_commands.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "http/server.h"
#include "jobs/job_store.h"
#include "observability/metrics.h"
#include "workers/worker.h"

namespace voltedge::cli {
namespace {

struct QueueStack {
    db::ConnectionPool pool;
    db::RedisClient redis;
    workers::StreamQueue queue;
    QueueStack(const Config& config, const jobs::HandlerRegistry& handlers)
        : pool(config.database_url, 2), redis(config.redis_url, 2), queue(pool, redis, handlers, {config.queue_prefix}) {}
};

void print_job(const jobs::JobStatus& s) {
    std::cout << fmt::format("{}  {:<10} {:<9} attempts {}/{}  created {}  {}\n", s.job.id, s.job.kind,
                             jobs::job_state_name(s.state), s.attempts, s.max_attempts, s.created_at,
                             s.state == jobs::JobState::succeeded ? s.result.value("summary", "") : s.error);
}

// Polls the job's record until it has finished (succeeded, failed or dead) or `seconds` pass.
std::optional<jobs::JobStatus> wait_for(workers::StreamQueue& queue, const std::string& tenant, const std::string& id,
                                        int seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
        auto s = queue.status(tenant, id);
        if (s &&
            (s->state == jobs::JobState::succeeded || s->state == jobs::JobState::failed || s->state == jobs::JobState::dead))
            return s;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return std::nullopt;
}

int submit(const Config& config, const jobs::HandlerRegistry& handlers, const JobsCommand& c) {
    const auto payload = nlohmann::json::parse(c.payload, nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) throw Error("--payload must be a JSON object (got " + c.payload + ")");
    jobs::Job job{c.kind, c.tenant, payload, c.dedupe_key};
    QueueStack stack(config, handlers);
    if (c.wait && stack.queue.live_workers(std::chrono::seconds(10)) == 0) {
        std::cout << "no worker is up (make worker starts one): running the " << c.kind << " job here\n";
        jobs::InlineQueue inline_queue(handlers);
        const std::string id = inline_queue.enqueue(job);
        std::cout << inline_queue.status(c.tenant, id)->result.value("summary", "") << '\n';
        return 0;
    }
    const std::string id = stack.queue.enqueue(job);
    std::cout << "job " << id << " queued\n";
    if (!c.wait) return 0;
    const auto done = wait_for(stack.queue, c.tenant, id, c.wait_seconds);
    if (!done)
        throw Error(fmt::format("job {} did not finish within {} s", id, c.wait_seconds),
                    "voltedge jobs show --tenant " + c.tenant + " " + id);
    print_job(*done);
    return done->state == jobs::JobState::succeeded ? 0 : 1;
}

int list(QueueStack& stack, const JobsCommand& c) {
    std::cout << fmt::format("{:<28} {:>8} {:>8} {:>14} {:>14}\n", "stream", "waiting", "pending", "oldest wait s",
                             "oldest pend s");
    for (const auto& s : stack.queue.stats())
        std::cout << fmt::format("{:<28} {:>8} {:>8} {:>14.1f} {:>14.1f}\n", stack.queue.stream_key(s.kind), s.waiting, s.pending,
                                 s.oldest_waiting_seconds, s.oldest_pending_seconds);
    std::cout << fmt::format("delayed retries {}, dead letters {}, live workers {}\n", stack.queue.delayed_count(),
                             stack.queue.dead_count(), stack.queue.live_workers(std::chrono::seconds(10)));
    for (const auto& d : stack.queue.dead_letters(c.limit))
        std::cout << fmt::format("  dead {} {} tenant {} after {} attempts: {}\n", d.job_id, d.kind, d.tenant, d.attempts,
                                 d.error);
    if (c.tenant.empty()) return 0;
    auto lease = stack.pool.acquire();
    for (const auto& s : jobs::list_jobs(*lease, c.tenant, c.state, c.limit)) print_job(s);
    return 0;
}

}  // namespace

int run_jobs_command(const Config& config, const jobs::HandlerRegistry& handlers, const JobsCommand& c) {
    if (c.action == "submit") return submit(config, handlers, c);
    QueueStack stack(config, handlers);
    if (c.action == "list") return list(stack, c);
    if (c.action == "show") {
        const auto s = stack.queue.status(c.tenant, c.id);
        if (!s) throw Error("no job " + c.id + " for tenant " + c.tenant, "voltedge jobs list --tenant " + c.tenant);
        std::cout << jobs::to_json(*s).dump(2) << '\n';
        return 0;
    }
    if (c.action == "retry") {
        if (!stack.queue.retry(c.tenant, c.id))
            throw Error("job " + c.id + " of tenant " + c.tenant + " is not dead or stranded in the queue",
                        "only a dead job (or a queued one whose entry was lost) is retried; see voltedge jobs show");
        std::cout << "job " << c.id << " queued again\n";
        return 0;
    }
    if (c.action == "purge-dlq") {
        std::cout << stack.queue.purge_dead() << " dead letters removed (the jobs' records keep state dead)\n";
        return 0;
    }
    throw Error("unknown jobs action " + c.action);
}

int run_worker(const Config& config, const jobs::HandlerRegistry& handlers, const std::vector<std::string>& kinds,
               const std::string& name) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts, so all inherit it

    QueueStack stack(config, handlers);
    workers::WorkerOptions options;
    options.name = name;
    options.kinds = kinds;
    options.visibility_timeout = std::chrono::seconds(config.job_visibility_seconds);
    options.grace = std::chrono::seconds(config.worker_grace_seconds);
    options.backoff_base = std::chrono::milliseconds(config.job_backoff_ms);
    if (!config.schedule.empty()) options.schedule = workers::load_schedule(config.schedule);
    auto& metrics = observability::metrics();
    workers::Worker worker(stack.queue, metrics, options);
    workers::register_queue_metrics(metrics, stack.queue);

    http::ServerOptions server_options;
    server_options.host = config.worker_metrics_host;
    server_options.port = config.worker_metrics_port;
    server_options.workers = 2;
    http::Server server(server_options);
    server.route("GET", "/metrics", [&metrics](const http::Request&, http::Response& res) {
        res.content_type = "text/plain; version=0.0.4";
        res.body = metrics.render();
    });
    server.route("GET", "/healthz", [](const http::Request&, http::Response& res) { res.body = R"({"status":"ok"})"; });
    const int port = server.start();
    std::cerr << fmt::format("voltedge worker {} on {} (metrics: http://127.0.0.1:{}/metrics)\n", worker.name(),
                             config.queue_prefix, port);

    std::atomic<bool> stop{false};
    std::thread waiter([&] {
        int received = 0;
        sigwait(&signals, &received);
        log_info("worker_stopping", {{"signal", received}, {"grace_s", config.worker_grace_seconds}});
        stop = true;
    });
    const auto outcome = worker.run(stop);
    server.stop();
    if (outcome == workers::Outcome::handed_back) {
        // The job's thread is still inside its handler; its effects are idempotent and another worker runs it again.
        log_event("warn", "worker_exit_with_job_handed_back", {{"worker", worker.name()}});
        std::_Exit(0);
    }
    waiter.join();  // run() returns only once the waiter has set stop
    return 0;
}

}  // namespace voltedge::cli
