#include "ingestion/dq_report.h"

#include "db/connection.h"

namespace voltedge::ingestion {

std::optional<DqReport> latest_dq_report(pqxx::connection& conn, const std::string& tenant) {
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) -> std::optional<DqReport> {
        const auto run = tx.exec(
            "SELECT r.run_id, r.source, coalesce(r.sha256, ''), coalesce(r.rows_read, 0), coalesce(r.rows_missing, 0), "
            "coalesce(r.rows_imputed, 0), coalesce(r.rows_loaded, 0), coalesce(r.hours_loaded, 0), "
            "coalesce(to_char(r.finished_at, 'YYYY-MM-DD HH24:MI:SS TZ'), '') "
            "FROM ingest_runs r WHERE r.run_id = (SELECT max(run_id) FROM data_quality)");
        if (run.empty()) return std::nullopt;
        const auto& r = run[0];
        DqReport report{r[0].as<std::int64_t>(), r[1].as<std::string>(),
                        r[2].as<std::string>(),  r[8].as<std::string>(),
                        r[3].as<std::int64_t>(), r[4].as<std::int64_t>(),
                        r[5].as<std::int64_t>(), r[6].as<std::int64_t>(),
                        r[7].as<std::int64_t>(), {}};
        for (const auto& c : tx.exec_params("SELECT check_name, passed, observed, threshold, details FROM data_quality "
                                            "WHERE run_id = $1 ORDER BY position",
                                            report.run_id))
            report.checks.push_back(
                {c[0].as<std::string>(), c[4].as<std::string>(), c[1].as<bool>(), c[2].as<double>(), c[3].as<double>()});
        return report;
    });
}

}  // namespace voltedge::ingestion
