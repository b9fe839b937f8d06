// `make bench`, ingestion part: parsing alone, the whole `voltedge ingest` run (wall time and peak RSS),
// and a bare COPY of the same minute rows into usage_minute — the floor no loader can beat.
//
// The database runs are made in a scratch database (created, migrated, dropped again), each after a
// CHECKPOINT, so the figures describe this code and this machine rather than the history of the
// development database: months of re-ingests and deletes leave usage_minute bloated with dead rows, and
// inserting into their reclaimed space costs ~40 % more.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>

#include "bench/child_run.h"
#include "bench/scratch_database.h"
#include "core/error.h"
#include "core/config.h"
#include "db/connection.h"
#include "db/copy_in.h"
#include "ingestion/series.h"
#include "ingestion/source.h"
#include "ingestion/uci_parser.h"
#include "security/tenants.h"

using namespace voltedge;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

using bench::ChildRun;
using bench::run_child;

std::string decompress(const std::string& source) {
    std::string text;
    ingestion::read_source(
        source, [&](std::string_view chunk) { text.append(chunk); }, "/tmp");
    return text;
}

double best_parse_seconds(const std::string& text, std::size_t& rows) {
    double best = 1e9;
    for (int i = 0; i < 3; ++i) {
        const auto start = Clock::now();
        ingestion::UciParser parser("bench", 2'100'000);
        parser.feed(text);
        rows = parser.finish().size();
        best = std::min(best, seconds_since(start));
    }
    return best;
}

// COPY of the minute rows straight into usage_minute, as the admin (row-level security does not allow
// COPY for the application role), in a transaction that is rolled back.
double bare_copy_seconds(const Config& config, const std::string& text, const std::string& tenant) {
    ingestion::UciParser parser("bench", 2'100'000);
    parser.feed(text);
    ingestion::TimestampStats stats;
    const auto series = ingestion::build_series(parser.finish(), stats, "bench");
    std::string rows;  // formatted before the clock starts: only the COPY is timed
    rows.reserve(series.size() * 90);
    for (std::size_t i = 0; i < series.size(); ++i) {
        rows += fmt::format("{}\t{}", tenant, format_minute(series.start + static_cast<Minute>(i)));
        for (const auto& v : series.value) rows += fmt::format("\t{}", v[i] == ingestion::kMissing ? 0.0 : v[i] / 1000.0);
        rows += "\tf\t0\n";
    }
    auto conn = db::connect(config.database_admin_url);
    pqxx::work tx(conn);
    const auto start = Clock::now();
    db::CopyIn copy(tx, "usage_minute",
                    {"tenant_id", "ts", "global_active_power", "global_reactive_power", "voltage", "global_intensity",
                     "sub_metering_1", "sub_metering_2", "sub_metering_3", "imputed", "run_id"});
    for (std::size_t pos = 0; pos < rows.size();) {
        const std::size_t nl = rows.find('\n', std::min(rows.size(), pos + (1 << 20)));
        const std::size_t end = nl == std::string::npos ? rows.size() : nl + 1;
        copy.buffer().append(rows, pos, end - pos);
        copy.maybe_flush();
        pos = end;
    }
    copy.finish();
    const double secs = seconds_since(start);
    tx.abort();
    return secs;
}

ChildRun ingest(const std::string& tenant, const std::string& source) {
    const ChildRun run = run_child({VOLTEDGE_BIN, "ingest", "--tenant", tenant, "--source", source}, "/dev/null");
    if (!WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0) {
        std::fprintf(stderr, "voltedge ingest --tenant %s failed\n", tenant.c_str());
        std::exit(1);
    }
    return run;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Ingestion benchmark"};
    std::string source = "data/raw/household_power_consumption.txt.xz";
    app.add_option("--source", source, "UCI file to ingest")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const bench::ScratchDatabase scratch(Config::load());
    const Config& config = scratch.config();
    for (const char* t : {"first", "second", "copy"}) security::create_tenant(config.database_admin_url, t, "bench");

    std::printf("ingestion benchmark on %s (scratch database, CHECKPOINT before each run)\n", source.c_str());
    scratch.checkpoint();
    const ChildRun first = ingest("first", source);  // into an empty store, as on a new installation
    const std::string text = decompress(source);
    std::size_t rows = 0;
    const double parse = best_parse_seconds(text, rows);
    scratch.checkpoint();
    const double copy = bare_copy_seconds(config, text, "copy");  // into the store holding "first"
    scratch.checkpoint();
    const ChildRun second = ingest("second", source);  // the same state the COPY saw

    std::printf("  rows                         %zu (%.0f MB of text)\n", rows, text.size() / 1e6);
    std::printf("  parse only (best of 3)       %.3f s   %.2f M rows/s\n", parse, rows / parse / 1e6);
    for (const auto& [name, run] : {std::pair{"first tenant (empty store)", &first}, std::pair{"second tenant", &second}})
        std::printf("  voltedge ingest, %-27s %.3f s   %.2f M rows/s   peak RSS %.0f MB\n", name, run->seconds,
                    rows / run->seconds / 1e6, run->peak_rss_kb / 1024.0);
    std::printf("  bare COPY into usage_minute (store holding one tenant)  %.3f s   %.2f M rows/s\n", copy, rows / copy / 1e6);
    std::printf("  second ingest / bare COPY    %.2fx\n", second.seconds / copy);
    return 0;
}
