#include "evaluations/results.h"

#include "core/uuid.h"
#include "db/connection.h"

namespace voltedge::evaluations {
namespace {

std::optional<std::string> or_null(const std::string& s) { return s.empty() ? std::nullopt : std::optional(s); }
std::optional<double> number(const pqxx::field& f) { return f.is_null() ? std::nullopt : std::optional(f.as<double>()); }

}  // namespace

std::optional<bool> EvalResult::passed() const {
    if (!threshold) return std::nullopt;
    if (!value) return false;  // gated and not measurable: not passed
    return lower_is_better ? *value <= *threshold : *value >= *threshold;
}

std::string store_results(pqxx::connection& conn, const EvalRecord& r) {
    const std::string id = new_uuid();
    db::with_tenant(conn, r.tenant, [&](pqxx::work& tx) {
        for (const auto& m : r.results)
            tx.exec_params(
                "INSERT INTO model_eval_results (tenant_id, eval_run, subject, version, stage, metric, value, threshold, passed, "
                "mlflow_run_id, window_first, window_last) VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamp, "
                "$12::timestamp)",
                r.tenant, id, r.subject, r.version, r.stage, m.metric, m.value, m.threshold, m.passed(), or_null(r.mlflow_run_id),
                or_null(r.window_first), or_null(r.window_last));
    });
    return id;
}

std::optional<StoredResult> latest_result(pqxx::connection& conn, const std::string& tenant, const std::string& subject,
                                          const std::string& metric, int window_hours, const std::string& version) {
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) -> std::optional<StoredResult> {
        const auto rows = tx.exec_params(
            "SELECT version, stage, metric, to_char(evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), value, threshold, passed "
            "FROM model_eval_results WHERE subject = $1 AND metric = $2 AND ($3 = '' OR version = $3) "
            "AND ($4 = 0 OR evaluated_at > now() - make_interval(hours => $4)) ORDER BY evaluated_at DESC, id DESC LIMIT 1",
            subject, metric, version, window_hours);
        if (rows.empty()) return std::nullopt;
        const auto& row = rows[0];
        return StoredResult{row[0].c_str(),
                            row[1].c_str(),
                            row[2].c_str(),
                            row[3].c_str(),
                            number(row[4]),
                            number(row[5]),
                            row[6].is_null() ? std::nullopt : std::optional(row[6].as<bool>())};
    });
}

}  // namespace voltedge::evaluations
