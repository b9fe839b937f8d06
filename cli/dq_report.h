#pragma once
#include <ostream>
#include <pqxx/pqxx>
#include <string>

namespace voltedge::cli {

// Prints the latest data-quality report of the tenant as a table; returns false if there is none.
bool print_dq_report(pqxx::connection& app_conn, const std::string& tenant, std::ostream& out);

}  // namespace voltedge::cli
