#include "serving/canary.h"

#include <sstream>

#include "core/error.h"
#include "core/uuid.h"
#include "db/connection.h"
#include "security/audit.h"

namespace voltedge::serving {
namespace {

constexpr const char* kColumns =
    "rollout_id::text, version, status, coalesce(reason, ''), array_to_string(steps, ','), step, share, interval_seconds";

Rollout from_row(const pqxx::row& r) {
    Rollout out{r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), {}, r[5].as<int>(), r[6].as<int>(), r[7].as<int>()};
    std::stringstream cells(r[4].c_str());
    for (std::string cell; std::getline(cells, cell, ',');) out.steps.push_back(std::stoi(cell));
    return out;
}

std::optional<Rollout> one(pqxx::connection& conn, const std::string& tenant, const std::string& where) {
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) -> std::optional<Rollout> {
        const auto rows = tx.exec(std::string("SELECT ") + kColumns + " FROM canary_rollouts " + where +
                                  " ORDER BY started_at DESC LIMIT 1");
        if (rows.empty()) return std::nullopt;
        return from_row(rows[0]);
    });
}

}  // namespace

std::optional<Rollout> running_rollout(pqxx::connection& conn, const std::string& tenant) {
    return one(conn, tenant, "WHERE status = 'running'");
}

std::optional<Rollout> latest_rollout(pqxx::connection& conn, const std::string& tenant) { return one(conn, tenant, ""); }

Rollout start_rollout(pqxx::connection& conn, const std::string& tenant, const std::string& version,
                      const std::vector<int>& steps, int interval_seconds, const std::string& actor) {
    if (steps.empty()) throw Error("a canary needs at least one step");
    std::string array = "{";
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i] < 1 || steps[i] > 100 || (i > 0 && steps[i] <= steps[i - 1]))
            throw Error("canary steps are increasing shares from 1 to 100 percent, e.g. 5,25,50,100");
        array += (i ? "," : "") + std::to_string(steps[i]);
    }
    array += "}";
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        if (!tx.exec("SELECT 1 FROM canary_rollouts WHERE status = 'running'").empty())
            throw Error("tenant " + tenant + " already has a canary running", "voltedge canary status --tenant " + tenant);
        const auto rows = tx.exec_params(std::string(
                                             "INSERT INTO canary_rollouts (tenant_id, rollout_id, version, steps, share, "
                                             "interval_seconds, status) VALUES ($1, $2::uuid, $3, $4::int[], $5, $6, 'running') "
                                             "RETURNING ") +
                                             kColumns,
                                         tenant, new_uuid(), version, array, steps.front(), interval_seconds);
        Rollout r = from_row(rows[0]);
        security::audit(
            tx, tenant, actor, "canary.start",
            {{"rollout_id", r.id}, {"version", r.version}, {"steps", r.steps}, {"interval_seconds", interval_seconds}});
        return r;
    });
}

void set_rollout_step(pqxx::connection& conn, const std::string& tenant, const Rollout& rollout, int step,
                      const std::string& actor) {
    const int share = rollout.steps.at(static_cast<std::size_t>(step));
    db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        tx.exec_params("UPDATE canary_rollouts SET step = $2, share = $3, updated_at = now() WHERE rollout_id = $1::uuid",
                       rollout.id, step, share);
        security::audit(tx, tenant, actor, "canary.step",
                        {{"rollout_id", rollout.id}, {"version", rollout.version}, {"step", step}, {"share", share}});
    });
}

void finish_rollout(pqxx::connection& conn, const std::string& tenant, const Rollout& rollout, const std::string& status,
                    const std::string& reason, const std::string& actor) {
    db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        tx.exec_params(
            "UPDATE canary_rollouts SET status = $2, reason = $3, share = CASE WHEN $2 = 'promoted' THEN 100 ELSE 0 END, "
            "updated_at = now() WHERE rollout_id = $1::uuid",
            rollout.id, status, reason);
        security::audit(tx, tenant, actor, "canary.finish",
                        {{"rollout_id", rollout.id}, {"version", rollout.version}, {"status", status}, {"reason", reason}});
    });
}

bool routed_to_canary(const std::string& sticky_key, int share) {
    if (share <= 0) return false;
    if (share >= 100) return true;
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across processes and builds, unlike std::hash
    for (unsigned char c : sticky_key) h = (h ^ c) * 1099511628211ULL;
    return static_cast<int>(h % 100) < share;
}

}  // namespace voltedge::serving
