#include "features/feature_store.h"

#include <fmt/format.h>

#include <fstream>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "db/staged_copy.h"
#include "features/point_in_time.h"

namespace voltedge::features {
namespace {

const std::vector<std::string>& stored_columns() {
    static const std::vector<std::string> columns = [] {
        std::vector<std::string> c = {"hour", "load_kw", "imputed_minutes"};
        for (const auto& n : value_feature_names()) c.push_back(n);
        for (const char* n :
             {"temperature_lag_1", "hour_of_day", "daypart", "weekday", "is_weekend", "month", "is_holiday", "last_hours_kw"})
            c.push_back(n);
        return c;
    }();
    return columns;
}

void put_double(std::string& out, double v) {
    if (std::isnan(v))
        out += "\\N";
    else
        fmt::format_to(std::back_inserter(out), "{}", v);
}

void copy_rows(pqxx::transaction_base& tx, const std::vector<FeatureRow>& rows) {
    db::StagedCopy copy(tx, "features_hourly", stored_columns());
    std::string& out = copy.buffer();
    for (const FeatureRow& r : rows) {
        out += format_minute(r.hour);
        out += '\t';
        put_double(out, r.load_kw);
        fmt::format_to(std::back_inserter(out), "\t{}", r.imputed_minutes);
        for (double v : r.value) {
            out += '\t';
            put_double(out, v);
        }
        out += '\t';
        put_double(out, r.temperature_lag_1);
        const Calendar& c = r.calendar;
        fmt::format_to(std::back_inserter(out), "\t{}\t{}\t{}\t{}\t{}\t{}\t{{", c.hour_of_day, c.daypart, c.weekday,
                       c.is_weekend ? 't' : 'f', c.month, c.is_holiday ? 't' : 'f');
        for (std::size_t k = 0; k < r.last_hours.size(); ++k)  // float8 has NaN: an unknown hour stays in its place
            fmt::format_to(std::back_inserter(out), "{}{}", k ? "," : "", r.last_hours[k]);
        out += "}\n";
        copy.maybe_flush();
    }
    copy.finish({{"tenant_id", "current_setting('app.tenant_id', true)"},
                 {"feature_set_version", tx.quote(kFeatureSetVersion)},
                 {"source_commit", tx.quote(source_commit())}});
}

// " WHERE <column> < 'T'", or nothing.
std::string before(pqxx::transaction_base& tx, const char* column, std::optional<Minute> end) {
    return end ? fmt::format(" WHERE {} < {}::timestamp", column, tx.quote(format_minute(*end))) : "";
}

// The hourly loads that are forecast (ingestion's figures, hindsight fills included), before `end` if given.
std::vector<HourLoad> target_loads(pqxx::transaction_base& tx, std::optional<Minute> end) {
    std::vector<HourLoad> loads;
    for (const auto& r : tx.exec("SELECT (extract(epoch from hour) / 60)::bigint, mean_kw, minutes_imputed FROM usage_hourly" +
                                 before(tx, "hour", end) + " ORDER BY hour"))
        loads.push_back({r[0].as<Minute>(), r[1].as<double>(), r[2].as<int>()});
    return loads;
}

// The minute loads with whether each was measured, before `end` if given.
std::vector<MinuteLoad> minute_loads(pqxx::transaction_base& tx, std::optional<Minute> end) {
    std::vector<MinuteLoad> minutes;
    static_assert(kChannelCount == 6);
    for (const auto& r : tx.exec("SELECT (extract(epoch from ts) / 60)::bigint, global_active_power, imputed, sub_metering_1, "
                                 "sub_metering_2, sub_metering_3, global_reactive_power, voltage, global_intensity "
                                 "FROM usage_minute" +
                                 before(tx, "ts", end) + " ORDER BY ts")) {
        MinuteLoad m{r[0].as<Minute>(), r[1].as<double>(), !r[2].as<bool>()};
        for (int c = 0; c < kChannelCount; ++c) m.channels[c] = r[3 + c].as<double>();
        minutes.push_back(m);
    }
    return minutes;
}

double field_or_nan(const pqxx::field& f) { return f.is_null() ? NAN : f.as<double>(); }

// "1.5,NaN,…" into `out`; a missing array (rows built before v3) leaves it unknown.
template <std::size_t N>
void parse_doubles(const pqxx::field& f, std::array<double, N>& out) {
    if (f.is_null()) return;
    const char* p = f.c_str();
    for (std::size_t k = 0; k < N && *p; ++k) {
        char* end = nullptr;
        out[k] = std::strtod(p, &end);
        p = *end == ',' ? end + 1 : end;
    }
}

std::vector<FeatureRow> read_rows(pqxx::transaction_base& tx, const std::string& where) {
    std::string columns = "(extract(epoch from hour) / 60)::bigint";
    for (std::size_t i = 1; i + 1 < stored_columns().size(); ++i) columns += ", " + stored_columns()[i];
    columns += ", array_to_string(last_hours_kw, ',')";
    std::vector<FeatureRow> rows;
    for (const auto& r : tx.exec("SELECT " + columns + " FROM features_hourly " + where + " ORDER BY hour")) {
        FeatureRow row{r[0].as<Minute>(), field_or_nan(r[1]), r[2].as<int>()};
        int c = 3;
        for (double& v : row.value) v = field_or_nan(r[c++]);
        row.temperature_lag_1 = field_or_nan(r[c++]);
        row.calendar = {r[c].as<int>(),      r[c + 1].as<int>(), r[c + 2].as<int>(),
                        r[c + 3].as<bool>(), r[c + 4].as<int>(), r[c + 5].as<bool>()};
        parse_doubles(r[c + 6], row.last_hours);
        rows.push_back(row);
    }
    return rows;
}

}  // namespace

std::map<Minute, double> read_weather_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error("cannot open weather file " + path, "check the path given to --weather-csv");
    std::map<Minute, double> temperature;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || (number == 1 && line.find_first_of("0123456789") != 0)) continue;  // header
        const auto comma = line.find(',');
        const auto hour = parse_minute(std::string_view(line).substr(0, comma));
        char* end = nullptr;
        const double t = comma == std::string::npos ? NAN : std::strtod(line.c_str() + comma + 1, &end);
        if (!hour || std::isnan(t) || *end != '\0')
            throw Error(fmt::format("{}:{}: expected 'YYYY-MM-DD HH:MM:SS,temperature_c', got '{}'", path, number, line),
                        "fix that line of the weather file");
        temperature[*hour] = t;
    }
    return temperature;
}

