#include "cli/tenant_documents.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "cli/dq_report.h"
#include "cli/markdown.h"
#include "core/error.h"
#include "ingestion/dq_report.h"
#include "registry/mlflow.h"
#include "training/train.h"

namespace voltedge::cli {
namespace {

using registry::ModelVersion;
using registry::RunRecord;
using Metrics = std::map<std::string, double>;  // mae, rmse, mape, wape, skill_vs_persistence, auc, f1, log_loss

// ---- metric tables ----

struct Column {
    const char* key;
    const char* label;
};
constexpr Column kColumns[] = {{"mae", "MAE (kW)"},
                               {"rmse", "RMSE (kW)"},
                               {"mape", "MAPE (%)"},
                               {"wape", "WAPE (%)"},
                               {"skill_vs_persistence", "skill vs persistence"},
                               {"auc", "AUC"},
                               {"f1", "F1"},
                               {"log_loss", "log loss"}};

std::string format_metric(const std::string& key, double v) {
    if (key == "skill_vs_persistence") return fmt::format("{:+.1f} %", 100 * v);
    if (key == "mape" || key == "wape") return fmt::format("{:.1f}", v);
    if (key == "auc" || key == "f1") return fmt::format("{:.3f}", v);
    return fmt::format("{:.4f}", v);
}

// One row per labelled entry, with the columns that some row has ("–" where one row lacks it).
std::string metric_table(const std::string& first, const std::vector<std::pair<std::string, Metrics>>& rows) {
    std::vector<Column> columns;
    for (const auto& c : kColumns)
        if (std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.second.count(c.key) > 0; })) columns.push_back(c);
    std::string md = "| " + first, rule = "| ---";
    for (const auto& c : columns) md += std::string(" | ") + c.label, rule += " | ---";
    md += " |\n" + rule + " |\n";
    for (const auto& [label, metrics] : rows) {
        md += "| " + label;
        for (const auto& c : columns) {
            const auto it = metrics.find(c.key);
            md += " | " + (it == metrics.end() || !std::isfinite(it->second) ? "–" : format_metric(c.key, it->second));
        }
        md += " |\n";
    }
    return md;
}

// "2010-07-29 22:00:00" -> "2010-07-29 22:00"
std::string hour_text(const std::string& t) { return t.size() >= 16 ? t.substr(0, 16) : t; }

std::optional<int> to_int(std::string_view s) {
    int v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// A run's backtest metrics pooled over its folds, by horizon: "h24_mae_all" -> [24]["mae"], "h1_skill_vs_persistence"
// -> [1]["skill_vs_persistence"]. Per-fold metrics (without "_all") are left out: a run keeps only the last fold's.
// Only the leads that end a model's bucket (those with per-fold metrics) are kept: the configured horizons.
std::map<int, Metrics> pooled_metrics(const Metrics& logged) {
    std::map<int, Metrics> out;
    std::set<int> with_folds;
    for (const auto& [key, value] : logged) {
        const auto underscore = key.find('_');
        if (key.size() < 2 || key[0] != 'h' || underscore == std::string::npos) continue;
        const auto horizon = to_int(std::string_view(key).substr(1, underscore - 1));
        std::string name = key.substr(underscore + 1);
        if (name.ends_with("_all"))
            name.resize(name.size() - 4);
        else if (name != "skill_vs_persistence") {
            if (horizon) with_folds.insert(*horizon);
            continue;
        }
        if (horizon) out[*horizon][name] = value;
    }
    std::erase_if(out, [&](const auto& entry) { return !with_folds.count(entry.first); });
    return out;
}

// ---- what training logged ----

// How the run's backtest was split, from the parameters training logs on every family's run.
std::string splits_text(const RunRecord& run) {
    const auto folds = to_int(run.param("folds"));
    const std::string windows = run.param("test_windows");
    if (!folds || windows.empty()) return "The run does not record how its backtest was split.";
    const auto train_hours = to_int(run.param("train_hours"));
    std::string horizons = run.param("horizons_h");
    for (std::size_t at = 0; (at = horizons.find(',', at)) != std::string::npos; at += 5) horizons.replace(at, 1, " h, ");
    return fmt::format(
        "Backtest splits: {} test fold{} over the target hours {} (each window's end excluded). Each fold is forecast "
        "by a model trained on {}, ending so that no load after the first forecast origin of the fold is used. "
        "Horizons: {} h ahead.",
        *folds, *folds == 1 ? "" : "s", windows,
        run.param("window") == "sliding" && train_hours
            ? fmt::format("the {} days of target hours before it (sliding window)", *train_hours / 24)
            : std::string("every target hour before it (expanding window)"),
        horizons.empty() ? "?" : horizons);
}

std::string family_of(const RunRecord& run) { return run.tag("family").empty() ? run.name : run.tag("family"); }

const RunRecord* find_run(const std::vector<RunRecord>& runs, const std::string& run_id) {
    const auto it = std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.run.run_id == run_id; });
    return it == runs.end() ? nullptr : &*it;
}

