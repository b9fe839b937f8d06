#include "cli/dq_report.h"

#include <fmt/format.h>

#include "db/connection.h"

namespace voltedge::cli {

bool print_dq_report(pqxx::connection& conn, const std::string& tenant, std::ostream& out) {
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        const auto run = tx.exec(
            "SELECT r.run_id, r.source, r.sha256, r.rows_read, r.rows_missing, r.rows_imputed, r.rows_loaded, "
            "r.hours_loaded, to_char(r.finished_at, 'YYYY-MM-DD HH24:MI:SS TZ') "
            "FROM ingest_runs r WHERE r.run_id = (SELECT max(run_id) FROM data_quality)");
        if (run.empty()) return false;
        const auto& r = run[0];
        out << fmt::format("Data quality, tenant {}, run {} ({}), finished {}\n", tenant, r[0].c_str(), r[1].c_str(), r[8].c_str());
        out << fmt::format("sha256 {}\nrows read {}, minutes missing {}, minutes imputed {}, minutes loaded {}, hours loaded {}\n\n",
                           r[2].c_str(), r[3].c_str(), r[4].c_str(), r[5].c_str(), r[6].c_str(), r[7].c_str());
        const auto checks = tx.exec_params(
            "SELECT check_name, passed, observed, threshold, details FROM data_quality WHERE run_id = $1 ORDER BY position",
            r[0].as<std::int64_t>());
        out << fmt::format("{:<22} {:<6} {:>12} {:>10}  {}\n", "check", "result", "observed", "threshold", "details");
        out << std::string(100, '-') << '\n';
        for (const auto& c : checks)
            out << fmt::format("{:<22} {:<6} {:>12.6g} {:>10.6g}  {}\n", c[0].c_str(), c[1].as<bool>() ? "pass" : "FAIL",
                               c[2].as<double>(), c[3].as<double>(), c[4].c_str());
        return true;
    });
}

}  // namespace voltedge::cli