FeatureReport build_features(pqxx::connection& conn, const FeatureOptions& options) {
    std::map<Minute, double> temperature;
    if (options.with_weather) {
        if (options.weather_csv.empty())
            throw Error("the weather join is on but no weather source is configured",
                        "set VOLTEDGE_WEATHER_CSV (or --weather-csv FILE) to an hourly temperature file, or drop --with-weather");
        temperature = read_weather_csv(options.weather_csv);
    }
    return db::with_tenant(conn, options.tenant, [&](pqxx::transaction_base& tx) {
        const std::vector<HourLoad> loads = target_loads(tx, std::nullopt);
        if (loads.empty())
            throw Error("tenant " + options.tenant + " has no hourly usage to build features from",
                        "run 'voltedge ingest --tenant " + options.tenant + " --source FILE' first");
        const std::vector<HourLoad> inputs = known_hourly_loads(minute_loads(tx, std::nullopt));
        const auto rows = build_feature_rows(loads, options.with_weather ? &temperature : nullptr, &inputs);
        tx.exec("DELETE FROM features_hourly");
        copy_rows(tx, rows);
        db::notify_data_changed(tx, options.tenant);
        FeatureReport report{loads.size(), rows.size(), format_minute(rows.front().hour), format_minute(rows.back().hour)};
        log_info("features_built", {{"tenant_id", options.tenant},
                                    {"hours", report.hours},
                                    {"rows", report.rows},
                                    {"feature_set_version", kFeatureSetVersion},
                                    {"weather", options.with_weather}});
        return report;
    });
}

std::vector<FeatureRow> load_feature_rows(pqxx::transaction_base& tx) { return read_rows(tx, ""); }

std::optional<FeatureRow> feature_row_as_of(pqxx::transaction_base& tx, Minute hour,
                                            const std::map<Minute, double>* temperature) {
    const std::vector<HourLoad> inputs = known_hourly_loads(minute_loads(tx, hour));
    std::vector<HourLoad> targets = target_loads(tx, hour);
    if (targets.empty() || inputs.empty() || inputs.back().hour + 60 != hour) return std::nullopt;
    return build_feature_rows(targets, temperature, &inputs).back();
}

std::vector<FeatureRow> load_feature_rows_since(pqxx::transaction_base& tx, Minute from_hour) {
    return read_rows(tx, "WHERE hour >= " + tx.quote(format_minute(from_hour)) + "::timestamp");
}

std::vector<FeatureRow> load_feature_rows_at(pqxx::transaction_base& tx, const std::vector<Minute>& hours) {
    std::string list;
    for (Minute h : hours) list += (list.empty() ? "'" : ",'") + format_minute(h) + "'";
    return read_rows(tx, "WHERE hour IN (" + (list.empty() ? std::string("NULL") : list) + ")");
}

std::optional<FeatureStamp> feature_stamp(pqxx::transaction_base& tx) {
    const auto r = tx.exec("SELECT (extract(epoch from min(hour)) / 60)::bigint, (extract(epoch from max(hour)) / 60)::bigint, "
                           "(extract(epoch from max(created_at)) * 1e6)::bigint FROM features_hourly")[0];
    if (r[0].is_null()) return std::nullopt;
    return FeatureStamp{r[0].as<Minute>(), r[1].as<Minute>(), r[2].as<std::int64_t>()};
}

}  // namespace voltedge::features
