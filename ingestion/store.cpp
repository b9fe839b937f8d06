#include <fmt/format.h>

#include "db/staged_copy.h"
#include "ingestion/ingest.h"

namespace voltedge::ingestion {
namespace {

// Minute rows are staged as integers (the minute number, readings in thousandths) and converted by the
// server: parsing integers costs it a fraction of parsing timestamps and decimal floats, and a reading
// v / 1000 computed in float4 is the same float as the decimal text would give (both are the correctly
// rounded value of the same rational, since every reading fits float4's 24-bit integer range).
std::vector<db::StagedColumn> minute_columns() {
    std::vector<db::StagedColumn> columns = {{"minute", "bigint", "ts", "timestamp '1970-01-01' + minute * interval '1 minute'"}};
    for (const char* name : {"global_active_power", "global_reactive_power", "voltage", "global_intensity", "sub_metering_1",
                             "sub_metering_2", "sub_metering_3"})
        columns.emplace_back(std::string(name) + "_milli", "integer", name, std::string(name) + "_milli::real / 1000");
    columns.emplace_back("imputed");
    return columns;
}

const std::vector<std::string> kHourColumns = {"hour",
                                               "mean_kw",
                                               "energy_kwh",
                                               "min_kw",
                                               "max_kw",
                                               "mean_reactive_kw",
                                               "mean_voltage",
                                               "sub_metering_1_wh",
                                               "sub_metering_2_wh",
                                               "sub_metering_3_wh",
                                               "minutes_present",
                                               "minutes_imputed"};

using Constants = std::vector<std::pair<std::string, std::string>>;

void copy_minutes(pqxx::transaction_base& tx, const MinuteSeries& s, const Constants& constants) {
    db::StagedCopy copy(tx, "usage_minute", minute_columns());
    char row[256];
    for (std::size_t i = 0; i < s.size(); ++i) {
        char* p = fmt::format_to(row, "{}", s.start + static_cast<Minute>(i));
        for (int f = 0; f < kFieldCount; ++f) p = fmt::format_to(p, "\t{}", s.value[f][i]);
        *p++ = '\t';
        *p++ = (s.flags[i] & MinuteSeries::kImputed) ? 't' : 'f';
        *p++ = '\n';
        copy.buffer().append(row, p);
        copy.maybe_flush();
    }
    copy.finish(constants);
}

void copy_hours(pqxx::transaction_base& tx, const std::vector<HourlyRow>& hours, const Constants& constants) {
    db::StagedCopy copy(tx, "usage_hourly", kHourColumns);
    for (const HourlyRow& h : hours) {
        fmt::format_to(std::back_inserter(copy.buffer()), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                       format_minute(h.hour), h.mean_kw, h.energy_kwh, h.min_kw, h.max_kw, h.mean_reactive_kw, h.mean_voltage,
                       h.sub_metering_wh[0], h.sub_metering_wh[1], h.sub_metering_wh[2], h.minutes_present, h.minutes_imputed);
        copy.maybe_flush();
    }
    copy.finish(constants);
}

}  // namespace

void store_load(pqxx::transaction_base& tx, const std::string& tenant, std::int64_t run_id, const PreparedLoad& load) {
    const MinuteSeries& s = load.minutes;
    const std::string first = format_minute(s.start), end = format_minute(s.end());
    tx.exec_params("DELETE FROM usage_minute WHERE tenant_id = $1 AND ts >= $2 AND ts < $3", tenant, first, end);
    tx.exec_params("DELETE FROM usage_hourly WHERE tenant_id = $1 AND hour >= date_trunc('hour', $2::timestamp) AND hour < $3",
                   tenant, first, end);
    const Constants constants = {{"tenant_id", tx.quote(tenant)}, {"run_id", std::to_string(run_id)}};
    copy_minutes(tx, s, constants);
    copy_hours(tx, load.hours, constants);
    int position = 0;
    for (const CheckResult& c : load.checks)
        tx.exec_params("INSERT INTO data_quality (tenant_id, run_id, check_name, position, passed, observed, threshold, details) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       tenant, run_id, c.name, position++, c.passed, c.observed, c.threshold, c.details);
}

}  // namespace voltedge::ingestion
