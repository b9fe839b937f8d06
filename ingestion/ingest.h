#pragma once
// `voltedge ingest`: read -> parse -> validate -> impute -> resample -> load, one transaction per run.
#include <chrono>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "ingestion/hourly.h"
#include "ingestion/imputation.h"
#include "ingestion/source.h"
#include "ingestion/validation.h"

namespace voltedge::ingestion {

// Everything a run will load, computed without touching the database.
struct PreparedLoad {
    SourceInfo source;
    std::size_t rows_read = 0;
    std::size_t minutes_missing = 0;  // minutes with a missing value before imputation
    MinuteSeries minutes;
    std::vector<HourlyRow> hours;
    std::vector<CheckResult> checks;
    ImputationStats imputation;
};

PreparedLoad prepare_load(const std::string& source, const std::string& download_dir, const ValidationOptions& validation = {});

struct IngestOptions {
    std::string tenant;
    std::string source;
    bool force = false;
    std::string download_dir = "data/raw/downloads";
    // How long to wait for another ingest of the tenant to finish; zero refuses at once (the CLI).
    std::chrono::seconds lock_wait{0};
    ValidationOptions validation;
};

struct IngestReport {
    std::int64_t run_id = 0;
    std::string status;  // "succeeded", or "skipped" when this file was already loaded
    SourceInfo source;
    std::size_t rows_read = 0, minutes_missing = 0, minutes_imputed = 0, minutes_loaded = 0, hours_loaded = 0;
    std::vector<CheckResult> checks;
};

// Runs as the application role under the tenant's row-level security. A failed run is recorded as
// failed and leaves every table as it was.
IngestReport ingest(pqxx::connection& app_conn, const IngestOptions& options);

// Loads a prepared run in the caller's transaction (tenant already set): replaces the tenant's minutes
// and hours in the run's time span, then writes the data-quality rows.
void store_load(pqxx::transaction_base& tx, const std::string& tenant, std::int64_t run_id, const PreparedLoad& load);

}  // namespace voltedge::ingestion
