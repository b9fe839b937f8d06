#pragma once
// `voltedge features`: builds features_hourly from usage_hourly (targets) and usage_minute (inputs as known at
// the time), and reads it back for training and serving.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "features/feature_rows.h"

namespace voltedge::features {

struct FeatureOptions {
    std::string tenant;
    bool with_weather = false;
    std::string weather_csv;  // "YYYY-MM-DD HH:MM:SS,temperature_c" per line; required when with_weather
};

struct FeatureReport {
    std::size_t hours = 0, rows = 0;
    std::string first_hour, last_hour;
};

// Replaces the tenant's features in one transaction, as the application role under row-level security.
FeatureReport build_features(pqxx::connection& app_conn, const FeatureOptions& options);

// The tenant's feature rows in hour order (tenant already set in tx). Empty if none were built.
std::vector<FeatureRow> load_feature_rows(pqxx::transaction_base& tx);
// The row of `hour` rebuilt from only the data before it: what a forecast made at the start of that hour
// computed. Rows built by build_features equal it (inputs are filled causally: point_in_time.h). Nothing
// when no minute of the hour before it is stored.
std::optional<FeatureRow> feature_row_as_of(pqxx::transaction_base& tx, Minute hour,
                                            const std::map<Minute, double>* temperature = nullptr);
// The same for rows from `from_hour` on (e.g. the latest rows a forecast needs).
std::vector<FeatureRow> load_feature_rows_since(pqxx::transaction_base& tx, Minute from_hour);

// Exactly the rows of the given hours (those that exist), in hour order.
std::vector<FeatureRow> load_feature_rows_at(pqxx::transaction_base& tx, const std::vector<Minute>& hours);

// Which feature build a tenant's rows come from, and the hours they span. `last_hour` is the trailing row:
// the first hour without data, where forecasts start. `built_at` (µs since epoch) changes with every build,
// so caches key on it.
struct FeatureStamp {
    Minute first_hour, last_hour;
    std::int64_t built_at;
};
std::optional<FeatureStamp> feature_stamp(pqxx::transaction_base& tx);

// Reads the weather CSV; errors name the file and line.
std::map<Minute, double> read_weather_csv(const std::string& path);

}  // namespace voltedge::features
