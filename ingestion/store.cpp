#include <fmt/format.h>

#include "db/copy_in.h"
#include "ingestion/ingest.h"

namespace voltedge::ingestion {
namespace {

char* put_milli(char* out, Milli v) {
    if (v < 0) {
        *out++ = '-';
        v = -v;
    }
    const auto whole = fmt::format_to(out, "{}", v / 1000);
    out = whole;
    const int frac = v % 1000;
    *out++ = '.';
    *out++ = static_cast<char>('0' + frac / 100);
    *out++ = static_cast<char>('0' + frac / 10 % 10);
    *out++ = static_cast<char>('0' + frac % 10);
    return out;
}

// PostgreSQL refuses COPY FROM into a table under row-level security, so rows are copied into a temporary
// table (no RLS, not WAL-logged) and moved with one INSERT ... SELECT, which the tenant policy checks.
const std::vector<std::string> kMinuteColumns = {"ts", "global_active_power", "global_reactive_power", "voltage",
                                                 "global_intensity", "sub_metering_1", "sub_metering_2",
                                                 "sub_metering_3", "imputed"};
const std::vector<std::string> kHourColumns = {"hour", "mean_kw", "energy_kwh", "min_kw", "max_kw", "mean_reactive_kw",
                                               "mean_voltage", "sub_metering_1_wh", "sub_metering_2_wh",
                                               "sub_metering_3_wh", "minutes_present", "minutes_imputed"};

std::string joined(const std::vector<std::string>& columns) {
    std::string out;
    for (const auto& c : columns) out += (out.empty() ? "" : ", ") + c;
    return out;
}

void create_staging(pqxx::transaction_base& tx, const std::string& staging, const std::string& table,
                    const std::vector<std::string>& columns) {
    tx.exec("CREATE TEMP TABLE " + staging + " ON COMMIT DROP AS SELECT " + joined(columns) + " FROM " + table + " WITH NO DATA");
}

void move_staged(pqxx::transaction_base& tx, const std::string& staging, const std::string& table,
                 const std::vector<std::string>& columns, const std::string& tenant, std::int64_t run_id) {
    tx.exec_params("INSERT INTO " + table + " (tenant_id, run_id, " + joined(columns) + ") SELECT $1, $2, " +
                       joined(columns) + " FROM " + staging,
                   tenant, run_id);
}

void copy_minutes(pqxx::transaction_base& tx, const MinuteSeries& s) {
    create_staging(tx, "minute_staging", "usage_minute", kMinuteColumns);
    db::CopyIn copy(tx, "minute_staging", kMinuteColumns);
    char row[256];
    for (std::size_t i = 0; i < s.size(); ++i) {
        char* p = format_minute(s.start + static_cast<Minute>(i), row);
        for (int f = 0; f < kFieldCount; ++f) {
            *p++ = '\t';
            p = put_milli(p, s.value[f][i]);
        }
        *p++ = '\t';
        *p++ = (s.flags[i] & MinuteSeries::kImputed) ? 't' : 'f';
        *p++ = '\n';
        copy.buffer().append(row, p);
        copy.maybe_flush();
    }
    copy.finish();
}

void copy_hours(pqxx::transaction_base& tx, const std::vector<HourlyRow>& hours) {
    create_staging(tx, "hour_staging", "usage_hourly", kHourColumns);
    db::CopyIn copy(tx, "hour_staging", kHourColumns);
    for (const HourlyRow& h : hours) {
        fmt::format_to(std::back_inserter(copy.buffer()), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                       format_minute(h.hour), h.mean_kw, h.energy_kwh, h.min_kw, h.max_kw,
                       h.mean_reactive_kw, h.mean_voltage, h.sub_metering_wh[0], h.sub_metering_wh[1],
                       h.sub_metering_wh[2], h.minutes_present, h.minutes_imputed);
        copy.maybe_flush();
    }
    copy.finish();
}

}  // namespace

void store_load(pqxx::transaction_base& tx, const std::string& tenant, std::int64_t run_id, const PreparedLoad& load) {
    const MinuteSeries& s = load.minutes;
    const std::string first = format_minute(s.start), end = format_minute(s.end());
    tx.exec_params("DELETE FROM usage_minute WHERE tenant_id = $1 AND ts >= $2 AND ts < $3", tenant, first, end);
    tx.exec_params("DELETE FROM usage_hourly WHERE tenant_id = $1 AND hour >= date_trunc('hour', $2::timestamp) AND hour < $3",
                   tenant, first, end);
    copy_minutes(tx, s);
    move_staged(tx, "minute_staging", "usage_minute", kMinuteColumns, tenant, run_id);
    copy_hours(tx, load.hours);
    move_staged(tx, "hour_staging", "usage_hourly", kHourColumns, tenant, run_id);
    int position = 0;
    for (const CheckResult& c : load.checks)
        tx.exec_params("INSERT INTO data_quality (tenant_id, run_id, check_name, position, passed, observed, threshold, details) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       tenant, run_id, c.name, position++, c.passed, c.observed, c.threshold, c.details);
}

}  // namespace voltedge::ingestion
