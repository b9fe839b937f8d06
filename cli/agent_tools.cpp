#include "cli/agent_tools.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "agents/trackers.h"
#include "core/civil_time.h"
#include "core/deadline.h"
#include "core/log.h"
#include "ingestion/dq_report.h"
#include "rag/search.h"
#include "registry/mlflow.h"
#include "training/train.h"

namespace voltedge::cli {
namespace {

using nlohmann::json;

json string_arg(int max_length) { return {{"type", "string"}, {"minLength", 1}, {"maxLength", max_length}}; }

agents::Tool search_tool(const rag::Embedder& embedder) {
    return {"search",
            "searches the tenant's documents and code; returns the files and lines that match",
            {{"type", "object"},
             {"properties", {{"query", string_arg(500)}, {"k", {{"type", "integer"}, {"minimum", 1}, {"maximum", 20}}}}},
             {"required", {"query"}},
             {"additionalProperties", false}},
            false,
            [&embedder](agents::ToolContext& ctx, const json& args) {
        rag::SearchQuery q;
        q.text = args["query"];
        q.k = args.value("k", 10);
        const auto hits = rag::search(ctx.conn, ctx.tenant, q, embedder);
        agents::ToolOutput out;
        std::vector<std::string> files;
        json rows = json::array();
        for (const auto& h : hits) {
            rows.push_back(
                {{"doc_path", h.doc_path}, {"line_start", h.line_start}, {"line_end", h.line_end}, {"score", h.score}});
            if (std::find(files.begin(), files.end(), h.doc_path) == files.end()) files.push_back(h.doc_path);
        }
        out.result = {{"hits", rows}};
        out.summary = fmt::format("{} hits in {} files", hits.size(), files.size());
        if (hits.empty()) {
            out.sentences.push_back(fmt::format("The search for \"{}\" found nothing in the tenant's index.", q.text));
            return out;
        }
        out.sentences.push_back(fmt::format("The search for \"{}\" found {} passages in {} files: {}.", q.text, hits.size(),
                                            files.size(), fmt::join(files, ", ")));
        for (std::size_t i = 0; i < std::min<std::size_t>(hits.size(), 3); ++i)
            out.sentences.push_back(
                fmt::format("Match {}: {} lines {}-{}.", i + 1, hits[i].doc_path, hits[i].line_start, hits[i].line_end));
        return out;
            }};
}

agents::Tool forecast_tool(serving::Predictor& predictor) {
    return {"forecast",
            "forecasts the tenant's hourly load for the next hours with its production model",
            {{"type", "object"},
             {"properties",
              {{"horizon_hours", {{"type", "integer"}, {"minimum", 1}, {"maximum", 168}}},
               {"hour_of_day", {{"type", "integer"}, {"minimum", 0}, {"maximum", 23}}}}},
             {"required", {"horizon_hours"}},
             {"additionalProperties", false}},
            false,
            [&predictor](agents::ToolContext& ctx, const json& args) {
        serving::RequestContext rc{ctx.thread_id, ctx.tenant, ""};
        if (const auto left = time_left()) rc.deadline = std::chrono::steady_clock::now() + *left;
        serving::ForecastQuery query;
        query.field = "horizon_hours";
        query.horizon_hours = args["horizon_hours"].get<int>();
        const auto forecasts = predictor.predict(rc, query);
        std::vector<serving::ServedPrediction> shown;
        for (const auto& p : forecasts.predictions)
            if (!args.contains("hour_of_day") || (p.target_hour / 60) % 24 == args["hour_of_day"].get<int>()) shown.push_back(p);
        agents::ToolOutput out;
        json rows = json::array();
        for (const auto& p : shown)
            rows.push_back({{"prediction_id", p.id}, {"target_hour", format_minute(p.target_hour)}, {"value_kw", p.value_kw}});
        const auto& m = *forecasts.model;
        out.result = {{"model", {{"name", m.name}, {"version", m.version}, {"family", m.family}}}, {"predictions", rows}};
        out.summary = fmt::format("{} hourly forecasts from version {}", shown.size(), m.version);
        if (shown.empty()) {
            out.sentences.push_back("No forecast hour matches the hour of day asked for.");
            return out;
        }
        const auto [lo, hi] = std::minmax_element(shown.begin(), shown.end(),
                                                  [](auto& a, auto& b) { return a.value_kw < b.value_kw; });
        const double mean = std::accumulate(shown.begin(), shown.end(), 0.0, [](double s, auto& p) { return s + p.value_kw; }) /
                            static_cast<double>(shown.size());
        out.sentences.push_back(fmt::format("Production model version {} ({}) forecast {} hours from {} to {}.", m.version,
                                            m.family, shown.size(), format_minute(shown.front().target_hour),
                                            format_minute(shown.back().target_hour)));
        if (shown.size() > 1)
            out.sentences.push_back(
                fmt::format("The forecast load ranges from {:.3f} kW at {} to {:.3f} kW at {}, {:.3f} kW on average.",
                            lo->value_kw, format_minute(lo->target_hour), hi->value_kw, format_minute(hi->target_hour), mean));
        for (std::size_t i = 0; i < std::min<std::size_t>(shown.size(), 6); ++i)
            out.sentences.push_back(fmt::format("At {} the forecast is {:.3f} kW (prediction {}).",
                                                format_minute(shown[i].target_hour), shown[i].value_kw, shown[i].id));
        return out;
            }};
}

agents::Tool data_quality_tool() {
    return {"data_quality",
            "the tenant's latest data-quality report: the ingest run and every check with its result",
            {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}},
            false,
            [](agents::ToolContext& ctx, const json&) {
        const auto report = ingestion::latest_dq_report(ctx.conn, ctx.tenant);
        if (!report) throw Error("the tenant has no data-quality report yet", "ingest a file first: voltedge ingest");
        agents::ToolOutput out;
        std::vector<std::string> failed;
        json checks = json::array();
        for (const auto& c : report->checks) {
            checks.push_back({{"check", c.name}, {"passed", c.passed}, {"observed", c.observed}, {"threshold", c.threshold}});
            if (!c.passed) failed.push_back(c.name);
        }
        out.result = {{"run_id", report->run_id},
                      {"source", report->source},
                      {"finished_at", report->finished_at},
                      {"checks", checks}};
        out.summary = fmt::format("run {}: {} of {} checks passed", report->run_id, report->checks.size() - failed.size(),
                                  report->checks.size());
        out.sentences.push_back(fmt::format("The latest ingest run ({}, finished {}) passed {} of {} data-quality checks.",
                                            report->run_id, report->finished_at, report->checks.size() - failed.size(),
                                            report->checks.size()));
        const double minutes = static_cast<double>(std::max<std::int64_t>(report->minutes_loaded, 1));
        out.sentences.push_back(fmt::format("It loaded {} minutes: {} ({:.2f} %) were missing and {} ({:.2f} %) were imputed.",
                                            report->minutes_loaded, report->minutes_missing,
                                            100.0 * static_cast<double>(report->minutes_missing) / minutes,
                                            report->minutes_imputed,
                                            100.0 * static_cast<double>(report->minutes_imputed) / minutes));
        for (const auto& c : report->checks)
            if (!c.passed)
                out.sentences.push_back(
                    fmt::format("Check {} failed: observed {:g} against threshold {:g}.", c.name, c.observed, c.threshold));
        if (failed.empty()) out.sentences.push_back("Every check passed.");
        return out;
            }};
}

// "h24_mae_all" and the like from the run that trained the version.
std::string metric_text(const registry::RunRecord* run, int horizon) {
    if (!run) return "";
    const auto value = [&](const char* name) -> std::optional<double> {
        const auto it = run->metrics.find(fmt::format("h{}_{}_all", horizon, name));
        return it == run->metrics.end() ? std::nullopt : std::optional<double>(it->second);
    };
    const auto mae = value("mae"), wape = value("wape");
    if (!mae) return "";
    return fmt::format("MAE {:.4f} kW{} at {} h", *mae, wape ? fmt::format(" and WAPE {:.1f} %", *wape) : "", horizon);
}

agents::Tool model_info_tool(const Config& config) {
    auto mlflow = std::make_shared<registry::Mlflow>(config.mlflow_tracking_uri);
    return {"model_info",
            "the tenant's production and staging model versions with their backtest metrics",
            {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}},
            false,
            [mlflow](agents::ToolContext& ctx, const json&) {
        const auto versions = mlflow->versions(ctx.tenant);
        if (versions.empty()) throw Error("the tenant has no registered model yet", "train one: voltedge train");
        const auto experiment = mlflow->find_experiment(training::experiment_name(ctx.tenant));
        const auto runs = experiment ? mlflow->finished_runs(*experiment) : std::vector<registry::RunRecord>{};
        agents::ToolOutput out;
        json rows = json::array();
        for (const char* alias : {"production", "staging"}) {
            const auto v = std::find_if(versions.begin(), versions.end(), [&](const auto& x) {
                return std::find(x.aliases.begin(), x.aliases.end(), alias) != x.aliases.end();
            });
            if (v == versions.end()) {
                out.sentences.push_back(fmt::format("No version is on {}.", alias));
                continue;
            }
            const auto run = std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.run.run_id == v->run_id; });
            const registry::RunRecord* record = run == runs.end() ? nullptr : &*run;
            const std::string family = v->tag("family").empty() ? "?" : v->tag("family");
            rows.push_back({{"alias", alias}, {"version", v->version}, {"family", family}, {"run_id", v->run_id}});
            out.sentences.push_back(
                fmt::format("Version {} ({}) of {} is on {}, registered {}.", v->version, family, v->name, alias, v->created));
            std::vector<std::string> metrics;
            for (const int h : {1, 24})
                if (auto text = metric_text(record, h); !text.empty()) metrics.push_back(text);
            if (!metrics.empty())
                out.sentences.push_back(fmt::format("Version {} has backtest {}.", v->version, fmt::join(metrics, "; ")));
        }
        out.result = {{"versions", rows}};
        out.summary = fmt::format("{} versions registered", versions.size());
        return out;
            }};
}

