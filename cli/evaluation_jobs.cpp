#include "cli/evaluation_jobs.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "agents/agent.h"
#include "cli/agent_tools.h"
#include "core/civil_time.h"
#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "evaluations/answer_eval.h"
#include "evaluations/canary.h"
#include "evaluations/forecast_eval.h"
#include "evaluations/results.h"
#include "evaluations/retrieval_eval.h"
#include "evaluations/slo.h"
#include "http/client.h"
#include "registry/mlflow.h"
#include "serving/predictor.h"

namespace voltedge::cli {
namespace {

using Json = nlohmann::json;

std::string golden_path(const std::string& root, const std::string& tenant, const char* file) {
    return root + "/evaluations/golden/" + tenant + "/" + file;
}

Json stored(const std::vector<evaluations::EvalResult>& results) {
    Json out = Json::object();
    for (const auto& r : results) {
        if (!r.value) continue;
        Json one = {{"value", *r.value}};
        if (r.threshold) one["threshold"] = *r.threshold, one["passed"] = *r.passed();
        out[r.metric] = one;
    }
    return out;
}

std::size_t breaches(const std::vector<evaluations::EvalResult>& results) {
    std::size_t n = 0;
    for (const auto& r : results) n += r.passed() == false;
    return n;
}

Json retrieval_suite(const Config& config, pqxx::connection& conn, const jobs::Job& job, const std::string& root) {
    const auto golden = evaluations::load_golden(golden_path(root, job.tenant, "retrieval.jsonl"), root);
    const auto embedder = rag::Embedder::load(config.model_dir.empty() ? rag::default_model_dir() : config.model_dir);
    const auto report = evaluations::evaluate_retrieval(conn, job.tenant, golden, embedder);
    evaluations::EvalRecord record{job.tenant, "retrieval", source_commit(), "production", "", "", "", {}};
    for (const auto& m : report.modes)
        for (const auto& [name, v] :
             {std::pair{"recall_at_10", m.recall_at_10}, std::pair{"mrr", m.mrr}, std::pair{"ndcg_at_10", m.ndcg_at_10}})
            record.results.push_back({m.mode + "_" + name, v, std::nullopt});
    evaluations::store_results(conn, record);
    const auto& hybrid = report.modes.size() > 2 ? report.modes[2] : report.modes.front();
    return {{"suite", "retrieval"},
            {"metrics", stored(record.results)},
            {"breaches", 0},
            {"summary", fmt::format("retrieval on {} questions: hybrid recall@10 {:.3f}, MRR {:.3f}, nDCG@10 {:.3f}",
                                    golden.size(), hybrid.recall_at_10, hybrid.mrr, hybrid.ndcg_at_10)}};
}

Json answers_suite(const Config& config, pqxx::connection& conn, const jobs::Job& job, const std::string& root,
                   const evaluations::SloConfig& slo) {
    const auto cases = evaluations::load_answer_cases(golden_path(root, job.tenant, "answers.jsonl"));
    const auto embedder = rag::Embedder::load(config.model_dir.empty() ? rag::default_model_dir() : config.model_dir);
    const auto tools = agent_tools(config, embedder, nullptr, nullptr);
    const auto report = evaluations::evaluate_answers(conn, job.tenant, cases, embedder, agents::agent_options(config),
                                                      {agents::Backend::graph}, &tools);
    const auto& b = report.backends.front();
    std::vector<double> latency = b.latency_ms;
    std::sort(latency.begin(), latency.end());
    const double p95 = latency.empty() ? 0 : latency[std::min(latency.size() - 1, latency.size() * 95 / 100)];
    const double requests = static_cast<double>(std::max<std::size_t>(1, latency.size()));
    using evaluations::rate;
    evaluations::EvalRecord record{job.tenant,   "agent", "graph@" + std::string(source_commit()).substr(0, 12),
                                   "production", "",      "",
                                   "",           {}};
    record.results = {{"grounding", rate(b.grounded, b.sentences), slo.grounding_min, false},
                      {"citation_correctness", rate(b.correct_citations, b.citations), std::nullopt},
                      {"abstain_correctness", rate(b.abstained_correctly, b.unanswerable), std::nullopt},
                      {"answered", rate(b.answered, b.answerable), std::nullopt},
                      {"hallucination", rate(b.hallucinated, b.responses), slo.hallucination_max},
                      {"p95_latency_ms", p95, slo.answer_p95_latency_ms},
                      {"cost_per_request_usd", b.cost_usd / requests, slo.cost_per_request_usd_max}};
    evaluations::store_results(conn, record);
    return {{"suite", "answers"},
            {"metrics", stored(record.results)},
            {"breaches", breaches(record.results)},
            {"summary",
             fmt::format(
                 "answers on {} cases: grounding {:.3f}, citations {:.3f}, abstain {:.3f}, hallucination {:.3f}, p95 {:.0f} ms",
                 cases.size(), *record.results[0].value, *record.results[1].value, *record.results[2].value,
                 *record.results[4].value, p95)}};
}

Json forecast_suite(const Config& config, pqxx::connection& conn, const jobs::Job& job, const evaluations::SloConfig& slo) {
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    const std::string version = jobs::payload_field<std::string>(job, "version", "production");
    const auto e = evaluations::evaluate_forecast(conn, mlflow, mlflow, job.tenant, version, slo.leads);
    const auto results = e.results(slo);
    evaluations::store_results(conn, {job.tenant, "model", e.version, e.stage, e.run_id, e.window_first, e.window_last, results});
    // Also on the version's own run, stepped by day, so MLflow charts how it holds up.
    const auto day = std::chrono::duration_cast<std::chrono::hours>(std::chrono::system_clock::now().time_since_epoch()).count() /
                     24;
    std::vector<registry::Metric> metrics;
    for (const auto& r : results)
        if (r.value && !r.metric.starts_with("psi_")) metrics.push_back({"eval_" + r.metric, *r.value, static_cast<int>(day)});
    if (!metrics.empty()) mlflow.log({e.run_id, ""}, metrics, {});
    std::string leads;
    for (const auto& l : e.leads)
        leads += fmt::format("{}lead {} h MAE {:.3f} (backtest {}, persistence {:.3f}, {} h)", leads.empty() ? "" : "; ", l.lead,
                             l.mae, l.backtest_mae ? fmt::format("{:.3f}", *l.backtest_mae) : "-", l.persistence_mae, l.hours);
    const std::string summary =
        e.leads.empty()
            ? fmt::format("version {} ({}): no measured hours after its training (through {}); nothing to score", e.version,
                          e.stage, e.train_last_hour)
            : fmt::format("version {} ({}) on {} .. {}: {}; max PSI {:.3f}{}", e.version, e.stage, e.window_first, e.window_last,
                          leads, e.max_psi(), e.drift.empty() ? "" : " (" + e.drift.front().feature + ")");
    return {{"suite", "forecast"},        {"version", e.version},          {"stage", e.stage},
            {"metrics", stored(results)}, {"breaches", breaches(results)}, {"summary", summary}};
}

void post_webhook(const std::string& url, const Json& summary) {
    if (url.empty()) return;
    try {
        http::ClientRequest request;
        request.method = "POST";
        request.url = url;
        request.body = summary.dump();
        request.headers = {"Content-Type: application/json"};
        request.timeout_seconds = 10;
        const auto r = http::send(request);
        if (r.status >= 300) log_event("warn", "eval_webhook_refused", {{"status", r.status}});
    } catch (const std::exception& e) {
        log_event("warn", "eval_webhook_failed", {{"error", e.what()}});  // the evaluation stands without it
    }
}

}  // namespace

Json evaluation_job(const Config& config, const jobs::Job& job) {
    const std::string suite = jobs::payload_field<std::string>(job, "suite", "retrieval");
    const std::string root = jobs::payload_field<std::string>(job, "root", ".");
    const auto slo = evaluations::load_slo(config.slo);
    auto conn = db::connect(config.database_url);
    if (suite == "retrieval") return retrieval_suite(config, conn, job, root);
    if (suite == "answers") return answers_suite(config, conn, job, root, slo);
    if (suite == "forecast") return forecast_suite(config, conn, job, slo);
    if (suite != "nightly") throw Error("job eval: unknown suite '" + suite + "'", "use retrieval, answers, forecast or nightly");

    Json parts = Json::object();
    std::size_t breached = 0;
    std::string summary = "nightly evaluation of " + job.tenant + ":";
    const auto run = [&](const char* name, auto fn) {
        try {
            parts[name] = fn();
            breached += parts[name].value("breaches", 0);
            summary += std::string("\n  ") + name + ": " + parts[name].value("summary", "");
        } catch (const Error& e) {  // one suite failing (no model yet, no golden set) does not stop the others
            parts[name] = {{"error", e.what()}};
            summary += std::string("\n  ") + name + ": not run: " + e.what();
        }
    };
    run("forecast", [&] { return forecast_suite(config, conn, job, slo); });
    if (std::filesystem::exists(golden_path(root, job.tenant, "answers.jsonl")))
        run("answers", [&] { return answers_suite(config, conn, job, root, slo); });
    if (std::filesystem::exists(golden_path(root, job.tenant, "retrieval.jsonl")))
        run("retrieval", [&] { return retrieval_suite(config, conn, job, root); });
    summary += fmt::format("\n  {} SLO breach(es)", breached);
    const Json out = {
        {"suite", "nightly"}, {"tenant", job.tenant}, {"breaches", breached}, {"suites", parts}, {"summary", summary}};
    log_info("nightly_evaluation", {{"tenant", job.tenant}, {"breaches", breached}, {"suites", parts}});
    post_webhook(config.eval_webhook_url, out);
    return out;
}

Json batch_score_job(const Config& config, const jobs::Job& job) {
    const int hours = jobs::payload_field<int>(job, "hours", 24);
    LocalPredictor local(config, job.tenant);
    serving::ForecastQuery query;
    query.horizon_hours = hours;
    const serving::RequestContext ctx{"batch:" + job.id, job.tenant, "",
                                      std::chrono::steady_clock::now() + std::chrono::minutes(5)};
    const auto result = local.get().predict(ctx, query);
    const auto& p = result.predictions;
    return {{"version", result.model->version},
            {"predictions", p.size()},
            {"summary", p.empty() ? "no forecasts"
                                  : fmt::format("{} forecasts of tenant {} by version {} stored, {} .. {}", p.size(), job.tenant,
                                                result.model->version, format_minute(p.front().target_hour),
                                                format_minute(p.back().target_hour))}};
}

Json retrain_job(const Config& config, const jobs::Job& job, const jobs::HandlerRegistry& handlers) {
    const bool force = jobs::payload_field<bool>(job, "force", false);
    const auto slo = evaluations::load_slo(config.slo);
    std::string reason;
    if (force) reason = "asked to (force)";
    auto conn = db::connect(config.database_url);
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    if (reason.empty()) {
        if (!registry::find_version(mlflow, job.tenant, "production")) {
            reason = "no production version yet";
        } else {
            const auto e = evaluations::evaluate_forecast(conn, mlflow, mlflow, job.tenant, "production", slo.leads);
            // Minutes; 0 when not known (no data after training).
            const Minute last = e.window_last.empty() ? 0 : parse_minute(e.window_last).value_or(0);
            const Minute trained = parse_minute(e.train_last_hour).value_or(0);
            if (e.max_psi() > slo.max_psi)
                reason = fmt::format("drift: PSI {:.3f} of {} > {}", e.max_psi(), e.drift.front().feature, slo.max_psi);
            else if (last > 0 && trained > 0 && last - trained >= static_cast<Minute>(config.retrain_after_days) * 24 * 60)
                reason = fmt::format("new data: measured through {}, {} days past training (through {})", e.window_last,
                                     (last - trained) / (24 * 60), e.train_last_hour);
            if (reason.empty())
                return {{"retrained", false},
                        {"summary",
                         fmt::format("no retraining: version {} trained through {}, max PSI {:.3f}, data through {}", e.version,
                                     e.train_last_hour, e.max_psi(), e.window_last.empty() ? e.train_last_hour : e.window_last)}};
        }
    }
    log_info("retraining", {{"tenant", job.tenant}, {"reason", reason}});
    jobs::Job features("features", job.tenant);
    features.id = job.id + "-features";
    handlers.run(features);
    jobs::Job train("train", job.tenant,
                    job.payload.contains("config_path") ? Json{{"config_path", job.payload["config_path"]}} : Json::object());
    train.id = job.id + "-train";
    Json result = handlers.run(train);
    result["retrained"] = true;
    result["reason"] = reason;
    result["summary"] = "retrained because " + reason + "\n" + result.value("summary", "");
    return result;
}

Json canary_job(const Config& config, const jobs::Job& job) {
    evaluations::CanaryOptions o;
    o.version = jobs::payload_field<std::string>(job, "version", "");
    if (o.version.empty())
        throw Error("job canary: no version", "give the registered version to canary, e.g. {\"version\": \"7\"}");
    o.steps = jobs::payload_field<std::vector<int>>(job, "steps", o.steps);  // their range: serving::start_rollout
    const int interval = jobs::payload_field<int>(job, "interval_seconds", static_cast<int>(o.interval.count()));
    if (interval < 1) throw Error("job canary: interval_seconds must be at least 1");
    o.interval = std::chrono::seconds(interval);
    if (!config.actor.empty()) o.actor = config.actor;
    const auto slo = evaluations::load_slo(config.slo);
    auto conn = db::connect(config.database_url);
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    const auto out = evaluations::run_canary(
        conn, mlflow, job.tenant, o, slo, [](std::chrono::seconds s) { std::this_thread::sleep_for(s); }, source_commit());
    Json steps = Json::array();
    for (const auto& s : out.steps)
        steps.push_back({{"share", s.share},
                         {"requests", s.requests},
                         {"errors", s.errors},
                         {"p95_latency_ms", s.p95_latency_ms},
                         {"canary_mae", s.canary_mae},
                         {"production_mae", s.production_mae},
                         {"canary_scored", s.canary_scored},
                         {"breach", s.breach}});
    const Json result = {{"status", out.status},
                         {"version", o.version},
                         {"reason", out.reason},
                         {"steps", steps},
                         {"summary", fmt::format("canary of version {} for tenant {}: {} ({})", o.version, job.tenant, out.status,
                                                 out.reason)}};
    if (out.status == "rolled_back")
        post_webhook(config.eval_webhook_url, {{"event", "canary_rolled_back"}, {"tenant", job.tenant}, {"result", result}});
    return result;
}

}  // namespace voltedge::cli
