// POST /jobs and GET /jobs/{id}: submit work to the workers' queue and follow it, in the key's tenant.
#include <fmt/format.h>

#include <algorithm>

#include "api/routes.h"
#include "jobs/job_store.h"

namespace voltedge::api {
namespace {

constexpr const char* kJobExample = R"(e.g. {"kind": "features"} or {"kind": "eval", "payload": {"suite": "retrieval"}})";

// Kinds that change what production serves: a tenant-admin or operator key only.
constexpr std::array<const char*, 3> kAdminKinds = {"promote", "rollback", "canary"};
// Kinds that change what every tenant gets: `tune` rewrites the shared training configuration. An operator's only.
constexpr std::array<const char*, 1> kOperatorKinds = {"tune"};
// Payload fields that name files or folders on the server: an operator's only, or a tenant key could read the
// server's files into its own index or tables.
constexpr std::array<const char*, 5> kServerPathFields = {"source", "root", "paths", "config_path", "weather_csv"};

struct JobRequest {
    jobs::Job job;
    std::optional<std::string> tenant;
};

JobRequest parse_job(std::string_view body) {
    const Json j = parse_json_body(body);
    if (j.is_discarded()) throw ApiError(400, "body", "the request body is not valid JSON", kJobExample);
    if (!j.is_object()) throw ApiError(400, "body", "the request body must be a JSON object", kJobExample);
    JobRequest r;
    for (const auto& [key, value] : j.items()) {
        if (key == "kind") {
            if (!value.is_string()) throw ApiError(422, key, "kind must be a string", kJobExample);
            r.job.kind = value.get<std::string>();
        } else if (key == "payload") {
            if (!value.is_object()) throw ApiError(422, key, "payload must be a JSON object", kJobExample);
            r.job.payload = value;
        } else if (key == "dedupe_key") {
            if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>().size() > 200)
                throw ApiError(422, key, "dedupe_key must be a string of 1 to 200 characters");
            r.job.dedupe_key = value.get<std::string>();
        } else if (key == "tenant") {
            if (!value.is_string()) throw ApiError(422, key, "tenant must be a string");
            r.tenant = value.get<std::string>();
        } else {
            throw ApiError(422, key, "unknown field '" + key + "'", "the fields are kind, payload, dedupe_key, tenant");
        }
    }
    if (r.job.kind.empty()) throw ApiError(422, "kind", "kind is required", kJobExample);
    return r;
}

// Which tenant the job runs for, and whether this key may submit it there.
std::string authorize(const security::Principal& who, const JobRequest& r) {
    if (who.scope == security::Scope::operator_) {
        if (!r.tenant) throw ApiError(422, "tenant", "an operator key names the tenant the job runs for");
        return *r.tenant;
    }
    if (std::find(kOperatorKinds.begin(), kOperatorKinds.end(), r.job.kind) != kOperatorKinds.end())
        throw ApiError(403, "kind",
                       "a " + r.job.kind + " job changes the training configuration of every tenant; only an operator key may",
                       "ask an operator (voltedge operator key)");
    if (r.tenant && *r.tenant != who.tenant)
        throw ApiError(403, "tenant", "a tenant's key submits jobs for its own tenant only", "omit tenant, or name your own");
    if (who.scope == security::Scope::tenant &&
        std::find(kAdminKinds.begin(), kAdminKinds.end(), r.job.kind) != kAdminKinds.end())
        throw ApiError(403, "kind", "a " + r.job.kind + " job needs a tenant-admin key", "voltedge tenant key TENANT --admin");
    for (const char* field : kServerPathFields)
        if (r.job.payload.contains(field))
            throw ApiError(403, std::string("payload.") + field,
                           std::string(field) + " names a path on the server; only an operator key may",
                           "leave it out: the job uses the tenant's own data and the server's configured paths");
    return who.tenant;
}

void submit(Services& s, const http::Request& req, http::Response& res) {
    const security::Principal who = authenticate(s.keys, req);
    if (!s.queue) throw ApiError(503, "", "this server has no job queue", "start it with voltedge serve (Redis configured)");
    JobRequest r = parse_job(req.body);
    r.job.tenant = authorize(who, r);
    // A queue flood from one tenant must not starve the others: each may have a bounded number of active jobs.
    const long active = s.pool.read([&](pqxx::connection& conn) { return jobs::count_active_jobs(conn, r.job.tenant); });
    if (active >= s.options.max_active_jobs) {
        res.headers.emplace_back("Retry-After", "30");
        throw ApiError(429, "", fmt::format("the tenant already has {} jobs queued or running (the limit)", active),
                       "wait for some to finish (GET /jobs/{id}), or reuse a dedupe_key for repeated work");
    }
    std::string id;
    try {
        id = s.queue->enqueue(r.job);
    } catch (const FieldError& e) {
        throw ApiError(422, e.field(), e.what(), e.hint());
    }
    const auto status = s.queue->status(r.job.tenant, id);
    Json out = status ? jobs::to_json(*status) : Json{{"job_id", id}};
    out["request_id"] = current_request().request_id;
    res.headers.emplace_back("Location", "/jobs/" + id);
    send_json(res, 202, out);
}

void show(Services& s, const http::Request& req, http::Response& res) {
    const security::Principal who = authenticate(s.keys, req);
    if (!s.queue) throw ApiError(503, "", "this server has no job queue");
    const std::string& tenant = tenant_of(who);
    const auto status = s.queue->status(tenant, req.params[0]);
    if (!status) throw ApiError(404, "id", "no job " + req.params[0] + " in this tenant", "the id POST /jobs returned");
    Json out = jobs::to_json(*status);
    out["request_id"] = current_request().request_id;
    send_json(res, 200, out);
}

}  // namespace

void install_job_routes(http::Server& server, Services& s) {
    server.route("POST", "/jobs", guarded([&s](const auto& req, auto& res) { submit(s, req, res); }));
    server.route("GET", "/jobs/{id}", guarded([&s](const auto& req, auto& res) { show(s, req, res); }));
}

}  // namespace voltedge::api
