#pragma once
// The latest data-quality report of a tenant: its ingest run and the checks that ran on it.
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace voltedge::ingestion {

struct DqCheckRow {
    std::string name, details;
    bool passed = false;
    double observed = 0, threshold = 0;
};

struct DqReport {
    std::int64_t run_id = 0;
    std::string source, sha256, finished_at;
    std::int64_t rows_read = 0, minutes_missing = 0, minutes_imputed = 0, minutes_loaded = 0, hours_loaded = 0;
    std::vector<DqCheckRow> checks;  // in the order they ran
};

// nullopt when the tenant has no report yet.
std::optional<DqReport> latest_dq_report(pqxx::connection& app_conn, const std::string& tenant);

}  // namespace voltedge::ingestion
