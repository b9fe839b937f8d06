#include "evaluations/slo.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "db/connection.h"
#include "evaluations/results.h"
#include "serving/serving_stats.h"

namespace voltedge::evaluations {
namespace {

using Json = nlohmann::json;

// Reads an optional number at `path` (e.g. {"api", "p95_latency_ms"}) into `out`, refusing other types.
template <class T>
void read_number(const Json& j, std::initializer_list<const char*> path, T& out, double min, double max) {
    const Json* at = &j;
    std::string name;
    for (const char* p : path) {
        name += (name.empty() ? "" : ".") + std::string(p);
        if (!at->is_object() || !at->contains(p)) return;
        at = &(*at)[p];
    }
    if (!at->is_number()) throw Error(name + " must be a number");
    const double v = at->get<double>();
    if (v < min || v > max) throw Error(fmt::format("{} must be between {} and {} (got {})", name, min, max, v));
    out = static_cast<T>(v);
}

}  // namespace

double SloConfig::margin_for(const std::string& stage) const {
    const auto it = mae_margin.find(stage);
    return it != mae_margin.end() ? it->second : mae_margin.at("production");
}

SloConfig parse_slo(const std::string& text) {
    const Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error("not a JSON object");
    SloConfig s;
    read_number(j, {"window_hours"}, s.window_hours, 1, 24 * 90);
    read_number(j, {"min_requests"}, s.min_requests, 1, 1e9);
    read_number(j, {"api", "p95_latency_ms"}, s.api_p95_latency_ms, 0.1, 1e6);
    read_number(j, {"api", "error_rate"}, s.api_error_rate, 0, 1);
    read_number(j, {"forecast", "max_psi"}, s.max_psi, 0, 100);
    for (const char* stage : {"staging", "canary", "production"})
        read_number(j, {"forecast", "mae_margin", stage}, s.mae_margin[stage], 0, 100);
    if (j.contains("forecast") && j["forecast"].contains("leads")) {
        const auto& leads = j["forecast"]["leads"];
        if (!leads.is_array() || leads.empty()) throw Error("forecast.leads must be a list of hours, e.g. [1, 24]");
        s.leads.clear();
        for (const auto& l : leads) {
            if (!l.is_number_integer() || l.get<int>() < 1 || l.get<int>() > 168)
                throw Error("forecast.leads holds hours from 1 to 168");
            s.leads.push_back(l.get<int>());
        }
    }
    read_number(j, {"answers", "grounding_min"}, s.grounding_min, 0, 1);
    read_number(j, {"answers", "hallucination_max"}, s.hallucination_max, 0, 1);
    read_number(j, {"answers", "p95_latency_ms"}, s.answer_p95_latency_ms, 0.1, 1e7);
    read_number(j, {"answers", "cost_per_request_usd_max"}, s.cost_per_request_usd_max, 0, 1e6);
    return s;
}

SloConfig load_slo(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error("cannot read the SLO file " + path, "VOLTEDGE_SLO names it (default configs/slo.json)");
    std::stringstream text;
    text << in.rdbuf();
    try {
        return parse_slo(text.str());
    } catch (const Error& e) {
        throw Error(path + ": " + e.what(), e.hint());
    }
}

std::vector<PrometheusObjective> prometheus_objectives(const SloConfig& slo) {
    const std::string w = "[" + std::to_string(slo.window_hours) + "h]";
    const auto p95 = [&](const std::string& route) {
        return "histogram_quantile(0.95, sum by (le) (increase(voltedge_http_request_duration_seconds_bucket{route=\"" + route +
               "\"}" + w + ")))";
    };
    const std::string asks = "sum(increase(voltedge_ask_answers_total" + w + "))";
    return {
        {"api p95 latency of /predict (platform)", "ms", "<=", slo.api_p95_latency_ms, p95("/predict"), 1000},
        {"api error rate (platform)", "share", "<=", slo.api_error_rate,
         "sum(increase(voltedge_http_requests_total{status=~\"5..\"}" + w + ")) / sum(increase(voltedge_http_requests_total" + w +
             "))"},
        {"answer p95 latency of /ask (platform)", "ms", "<=", slo.answer_p95_latency_ms, p95("/ask"), 1000},
        {"answer grounding (platform)", "share", ">=", slo.grounding_min,
         "sum(increase(voltedge_ask_sentences_total{verdict=\"cited\"}" + w + ")) / sum(increase(voltedge_ask_sentences_total" +
             w + "))"},
        {"unsupported sentences served (platform)", "share", "<=", slo.hallucination_max,
         "sum(increase(voltedge_ask_sentences_total{verdict=\"unsupported\"}" + w +
             ")) / sum(increase(voltedge_ask_sentences_total" + w + "))"},
        {"answer cost per request (platform)", "usd", "<=", slo.cost_per_request_usd_max,
         "sum(increase(voltedge_llm_estimated_cost_dollars_total" + w + ")) / " + asks},
    };
}

bool SloResult::breached() const {
    if (!value) return false;
    return comparison == "<=" ? *value > threshold : *value < threshold;
}

ServingWindow serving_window(pqxx::connection& conn, const std::string& tenant, const std::string& version, int window_minutes) {
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        ServingWindow w;
        std::vector<long long> buckets(serving::kLatencyBoundsMs.size() + 1, 0);
        double latency_sum = 0;
        for (const auto& row : tx.exec_params("SELECT requests, errors, latency_sum_ms, array_to_string(latency_buckets, ',') "
                                              "FROM serving_minutes WHERE ($1 = '' OR model_version = $1) "
                                              "AND minute > now() - make_interval(mins => $2)",
                                              version, window_minutes)) {
            w.requests += row[0].as<long>();
            w.errors += row[1].as<long>();
            latency_sum += row[2].as<double>();
            std::stringstream cells(row[3].c_str());
            std::string cell;
            for (std::size_t i = 0; std::getline(cells, cell, ',') && i < buckets.size(); ++i) buckets[i] += std::stoll(cell);
        }
        w.p95_latency_ms = serving::latency_quantile_ms(buckets, 0.95);
        w.mean_latency_ms = w.requests ? latency_sum / static_cast<double>(w.requests) : 0;
        return w;
    });
}