std::string aliases_text(const ModelVersion& v) {
    std::string out;
    for (const auto& a : v.aliases) out += (out.empty() ? "" : ", ") + a;
    return out.empty() ? "none" : out;
}

// "version 3 (aliases production, staging)" for each version registered from the run; "" when none was.
std::string registered_text(const std::vector<ModelVersion>& versions, const std::string& run_id) {
    std::string out;
    for (const auto& v : versions)
        if (v.run_id == run_id)
            out += fmt::format("{}version {} (aliases: {})", out.empty() ? "" : ", ", v.version, aliases_text(v));
    return out;
}

// ---- model cards ----

std::string card_summary(const std::string& tenant, const ModelVersion& v, const std::string& family) {
    return fmt::format(
        "# Model card: {} version {} ({})\n\nModel card of version {} of the hourly load forecaster of tenant {} in the MLflow "
        "model registry: a {} model, aliases: {}. Trained in MLflow run {}, registered {}.\n\n## Version {} at a glance\n\n"
        "| | |\n| --- | --- |\n| model family | {} |\n| registered model | {} |\n| version | {} |\n| aliases | {} |\n"
        "| status | {} |\n| MLflow run | {} |\n| created | {} |\n| source commit | {} |\n",
        v.name, v.version, family, v.version, tenant, family, aliases_text(v), v.run_id, v.created, v.version, family, v.name,
        v.version, aliases_text(v), v.status, v.run_id, v.created, v.tag("source_commit").empty() ? "?" : v.tag("source_commit"));
}

std::string card_metrics(const RunRecord* run) {
    std::string md = "\n## Accuracy: backtest metrics\n\n";
    if (!run) return md + "The MLflow run of this version was not found among the finished runs, so its metrics are unknown.\n";
    std::vector<std::pair<std::string, Metrics>> rows;
    for (const auto& [horizon, metrics] : pooled_metrics(run->metrics))
        rows.emplace_back(fmt::format("{} h ahead", horizon), metrics);
    if (rows.empty()) return md + "The run logged no backtest metrics.\n";
    return md +
           "MAE, RMSE, MAPE and WAPE of the backtest forecasts, all folds pooled; skill vs persistence is the MAE "
           "reduction relative to the persistence baseline.\n\n" +
           metric_table("horizon", rows);
}

std::string card_training(const RunRecord* run) {
    std::string md = "\n## Training window and backtest\n\n";
    if (!run) return md + "Unknown: the run was not found.\n";
    const std::string first = run->param("train_first_hour"), last = run->param("train_last_hour");
    md += first.empty() ? "The run does not record its training window."
                        : fmt::format("Training window: the final model was fitted on every hour from {} to {} (target hours).",
                                      hour_text(first), hour_text(last));
    md += fmt::format(" Feature set version {}. {}\n",
                      run->tag("feature_set_version").empty() ? "?" : run->tag("feature_set_version"), splits_text(*run));
    return md;
}

