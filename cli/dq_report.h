#pragma once
// The latest data-quality report of a tenant (read once, by ingestion::latest_dq_report), rendered for the
// terminal and as the Markdown document the retrieval index holds.
#include <ostream>
#include <pqxx/pqxx>
#include <string>

#include "ingestion/dq_report.h"

namespace voltedge::cli {

// Prints the latest data-quality report of the tenant as a table; returns false if there is none.
bool print_dq_report(pqxx::connection& app_conn, const std::string& tenant, std::ostream& out);

// The report as Markdown: the ingest run, then every check with its result, in words people search for.
std::string dq_report_markdown(const std::string& tenant, const ingestion::DqReport& report);

}  // namespace voltedge::cli