agents::Tool run_eval_tool(jobs::Queue& queue) {
    return {"run_eval",
            "runs an evaluation of the tenant's golden set (retrieval or answers) as a job",
            {{"type", "object"},
             {"properties", {{"suite", {{"type", "string"}, {"enum", {"retrieval", "answers"}}}}}},
             {"required", {"suite"}},
             {"additionalProperties", false}},
            true,
            [&queue](agents::ToolContext& ctx, const json& args) {
        const std::string suite = args["suite"];
        const std::string id = queue.enqueue({"eval", ctx.tenant, {{"suite", suite}}, "eval:" + ctx.tenant + ":" + suite});
        const auto status = queue.status(ctx.tenant, id);
        agents::ToolOutput out;
        const std::string state = status ? jobs::job_state_name(status->state) : "queued";
        out.result = {{"job_id", id}, {"state", state}, {"result", status ? status->result : json(nullptr)}};
        out.summary = "job " + id + " " + state;
        out.sentences.push_back(fmt::format("Evaluation job {} ({} suite) is {}.", id, suite, state));
        if (status && status->result.contains("summary"))
            out.sentences.push_back(status->result["summary"].get<std::string>() + ".");
        return out;
            }};
}

std::string sent_or_drafted(const agents::TrackerResult& r, const char* what, const char* settings) {
    if (r.sent) return fmt::format("Created {} {}: {}.", what, r.key, r.url.empty() ? "(no link returned)" : r.url);
    return fmt::format("Nothing was sent because {} are not configured; the approved draft is {} {}.", settings, r.request.method,
                       r.request.url);
}