// The family's own hyperparameters: every parameter but those training logs for every family.
std::string card_hyperparameters(const RunRecord* run) {
    static const std::set<std::string> kGeneral = {"horizons_h",       "folds",
                                                   "fold_hours",       "window",
                                                   "test_windows",     "train_hours",
                                                   "n_features",       "feature_set_version",
                                                   "train_first_hour", "score_imputed_targets",
                                                   "leads_per_target", "train_last_hour"};
    std::string md = "\n## Hyperparameters\n\n";
    if (!run) return md + "Unknown: the run was not found.\n";
    md += "| parameter | value |\n| --- | --- |\n";
    for (const auto& [key, value] : run->params)
        if (!kGeneral.count(key)) md += "| " + key + " | " + md_cell(value) + " |\n";
    return md;
}

std::string card_features(const std::optional<std::string>& features_json) {
    std::string md = "\n## Features used\n\n";
    const auto list = nlohmann::json::parse(features_json.value_or(""), nullptr, false);
    if (!list.is_array()) return md + "The run recorded no feature list.\n";
    md += fmt::format("{} input features:\n\n| feature | type |\n| --- | --- |\n", list.size());
    for (const auto& f : list) md += "| " + md_cell(f.value("name", "")) + " | " + md_cell(f.value("type", "")) + " |\n";
    return md;
}

rag::SourceDocument model_card(registry::ExperimentTracker& tracker, const std::string& tenant, const ModelVersion& v,
                               const RunRecord* run) {
    const std::string family = v.tag("family").empty() ? "?" : v.tag("family");
    const auto features = run ? tracker.download(run->run, "features.json") : std::nullopt;
    return {"generated/model-cards/" + v.name + "-v" + v.version + ".md", "model_card", v.run_id,
            card_summary(tenant, v, family) + card_metrics(run) + card_training(run) + card_hyperparameters(run) +
                card_features(features)};
}

// ---- backtests ----

struct BacktestRow {
    std::string model, split;  // split: "0", "1", ... or "all" (every fold pooled)
    int horizon = 0;
    std::string train_begin, train_end, test_begin, test_end;
    Metrics metrics;
};

std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> cells;
    std::istringstream in(line);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    return cells;
}

// backtest.csv column -> metric
constexpr std::pair<const char*, const char*> kCsvMetrics[] = {{"mae", "mae"},          {"rmse", "rmse"}, {"mape_pct", "mape"},
                                                               {"wape_pct", "wape"},    {"auc", "auc"},   {"f1", "f1"},
                                                               {"log_loss", "log_loss"}};

// training's backtest.csv: one row per model, horizon and split (the family's, and for a load forecaster the
// baselines'); columns found by name. Rows that scored nothing (n = 0) are left out: runs logged before training
// scored its baselines as load forecasts have such rows for them.
std::vector<BacktestRow> parse_backtest_csv(const std::string& csv) {
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    const auto header = split_csv_line(line);
    std::vector<BacktestRow> rows;
    while (std::getline(in, line)) {
        const auto cells = split_csv_line(line);
        std::map<std::string, std::string> f;
        for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) f[header[i]] = cells[i];
        if (f["model"].empty() || to_int(f["n"]).value_or(0) == 0) continue;
        BacktestRow r{.model = f["model"],
                      .split = f["split"],
                      .horizon = to_int(f.count("lead_h") ? f["lead_h"] : f["horizon_h"]).value_or(0),
                      .train_begin = f["train_begin"],
                      .train_end = f["train_end"],
                      .test_begin = f["test_begin"],
                      .test_end = f["test_end"],
                      .metrics = {}};
        for (const auto& [column, key] : kCsvMetrics)
            if (!f[column].empty()) r.metrics[key] = std::strtod(f[column].c_str(), nullptr);
        rows.push_back(std::move(r));
    }
    return rows;
}

// "seasonal_naive_24" -> "seasonal naive 24 h", as people write it.
std::string short_label(const std::string& model) {
    return model.starts_with("seasonal_naive_") ? "seasonal naive " + model.substr(15) + " h" : model;
}

std::string model_label(const std::string& model, const std::string& family) {
    if (model == family) return "**" + model + "** (this run)";
    if (model == "persistence") return "persistence (baseline: the last known hour)";
    if (model == "seasonal_naive_24") return "seasonal naive 24 h (baseline: the same hour a day earlier)";
    if (model == "seasonal_naive_168") return "seasonal naive 168 h (baseline: the same hour a week earlier)";
    return short_label(model);
}

