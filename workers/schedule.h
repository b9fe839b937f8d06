#pragma once
// Periodic jobs (nightly evaluation, index rebuild) from a JSON schedule file:
//   [{"name": "nightly-eval", "kind": "eval", "tenant": "demo", "every": "24h", "offset": "2h",
//     "payload": {"suite": "retrieval"}}]
// Time is cut into periods of `every` starting at the epoch plus `offset` (UTC). Whichever worker first takes
// the period's lease in Redis (SET NX) enqueues the job, with the dedupe key "schedule:<name>:<period>"; the
// others find the lease taken. So each period runs once however many workers tick.
#include <string>
#include <vector>

#include "jobs/job.h"
#include "workers/stream_queue.h"

namespace voltedge::workers {

struct ScheduleEntry {
    std::string name, kind, tenant;
    long every_seconds = 0, offset_seconds = 0;
    nlohmann::json payload = nlohmann::json::object();
};

// Throws Error naming the entry and field at fault ("every" accepts 90s, 15m, 6h, 1d or plain seconds).
std::vector<ScheduleEntry> parse_schedule(const nlohmann::json& j);
std::vector<ScheduleEntry> load_schedule(const std::string& path);

// For each entry whose current period has not run: take the lease and enqueue it. Returns the ids enqueued.
// A job that cannot be enqueued (tenant gone, Redis down) is logged and tried again a minute later.
std::vector<std::string> run_due(StreamQueue& queue, const std::vector<ScheduleEntry>& schedule, const std::string& worker,
                                 long long now_seconds);

}  // namespace voltedge::workers
