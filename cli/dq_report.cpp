#include "cli/dq_report.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli/markdown.h"

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

std::string dq_report_markdown(const std::string& tenant, const ingestion::DqReport& r) {
    const auto failed = std::count_if(r.checks.begin(), r.checks.end(), [](const auto& c) { return !c.passed; });
    std::string md = fmt::format(
        "# Data-quality report of tenant {}\n\nThe latest data quality report of tenant {}: the checks run on ingest run {} "
        "({}), finished {}. {} of {} data quality checks passed{}.\n",
        tenant, tenant, r.run_id, md_cell(r.source), r.finished_at, r.checks.size() - failed, r.checks.size(),
        failed ? fmt::format(", {} failed", failed) : "");
    md += fmt::format(
        "\n## Ingest run {}\n\n| | |\n| --- | --- |\n| source | {} |\n| sha256 | {} |\n| finished | {} |\n| rows read | {} |\n"
        "| minutes missing | {} |\n| minutes imputed | {} |\n| minutes loaded | {} |\n| hours loaded | {} |\n",
        r.run_id, md_cell(r.source), r.sha256, r.finished_at, r.rows_read, r.minutes_missing, r.minutes_imputed, r.minutes_loaded,
        r.hours_loaded);
    md += "\n## Data quality checks\n\n| check | result | observed | threshold | details |\n| --- | --- | --- | --- | --- |\n";
    for (const auto& c : r.checks)
        md += fmt::format("| {} | {} | {:.6g} | {:.6g} | {} |\n", c.name, c.passed ? "pass" : "FAILED", c.observed, c.threshold,
                          md_cell(c.details));
    return md;
}

}  // namespace voltedge::cli