// Every model of the run pooled over the folds of one horizon, the family first, with its skill vs persistence.
std::string pooled_table(const std::vector<BacktestRow>& rows, int horizon, const std::string& family) {
    std::vector<std::pair<std::string, Metrics>> table;
    double persistence = NAN;
    for (const auto& r : rows)
        if (r.horizon == horizon && r.split == "all" && r.model == "persistence" && r.metrics.count("mae"))
            persistence = r.metrics.at("mae");
    for (const auto& r : rows) {
        if (r.horizon != horizon || r.split != "all") continue;
        Metrics m = r.metrics;
        if (m.count("mae") && std::isfinite(persistence)) m["skill_vs_persistence"] = 1 - m["mae"] / persistence;
        table.emplace(r.model == family ? table.begin() : table.end(), model_label(r.model, family), m);
    }
    return metric_table("model", table);
}

std::string fold_metric(const std::vector<BacktestRow>& rows, const std::string& model, int horizon, const std::string& split,
                        const std::string& key) {
    for (const auto& r : rows)
        if (r.model == model && r.horizon == horizon && r.split == split && r.metrics.count(key))
            return format_metric(key, r.metrics.at(key));
    return "–";
}

// One line per fold: its training and test hours and each model's MAE (AUC for the peak-hour classifier) on it.
std::string fold_table(const std::vector<BacktestRow>& rows, int horizon, const std::string& family) {
    std::vector<std::pair<std::string, std::string>> models;  // as in the pooled table, each with the metric shown
    for (const auto& r : rows)
        if (r.horizon == horizon && r.split == "all")
            models.emplace(r.model == family ? models.begin() : models.end(), r.model, r.metrics.count("mae") ? "mae" : "auc");
    std::string md = "| fold | training targets | test targets", rule = "| --- | --- | ---";
    for (const auto& [model, key] : models)
        md += " | " + short_label(model) + (key == "mae" ? " MAE (kW)" : " AUC"), rule += " | ---";
    md += " |\n" + rule + " |\n";
    for (const auto& fold : rows) {
        if (fold.horizon != horizon || fold.split == "all" || fold.model != family) continue;
        md += fmt::format("| {} | {} to {} | {} to {}", to_int(fold.split).value_or(-1) + 1, hour_text(fold.train_begin),
                          hour_text(fold.train_end), hour_text(fold.test_begin), hour_text(fold.test_end));
        for (const auto& [model, key] : models) md += " | " + fold_metric(rows, model, horizon, fold.split, key);
        md += " |\n";
    }
    return md;
}

// MAE at every lead, the family beside persistence and seasonal naive 24 h (leads without fold scores too).
std::string lead_table(const std::vector<BacktestRow>& rows, const std::string& family) {
    std::map<int, std::map<std::string, double>> mae;
    for (const auto& r : rows)
        if (r.split == "all" && r.metrics.count("mae")) mae[r.horizon][r.model] = r.metrics.at("mae");
    if (mae.size() < 2 || !mae.begin()->second.count(family)) return "";
    std::string md = "\n## MAE by lead, all folds pooled\n\n| lead (h) | " + family +
                     " MAE (kW) | persistence MAE (kW) | seasonal naive 24 h MAE (kW) |\n| --- | --- | --- | --- |\n";
    const auto cell = [](const std::map<std::string, double>& m, const char* model) {
        return m.count(model) ? format_metric("mae", m.at(model)) : std::string("–");
    };
    for (const auto& [lead, m] : mae)
        md += fmt::format("| {} | {} | {} | {} |\n", lead, cell(m, family.c_str()), cell(m, "persistence"),
                          cell(m, "seasonal_naive_24"));
    return md;
}