agents::Tool open_pr_tool(const agents::GitHubConfig& github) {
    return {"open_pr",
            "opens a GitHub pull request from an existing branch",
            {{"type", "object"},
             {"properties",
              {{"title", string_arg(200)}, {"head", string_arg(100)}, {"base", string_arg(100)}, {"body", string_arg(20000)}}},
             {"required", {"title", "head", "base"}},
             {"additionalProperties", false}},
            true,
            [github](agents::ToolContext&, const json& args) {
        const auto r = agents::GitHub(github).create_pull_request(args["title"], args["head"], args["base"],
                                                                  args.value("body", ""));
        agents::ToolOutput out;
        out.result = {{"sent", r.sent},
                      {"request", {{"method", r.request.method}, {"url", r.request.url}, {"body", r.request.body}}},
                      {"url", r.url}};
        out.summary = r.sent ? "pull request " + r.key + " opened" : "draft returned (no GitHub token or repository)";
        out.sentences.push_back(sent_or_drafted(r, "pull request", "GITHUB_TOKEN and GITHUB_REPO"));
        return out;
            }};
}

agents::Tool file_issue_tool(const agents::GitHubConfig& github, const agents::JiraConfig& jira) {
    return {"file_issue",
            "files an issue in GitHub or Jira",
            {{"type", "object"},
             {"properties",
              {{"tracker", {{"type", "string"}, {"enum", {"github", "jira"}}}},
               {"title", string_arg(200)},
               {"body", string_arg(20000)}}},
             {"required", {"tracker", "title"}},
             {"additionalProperties", false}},
            true,
            [github, jira](agents::ToolContext&, const json& args) {
        const bool to_jira = args["tracker"] == "jira";
        const auto r = to_jira ? agents::Jira(jira).create_issue(args["title"], args.value("body", ""))
                               : agents::GitHub(github).create_issue(args["title"], args.value("body", ""));
        agents::ToolOutput out;
        out.result = {{"sent", r.sent},
                      {"request", {{"method", r.request.method}, {"url", r.request.url}, {"body", r.request.body}}},
                      {"url", r.url}};
        out.summary = r.sent ? "issue " + r.key + " filed" : "draft returned (tracker not configured)";
        out.sentences.push_back(
            sent_or_drafted(r, to_jira ? "Jira issue" : "GitHub issue",
                            to_jira ? "JIRA_URL, JIRA_PROJECT and JIRA_TOKEN" : "GITHUB_TOKEN and GITHUB_REPO"));
        return out;
            }};
}

}  // namespace

