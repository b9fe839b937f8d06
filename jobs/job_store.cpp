#include "jobs/job_store.h"

#include "core/error.h"
#include "core/uuid.h"
#include "db/connection.h"

namespace voltedge::jobs {
namespace {

constexpr const char* kColumns =
    "job_id::text, tenant_id, kind, payload::text, coalesce(dedupe_key, ''), coalesce(traceparent, ''), state, attempts, "
    "max_attempts, coalesce(error, ''), coalesce(hint, ''), coalesce(result::text, 'null'), coalesce(worker, ''), "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "coalesce(to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
    "coalesce(to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
    "coalesce(to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')";

JobStatus from_row(const pqxx::row& r) {
    JobStatus s;
    s.job.id = r[0].c_str();
    s.job.tenant = r[1].c_str();
    s.job.kind = r[2].c_str();
    s.job.payload = nlohmann::json::parse(r[3].c_str());
    s.job.dedupe_key = r[4].c_str();
    s.job.traceparent = r[5].c_str();
    s.state = job_state_from(r[6].c_str());
    s.attempts = r[7].as<int>();
    s.max_attempts = r[8].as<int>();
    s.error = r[9].c_str();
    s.hint = r[10].c_str();
    s.result = nlohmann::json::parse(r[11].c_str());
    s.worker = r[12].c_str();
    s.created_at = r[13].c_str();
    s.started_at = r[14].c_str();
    s.finished_at = r[15].c_str();
    s.next_attempt_at = r[16].c_str();
    return s;
}

std::optional<std::string> or_null(const std::string& s) { return s.empty() ? std::nullopt : std::optional(s); }

}  // namespace

Submission insert_job(pqxx::connection& conn, const Job& job, int max_attempts) {
    return db::with_tenant(conn, job.tenant, [&](pqxx::work& tx) {
        const std::string id = job.id.empty() ? new_uuid() : job.id;
        // ON CONFLICT on the partial unique index: an active job with this key is this job.
        const auto inserted = tx.exec_params(
            "INSERT INTO jobs (tenant_id, job_id, kind, payload, dedupe_key, traceparent, state, max_attempts) "
            "VALUES ($1, $2::uuid, $3, $4::jsonb, $5, $6, 'queued', $7) "
            "ON CONFLICT (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running', 'retrying') "
            "DO NOTHING RETURNING job_id::text",
            job.tenant, id, job.kind, job.payload.dump(), or_null(job.dedupe_key), or_null(job.traceparent), max_attempts);
        if (!inserted.empty()) return Submission{id, true};
        const auto existing = tx.exec_params(
            "SELECT job_id::text FROM jobs WHERE tenant_id = $1 AND dedupe_key = $2 AND state IN ('queued', 'running', 'retrying')",
            job.tenant, job.dedupe_key);
        // The active job finished between the two statements: submit anew.
        if (existing.empty()) throw Error("job '" + job.dedupe_key + "' changed state while being submitted", "submit it again");
        return Submission{existing[0][0].c_str(), false};
    });
}

std::optional<JobStatus> load_job(pqxx::connection& conn, const std::string& tenant, const std::string& id) {
    if (!is_uuid(id)) return std::nullopt;
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) -> std::optional<JobStatus> {
        const auto rows = tx.exec_params(std::string("SELECT ") + kColumns + " FROM jobs WHERE job_id = $1::uuid", id);
        if (rows.empty()) return std::nullopt;
        return from_row(rows[0]);
    });
}

long count_active_jobs(pqxx::connection& conn, const std::string& tenant) {
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        return tx.exec("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'retrying')")[0][0].as<long>();
    });
}

std::vector<JobStatus> list_jobs(pqxx::connection& conn, const std::string& tenant, const std::string& state, int limit) {
    if (!state.empty()) job_state_from(state);
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        std::vector<JobStatus> out;
        for (const auto& r : tx.exec_params(std::string("SELECT ") + kColumns +
                                                " FROM jobs WHERE ($1 = '' OR state = $1) ORDER BY created_at DESC LIMIT $2",
                                            state, limit))
            out.push_back(from_row(r));
        return out;
    });
}

std::optional<JobStatus> start_attempt(pqxx::connection& conn, const std::string& tenant, const std::string& id,
                                       const std::string& worker, bool reclaimed) {
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) -> std::optional<JobStatus> {
        const auto rows = tx.exec_params(
            std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $2, "
                        "started_at = now(), next_attempt_at = NULL "
                        "WHERE job_id = $1::uuid AND (state IN ('queued', 'retrying') OR (state = 'running' AND $3)) "
                        "RETURNING ") +
                kColumns,
            id, worker, reclaimed);
        if (rows.empty()) return std::nullopt;
        return from_row(rows[0]);
    });
}

void finish_attempt(pqxx::connection& conn, const std::string& tenant, const std::string& id, JobState state,
                    const nlohmann::json& result, const std::string& error, const std::string& hint, long retry_in_ms) {
    db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        const bool final = state == JobState::succeeded || state == JobState::failed || state == JobState::dead;
        tx.exec_params(
            "UPDATE jobs SET state = $2, result = $3::jsonb, "
            // A success keeps the last failed attempt's error: what went wrong before it worked.
            "error = CASE WHEN $2 = 'succeeded' THEN error ELSE $4 END, hint = CASE WHEN $2 = 'succeeded' THEN hint ELSE $5 END, "
            "attempts = CASE WHEN $2 = 'queued' THEN greatest(attempts - 1, 0) ELSE attempts END, "
            "finished_at = CASE WHEN $6 THEN now() END, "
            "next_attempt_at = CASE WHEN $2 = 'retrying' THEN now() + make_interval(secs => $7::float8 / 1000) END "
            "WHERE job_id = $1::uuid",
            id, job_state_name(state), result.is_null() ? std::optional<std::string>() : std::optional(result.dump()),
            or_null(error), or_null(hint), final, retry_in_ms);
    });
}

bool requeue_dead(pqxx::connection& conn, const std::string& tenant, const std::string& id) {
    if (!is_uuid(id)) return false;
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        return !tx.exec_params("UPDATE jobs SET state = 'queued', attempts = 0, finished_at = NULL "
                               "WHERE job_id = $1::uuid AND state = 'dead' RETURNING 1",
                               id)
                    .empty();
    });
}

}  // namespace voltedge::jobs