std::string backtest_markdown(const std::string& tenant, const RunRecord& run, const std::vector<BacktestRow>& rows,
                              const std::string& registered) {
    const std::string family = family_of(run);
    const bool baselines = std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.model != family; });
    std::string md = fmt::format(
        "# Backtest of {} against the baselines (tenant {})\n\nBacktest summary of the {} model family for tenant {}, MLflow "
        "run {}, started {}, source commit {}{}. {}\n\n## Backtest splits (folds)\n\n{} Hours are [from, to).\n",
        family, tenant, family, tenant, run.run.run_id, run.started,
        run.tag("source_commit").empty() ? "?" : run.tag("source_commit"),
        (run.champion ? "; the champion of its training (lowest MAE over every lead, weighted 1/lead)" : std::string()) +
            (registered.empty() ? "" : "; registered as " + registered),
        baselines ? "It is compared on the same splits with the naive baselines persistence, seasonal naive 24 h and seasonal "
                    "naive 168 h; skill vs persistence is the MAE reduction relative to persistence."
                  : "It classifies peak hours; the naive baselines forecast load, so they are not compared with it.",
        splits_text(run));
    std::set<int> horizons;  // the leads that end a model's bucket: they have fold-by-fold scores
    for (const auto& r : rows)
        if (r.split != "all") horizons.insert(r.horizon);
    for (int h : horizons) {
        md += fmt::format("\n## Horizon {} h ahead: all folds pooled\n\n", h) + pooled_table(rows, h, family);
        md += fmt::format("\n## Horizon {} h ahead: fold by fold\n\n", h) + fold_table(rows, h, family);
    }
    return md + lead_table(rows, family);
}

std::optional<rag::SourceDocument> backtest_document(registry::ExperimentTracker& tracker, const std::string& tenant,
                                                     const RunRecord& run, const std::vector<ModelVersion>& versions) {
    const auto csv = tracker.download(run.run, "backtest.csv");
    const auto rows = parse_backtest_csv(csv.value_or(""));
    if (rows.empty()) return std::nullopt;
    return rag::SourceDocument{"generated/backtests/" + family_of(run) + "-" + run.run.run_id + ".md", "backtest", run.run.run_id,
                               backtest_markdown(tenant, run, rows, registered_text(versions, run.run.run_id))};
}

// ---- the documents ----

// Model cards first (oldest version first), then backtests (newest run first). The baselines run is no document of
// its own: every load forecaster's backtest already lists the baselines on its splits.
std::vector<rag::SourceDocument> registry_documents(registry::ModelRegistry& registry, registry::ExperimentTracker& tracker,
                                                    const std::string& tenant) {
    const auto versions = registry.versions(tenant);
    const auto experiment = tracker.find_experiment(training::experiment_name(tenant));
    const auto runs = experiment ? tracker.finished_runs(*experiment) : std::vector<RunRecord>{};
    std::vector<rag::SourceDocument> docs;
    for (const auto& v : versions) docs.push_back(model_card(tracker, tenant, v, find_run(runs, v.run_id)));
    for (const auto& run : runs)
        if (family_of(run) != "baselines")
            if (auto doc = backtest_document(tracker, tenant, run, versions)) docs.push_back(std::move(*doc));
    return docs;
}

}  // namespace

std::vector<rag::SourceDocument> tenant_documents(const Config& config, pqxx::connection& conn, const std::string& tenant) {
    std::vector<rag::SourceDocument> docs;
    if (const auto report = ingestion::latest_dq_report(conn, tenant))
        docs.push_back(
            {"generated/dq-report.md", "dq_report", std::to_string(report->run_id), dq_report_markdown(tenant, *report)});
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    try {
        for (auto& doc : registry_documents(mlflow, mlflow, tenant)) docs.push_back(std::move(doc));
    } catch (const std::exception& e) {  // Error, or an answer that is not what MLflow's API documents
        const auto* error = dynamic_cast<const Error*>(&e);
        throw Error(fmt::format("cannot read the model cards and backtests of tenant {} from MLflow at {}: {}", tenant,
                                config.mlflow_tracking_uri, e.what()),
                    (error && !error->hint().empty() ? error->hint() : "check that the MLflow server is running (make up)") +
                        "; nothing was indexed, so what was indexed before stays searchable: run 'voltedge index --tenant " +
                        tenant + "' again once MLflow answers");
    }
    return docs;
}

}  // namespace voltedge::cli
