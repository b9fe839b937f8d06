#include "serving/prediction_store.h"

#include <cmath>
#include <fmt/format.h>

#include "core/uuid.h"
#include "db/connection.h"

namespace voltedge::serving {
namespace {

// "{1.5,NaN,...}": PostgreSQL's text form of a float8[].
std::vector<double> parse_float_array(const std::string& text) {
    std::vector<double> out;
    std::size_t pos = 1;
    while (pos < text.size() && text[pos] != '}') {
        const auto end = text.find_first_of(",}", pos);
        const std::string item = text.substr(pos, end - pos);
        out.push_back(item == "NaN" ? NAN : std::stod(item));
        pos = end + (text[end] == ',');
    }
    return out;
}

}  // namespace

std::string new_prediction_id() { return new_uuid(); }

bool is_prediction_id(const std::string& s) { return is_uuid(s); }

std::vector<std::string> store_predictions(pqxx::connection& conn, const std::string& tenant, const ModelBundle& model,
                                           const std::vector<Forecast>& forecasts, const std::string& request_id) {
    std::vector<std::string> ids;
    std::string values;
    for (const auto& f : forecasts) {
        ids.push_back(new_prediction_id());
        std::string inputs;
        for (double v : f.inputs) inputs += fmt::format("{}{}", inputs.empty() ? "" : ",", v);
        const std::string interval = f.interval ? fmt::format("{},{},{},{}", f.interval->lower_80, f.interval->upper_80,
                                                              f.interval->lower_95, f.interval->upper_95)
                                                : "NULL,NULL,NULL,NULL";
        values += fmt::format("{}({},'{}','{}',{},'{}',{},{},{},{},{},'{{{}}}',{})", values.empty() ? "" : ",",
                              conn.quote(tenant), ids.back(), format_minute(f.plan.target_hour), f.plan.lead,
                              format_minute(f.plan.origin_hour), f.value_kw, interval, conn.quote(model.name),
                              conn.quote(model.version), conn.quote(model.family), inputs, conn.quote(request_id));
    }
    db::exec_as_tenant(conn, tenant,
                       "INSERT INTO predictions (tenant_id, id, target_hour, horizon_hours, origin_hour, value_kw, lower_80, "
                       "upper_80, lower_95, upper_95, model_name, model_version, model_family, inputs, request_id) VALUES " +
                           values);
    return ids;
}

std::optional<StoredPrediction> find_prediction(pqxx::connection& conn, const std::string& tenant, const std::string& id) {
    const auto rows = db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        return tx.exec_params(
            "SELECT (extract(epoch from target_hour) / 60)::bigint, (extract(epoch from origin_hour) / 60)::bigint, horizon_hours, "
            "value_kw, model_name, model_version, model_family, request_id, inputs::text FROM predictions WHERE id = $1",
            id);
    });
    if (rows.empty()) return std::nullopt;
    const auto r = rows[0];
    return StoredPrediction{id,
                            r[0].as<Minute>(),
                            r[1].as<Minute>(),
                            r[2].as<int>(),
                            r[3].as<double>(),
                            r[4].as<std::string>(),
                            r[5].as<std::string>(),
                            r[6].as<std::string>(),
                            r[7].as<std::string>(),
                            parse_float_array(r[8].as<std::string>())};
}

}  // namespace voltedge::serving
