#include "ingestion/ingest.h"

#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "ingestion/series.h"
#include "ingestion/uci_parser.h"

namespace voltedge::ingestion {
namespace {

using Clock = std::chrono::steady_clock;

// Prints a progress line every two seconds on long reads.
class Progress {
public:
    explicit Progress(std::string source) : source_(std::move(source)) {}
    void update(std::size_t bytes_text, std::size_t lines) {
        const auto now = Clock::now();
        if (now - last_ < std::chrono::seconds(2)) return;
        last_ = now;
        log_info("ingest_progress", {{"source", source_}, {"lines_read", lines}, {"mb_read", bytes_text >> 20}});
    }

private:
    std::string source_;
    Clock::time_point last_ = Clock::now();
};

std::int64_t start_run(pqxx::connection& conn, const IngestOptions& o) {
    return db::with_tenant(conn, o.tenant, [&](pqxx::work& tx) {
        return tx
            .exec_params1("INSERT INTO ingest_runs (tenant_id, source, status) VALUES ($1, $2, 'running') RETURNING run_id",
                          o.tenant, o.source)[0]
            .as<std::int64_t>();
    });
}

void mark_failed(pqxx::connection& conn, const std::string& tenant, std::int64_t run_id, const std::string& error) {
    try {
        db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
            tx.exec_params("UPDATE ingest_runs SET status = 'failed', error = $2, finished_at = now() WHERE run_id = $1", run_id,
                           error);
        });
    } catch (const std::exception& e) {
        log_event("error", "ingest_run_not_marked_failed", {{"run_id", run_id}, {"error", e.what()}});
    }
}

void fail_abandoned_runs(pqxx::connection& conn, const std::string& tenant) {
    const auto abandoned = db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        return tx.exec(
            "UPDATE ingest_runs SET status = 'failed', finished_at = now(), error = 'abandoned: the ingest process ended "
            "without finishing this run (found by a later run; nothing of it was stored)' WHERE status = 'running' RETURNING run_id");
    });
    for (const auto& row : abandoned)
        log_event("warn", "abandoned_ingest_run_failed", {{"tenant_id", tenant}, {"run_id", row[0].as<std::int64_t>()}});
}

std::optional<std::int64_t> earlier_run_of(pqxx::work& tx, const std::string& sha256) {
    const auto r = tx.exec_params(
        "SELECT run_id FROM ingest_runs WHERE sha256 = $1 AND status = 'succeeded' ORDER BY run_id DESC LIMIT 1", sha256);
    if (r.empty()) return std::nullopt;
    return r[0][0].as<std::int64_t>();
}

}  // namespace

PreparedLoad prepare_load(const std::string& source, const std::string& download_dir, const ValidationOptions& validation) {
    PreparedLoad load;
    UciParser parser(source, 2'100'000);
    Progress progress(source);
    std::size_t text_bytes = 0;
    load.source = read_source(
        source,
        [&](std::string_view chunk) {
        parser.feed(chunk);
        text_bytes += chunk.size();
        progress.update(text_bytes, parser.lines_read());
        },
        download_dir);
    ParsedRows rows = parser.finish();
    load.rows_read = rows.size();
    log_info("ingest_stage", {{"stage", "parsed"}, {"source", source}, {"rows_read", load.rows_read}});

    TimestampStats timestamps;
    load.minutes = build_series(std::move(rows), timestamps, source);
    load.minutes_missing = minutes_with_missing_value(load.minutes);
    load.checks = validate(load.minutes, timestamps, validation);
    load.imputation = impute(load.minutes);
    load.hours = resample_hourly(load.minutes);
    return load;
}

IngestReport ingest(pqxx::connection& conn, const IngestOptions& o) {
    const auto started = Clock::now();
    // One ingest per tenant at a time. The lock is the connection's: a killed ingest releases it, so a run
    // still marked running while we hold it was abandoned.
    const db::SessionLock lock(conn, "voltedge.ingest." + o.tenant, o.lock_wait);
    if (!lock.held())
        throw Error("tenant " + o.tenant + " is already being ingested by another process", "wait for it to finish");
    fail_abandoned_runs(conn, o.tenant);
    const std::int64_t run_id = start_run(conn, o);  // also fails fast for an unknown tenant
    IngestReport report;
    report.run_id = run_id;
    try {
        PreparedLoad load = prepare_load(o.source, o.download_dir, o.validation);
        report.source = load.source;
        report.rows_read = load.rows_read;
        report.minutes_missing = load.minutes_missing;
        report.minutes_imputed = load.imputation.minutes_imputed;
        report.checks = load.checks;
        log_info("ingest_stage", {{"stage", "loading"},
                                  {"tenant_id", o.tenant},
                                  {"run_id", run_id},
                                  {"minutes", load.minutes.size()},
                                  {"hours", load.hours.size()}});
        db::with_tenant(conn, o.tenant, [&](pqxx::work& tx) {
            const auto earlier = o.force ? std::nullopt : earlier_run_of(tx, load.source.sha256);
            report.status = earlier ? "skipped" : "succeeded";
            if (!earlier) {
                store_load(tx, o.tenant, run_id, load);
                report.minutes_loaded = load.minutes.size();
                report.hours_loaded = load.hours.size();
                db::notify_data_changed(tx, o.tenant);
            }
            tx.exec_params(
                "UPDATE ingest_runs SET status = $2, sha256 = $3, bytes = $4, rows_read = $5, rows_missing = $6, "
                "rows_imputed = $7, rows_loaded = $8, hours_loaded = $9, finished_at = now(), error = $10 WHERE run_id = $1",
                run_id, report.status, load.source.sha256, static_cast<std::int64_t>(load.source.bytes),
                static_cast<std::int64_t>(report.rows_read), static_cast<std::int64_t>(report.minutes_missing),
                static_cast<std::int64_t>(report.minutes_imputed), static_cast<std::int64_t>(report.minutes_loaded),
                static_cast<std::int64_t>(report.hours_loaded),
                earlier
                    ? std::optional<std::string>("same file as run " + std::to_string(*earlier) + "; use --force to load again")
                    : std::nullopt);
        });
    } catch (const std::exception& e) {
        mark_failed(conn, o.tenant, run_id, e.what());
        throw;
    }
    log_info("ingest_finished", {{"tenant_id", o.tenant},
                                 {"run_id", run_id},
                                 {"status", report.status},
                                 {"source", o.source},
                                 {"sha256", report.source.sha256},
                                 {"bytes", report.source.bytes},
                                 {"rows_read", report.rows_read},
                                 {"rows_missing", report.minutes_missing},
                                 {"rows_imputed", report.minutes_imputed},
                                 {"rows_loaded", report.minutes_loaded},
                                 {"hours_loaded", report.hours_loaded},
                                 {"seconds", std::chrono::duration<double>(Clock::now() - started).count()}});
    return report;
}

}  // namespace voltedge::ingestion