std::vector<SloResult> check_slos(pqxx::connection& conn, const std::string& tenant, const SloConfig& slo) {
    std::vector<SloResult> out;
    const auto w = serving_window(conn, tenant, "", slo.window_hours * 60);
    const bool judged = w.requests >= slo.min_requests;
    const std::string served = fmt::format("{} forecast requests in the last {} h", w.requests, slo.window_hours);
    out.push_back({"api p95 latency", "ms", "<=", judged ? std::optional(w.p95_latency_ms) : std::nullopt, slo.api_p95_latency_ms,
                   judged ? served : served + fmt::format(" (fewer than {}: not judged)", slo.min_requests)});
    out.push_back({"api error rate", "",
                   "<=", judged ? std::optional(static_cast<double>(w.errors) / static_cast<double>(w.requests)) : std::nullopt,
                   slo.api_error_rate, served});
    // The latest evaluation within the window of the version production serves (any version when none is marked).
    const auto latest = [&](const char* subject, const std::string& metric, const char* name, const char* unit, const char* cmp,
                            double threshold_default) {
        const auto r = latest_result(conn, tenant, subject, metric, slo.window_hours);
        SloResult s{name,
                    unit,
                    cmp,
                    r ? r->value : std::nullopt,
                    r && r->threshold ? *r->threshold : threshold_default,
                    r ? fmt::format("{} evaluation of {} at {}", subject, r->version, r->evaluated_at)
                      : fmt::format("no {} evaluation in the last {} h", subject, slo.window_hours)};
        out.push_back(std::move(s));
    };
    for (int lead : slo.leads)
        latest("model", fmt::format("h{}_mae", lead),
               fmt::format("forecast MAE at lead {} h (vs backtest + margin)", lead).c_str(), "kW", "<=", 0);
    latest("model", "max_psi", "feature and target drift (max PSI)", "", "<=", slo.max_psi);
    latest("agent", "grounding", "answer grounding", "", ">=", slo.grounding_min);
    latest("agent", "hallucination", "answer hallucination", "", "<=", slo.hallucination_max);
    latest("agent", "p95_latency_ms", "answer p95 latency", "ms", "<=", slo.answer_p95_latency_ms);
    latest("agent", "cost_per_request_usd", "answer cost per request", "USD", "<=", slo.cost_per_request_usd_max);
    return out;
}

}  // namespace voltedge::evaluations
