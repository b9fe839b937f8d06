#include "cli/dq_report.h"

#include <fmt/format.h>

#include "ingestion/dq_report.h"

namespace voltedge::cli {

bool print_dq_report(pqxx::connection& conn, const std::string& tenant, std::ostream& out) {
    const auto r = ingestion::latest_dq_report(conn, tenant);
    if (!r) return false;
    out << fmt::format("Data quality, tenant {}, run {} ({}), finished {}\n", tenant, r->run_id, r->source, r->finished_at);
    out << fmt::format("sha256 {}\nrows read {}, minutes missing {}, minutes imputed {}, minutes loaded {}, hours loaded {}\n\n",
                       r->sha256, r->rows_read, r->minutes_missing, r->minutes_imputed, r->minutes_loaded, r->hours_loaded);
    out << fmt::format("{:<22} {:<6} {:>12} {:>10}  {}\n", "check", "result", "observed", "threshold", "details");
    out << std::string(100, '-') << '\n';
    for (const auto& c : r->checks)
        out << fmt::format("{:<22} {:<6} {:>12.6g} {:>10.6g}  {}\n", c.name, c.passed ? "pass" : "FAIL", c.observed, c.threshold,
                           c.details);
    return true;
}

}  // namespace voltedge::cli
