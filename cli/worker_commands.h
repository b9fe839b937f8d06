#pragma once
// `voltedge worker` and `voltedge jobs ...`: the Redis Streams queue (workers/) in front of the job handlers.
#include <string>
#include <vector>

#include "core/config.h"
#include "jobs/job.h"

namespace voltedge::cli {

// Runs a worker until SIGINT or SIGTERM, with /metrics and /healthz on VOLTEDGE_WORKER_METRICS_PORT.
int run_worker(const Config& config, const jobs::HandlerRegistry& handlers, const std::vector<std::string>& kinds,
               const std::string& name);

struct JobsCommand {
    std::string action;  // list, show, retry, purge-dlq, submit
    std::string tenant, id, kind, payload = "{}", dedupe_key, state;
    int limit = 20;
    bool wait = false;  // submit: wait for the job to finish (inline when no worker is up)
    int wait_seconds = 3600;
};
int run_jobs_command(const Config& config, const jobs::HandlerRegistry& handlers, const JobsCommand& command);

}  // namespace voltedge::cli
