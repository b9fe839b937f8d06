#pragma once
// The record of each queued job (table jobs, db/migrations/014), read and written under the job's tenant: what
// it is, where it stands, how many attempts it had, its last error and its result. The queue in Redis only
// says what to run next; this says what happened.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "jobs/job.h"

namespace voltedge::jobs {

struct Submission {
    std::string id;
    bool created = false;  // false: an active job with the same dedupe key was returned instead
};

// Inserts `job` as queued with a new id, unless a queued, running or retrying job of the tenant has the same
// dedupe key: then that job's id. Throws Error for a tenant that does not exist (db::enter_tenant).
Submission insert_job(pqxx::connection& conn, const Job& job, int max_attempts);

// The job if `tenant` owns it (a malformed or another tenant's id is nullopt).
std::optional<JobStatus> load_job(pqxx::connection& conn, const std::string& tenant, const std::string& id);

// The tenant's newest jobs, newest first; `state` empty for all.
// The tenant's jobs that are queued, running or waiting to retry.
long count_active_jobs(pqxx::connection& conn, const std::string& tenant);

std::vector<JobStatus> list_jobs(pqxx::connection& conn, const std::string& tenant, const std::string& state, int limit);

// A worker starts an attempt: the job becomes running with one more attempt, by `worker`. A job already running
// is taken over only when `reclaimed` (its worker died holding it). nullopt when the job is not to run (finished,
// or running elsewhere): its entry is then only acknowledged.
std::optional<JobStatus> start_attempt(pqxx::connection& conn, const std::string& tenant, const std::string& id,
                                       const std::string& worker, bool reclaimed);

// Ends an attempt. succeeded: `result`; retrying: `error`, `hint`, due in `retry_in_ms`; dead or failed: the
// error. queued: handed back by a worker that stopped (the attempt does not count).
void finish_attempt(pqxx::connection& conn, const std::string& tenant, const std::string& id, JobState state,
                    const nlohmann::json& result, const std::string& error, const std::string& hint, long retry_in_ms = 0);

// A dead job queued again from the start (jobs retry): attempts back to 0. False when it is not dead.
bool requeue_dead(pqxx::connection& conn, const std::string& tenant, const std::string& id);

}  // namespace voltedge::jobs