LocalPredictor::LocalPredictor(const Config& config, const std::string& tenant)
    : pool_(config.database_url, 2),
      registry_(config.mlflow_tracking_uri),
      predictor_(pool_, registry_, config.database_url, config.redis_url, [] {
          serving::PredictorOptions o;
          o.preload_models = false;
          return o;
      }()) {
    try {  // without a model (or MLflow) the forecast tool says why when asked; other questions still work
        predictor_.reload({"cli", tenant, ""}, tenant);
    } catch (const std::exception& e) {
        log_event("warn", "forecast_tool_model_not_loaded", {{"tenant", tenant}, {"error", e.what()}});
    }
}

agents::ToolRegistry agent_tools(const Config& config, const rag::Embedder& embedder, serving::Predictor* predictor,
                                 jobs::Queue* queue) {
    const agents::GitHubConfig github{config.github_api_url, config.github_repo, config.github_token};
    const agents::JiraConfig jira{config.jira_url, config.jira_project, config.jira_user, config.jira_token};
    agents::ToolRegistry tools;
    tools.add(search_tool(embedder));
    if (predictor) tools.add(forecast_tool(*predictor));
    tools.add(data_quality_tool());
    tools.add(model_info_tool(config));
    if (queue) tools.add(run_eval_tool(*queue));
    tools.add(open_pr_tool(github));
    tools.add(file_issue_tool(github, jira));
    return tools;
}

}  // namespace voltedge::cli
