#include "cli/job_handlers.h"

#include <fmt/format.h>

#include "cli/agent_tools.h"
#include "cli/evaluation_jobs.h"
#include "cli/tenant_documents.h"
#include "core/error.h"
#include "db/connection.h"
#include "features/feature_store.h"
#include "ingestion/ingest.h"
#include "core/log.h"
#include "models/model_io.h"
#include "rag/sources.h"
#include "registry/mlflow.h"
#include "serving/promotion.h"
#include "training/train.h"
#include "training/tuning.h"

namespace voltedge::cli {
namespace {

using Json = nlohmann::json;

// A job may take over from a worker that has just handed it back or died. That worker's Postgres session can
// hold the tenant's ingest or training lock a moment longer (the server notices a gone client only when its
// statement ends), so a job waits for the lock instead of spending an attempt on "already being ingested".
constexpr std::chrono::seconds kJobLockWait{30};

Json ingest(const Config& config, const jobs::Job& job) {
    ingestion::IngestOptions o;
    o.tenant = job.tenant;
    o.source = jobs::payload_field<std::string>(job, "source", "");
    o.force = jobs::payload_field<bool>(job, "force", false);
    o.lock_wait = kJobLockWait;
    if (o.source.empty()) throw Error("job ingest: no source", "give a local file or an http(s) URL");
    auto conn = db::connect(config.database_url);
    const auto r = ingestion::ingest(conn, o);
    if (r.status == "skipped")
        return {{"status", r.status},
                {"run_id", r.run_id},
                {"summary",
                 fmt::format("run {}: {} (sha256 {}) was already loaded for tenant {}; nothing changed (use --force to reload)",
                             r.run_id, o.source, r.source.sha256, o.tenant)}};
    std::size_t failed = 0;
    for (const auto& c : r.checks) failed += !c.passed;
    return {{"status", r.status},
            {"run_id", r.run_id},
            {"rows_read", r.rows_read},
            {"minutes_loaded", r.minutes_loaded},
            {"hours_loaded", r.hours_loaded},
            {"checks_failed", failed},
            {"summary",
             fmt::format("run {}: read {} rows, {} minutes missing, {} imputed; loaded {} minutes into usage_minute and {} "
                         "hours into usage_hourly; {} of {} data-quality checks passed (voltedge dq report --tenant {})",
                         r.run_id, r.rows_read, r.minutes_missing, r.minutes_imputed, r.minutes_loaded, r.hours_loaded,
                         r.checks.size() - failed, r.checks.size(), o.tenant)}};
}

Json features(const Config& config, const jobs::Job& job) {
    features::FeatureOptions o;
    o.tenant = job.tenant;
    o.with_weather = jobs::payload_field<bool>(job, "with_weather", false);
    o.weather_csv = jobs::payload_field<std::string>(job, "weather_csv", config.weather_csv);
    auto conn = db::connect(config.database_url);
    const auto r = features::build_features(conn, o);
    return {{"rows", r.rows},
            {"hours", r.hours},
            {"summary",
             fmt::format("features for tenant {}: {} rows ({} hours with load, plus the row the next forecast starts from), "
                         "{} .. {}, feature set {}",
                         o.tenant, r.rows, r.hours, r.first_hour, r.last_hour, features::kFeatureSetVersion)}};
}

training::TrainConfig train_config_of(const jobs::Job& job) {
    const std::string path = jobs::payload_field<std::string>(job, "config_path", "");
    return path.empty() ? training::TrainConfig{} : training::TrainConfig::from_json(models::read_file(path), path);
}

Json train(const Config& config, const jobs::Job& job) {
    const auto train_config = train_config_of(job);
    auto conn = db::connect(config.database_url);
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    const auto report = training::train(conn, mlflow, mlflow, job.tenant, train_config, kJobLockWait);
    std::string summary = fmt::format(
        "backtest of tenant {} ({}, {} window; all folds pooled; skill = MAE reduction vs persistence)\n{}", job.tenant,
        train_config.backtest.describe(), train_config.backtest.window, training::format_backtest_table(report));
    for (const auto& f : report.families)
        summary += fmt::format("  {}: {:.1f} s, MLflow run {}\n", f.family, f.seconds, f.run_id);
    if (report.champion.empty())
        summary += "no forecasting family was configured, so nothing was registered";
    else
        summary += fmt::format(
            "champion: {} -> {} version {} (alias staging); {:.1f} s in all\npromote it with: voltedge promote "
            "--tenant {} --version {}",
            report.champion, report.model_name, report.registered_version, report.seconds, job.tenant, report.registered_version);
    return {{"champion", report.champion},
            {"version", report.registered_version},
            {"seconds", report.seconds},
            {"summary", summary}};
}

Json ablate(const Config& config, const jobs::Job& job) {
    const std::string family = jobs::payload_field<std::string>(job, "family", "xgboost");
    auto conn = db::connect(config.database_url);
    const auto lines = training::ablate(training::load_training_rows(conn, job.tenant), job.tenant, train_config_of(job), family);
    Json variants = Json::array();
    for (const auto& l : lines)
        variants.push_back({{"variant", l.variant}, {"groups", l.groups}, {"lead_weighted_mae", l.summary.lead_weighted_mae}});
    return {{"variants", variants},
            {"summary", fmt::format("input ablation of {} for tenant {} (pooled backtest MAE, kW; weighted = every lead, "
                                    "weight 1/lead)\n{}",
                                    family, job.tenant, training::format_ablation_table(lines))}};
}

Json tune(const Config& config, const jobs::Job& job) {
    training::TuneOptions o;
    o.tenant = job.tenant;
    o.family = jobs::payload_field<std::string>(job, "family", "xgboost");
    o.budget = jobs::payload_field<int>(job, "budget", 12);
    o.max_slowdown = jobs::payload_field<double>(job, "max_slowdown", 2.0);
    o.config_path = jobs::payload_field<std::string>(job, "config_path", "configs/training.json");
    auto conn = db::connect(config.database_url);
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    const auto report = training::tune(conn, mlflow, o);
    const auto& best = report.trials[report.best];
    return {{"best_params", best.params},
            {"lead_weighted_mae", best.summary.lead_weighted_mae},
            {"written", report.written},
            {"search_run_id", report.search_run_id},
            {"summary",
             fmt::format("tuning {} for tenant {} (successive halving: {} drawn on the last fold, the best third "
                         "and the current configuration on every fold; MLflow run {})\n{}",
                         o.family, job.tenant, o.budget, report.search_run_id, training::format_tune_report(report, o))}};
}

Json promote(const Config& config, const jobs::Job& job) {
    const std::string version = jobs::payload_field<std::string>(job, "version", "staging");
    auto conn = db::connect(config.database_url);
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    const auto v = serving::move_alias(mlflow, conn, job.tenant, "production", version, config.actor, source_commit());
    return {{"version", v.version},
            {"summary", fmt::format("model {} version {} is now 'production' for tenant {} (family {})", v.name, v.version,
                                    job.tenant, v.tag("family").empty() ? "?" : v.tag("family"))}};
}

Json rollback(const Config& config, const jobs::Job& job) {
    auto conn = db::connect(config.database_url);
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    const auto v = serving::rollback(mlflow, conn, job.tenant, config.actor,
                                     jobs::payload_field<std::string>(job, "reason", "asked for"), source_commit());
    return {{"version", v.version},
            {"summary", fmt::format("tenant {}: 'production' is back on version {} (the version it left is 'previous'); the API "
                                    "serves it within VOLTEDGE_MODEL_REFRESH_SECONDS",
                                    job.tenant, v.version)}};
}

// The tenant's whole index: the platform's documents and code under `root`, the data dictionary, the folders
// given, and the tenant's generated documents (data-quality report, model cards, backtests); documents indexed
// before but not given now are removed.
Json index(const Config& config, const jobs::Job& job) {
    auto conn = db::connect(config.database_url);
    // First: when MLflow cannot be read this throws before the index is touched; indexing without the model
    // cards would delete the ones indexed before.
    std::vector<rag::SourceDocument> docs = tenant_documents(config, conn, job.tenant);
    for (auto& d : rag::project_documents(jobs::payload_field<std::string>(job, "root", "."))) docs.push_back(std::move(d));
    docs.push_back(rag::data_dictionary());
    for (const auto& dir : jobs::payload_field<std::vector<std::string>>(job, "paths", {}))
        for (auto& d : rag::folder_documents(dir)) docs.push_back(std::move(d));
    const rag::Embedder embedder = rag::Embedder::load(config.model_dir.empty() ? rag::default_model_dir() : config.model_dir);
    double last_report = 0;
    const auto r = rag::index_documents(conn, job.tenant, docs, embedder, [&](std::size_t d, std::size_t c, double s) {
        if (s - last_report < 5) return;  // a line every 5 s on long runs
        last_report = s;
        log_info("index_progress", {{"documents", d},
                                    {"of", docs.size()},
                                    {"chunks", c},
                                    {"documents_per_second", d / s},
                                    {"chunks_per_second", c / s}});
    });
    // Past VOLTEDGE_ANN_MIN_CHUNKS the tenant's vector search gets its own HNSW index (db/migrations/007).
    const std::string vector_search = rag::maintain_ann_index(conn, job.tenant, config.ann_min_chunks);
    // Past VOLTEDGE_TEXT_INDEX_MIN_CHUNKS its full-text search gets GIN indexes of its own (db/migrations/022).
    const std::string text_search = rag::maintain_text_index(conn, job.tenant, config.text_index_min_chunks);
    return {{"documents", r.documents},
            {"indexed", r.indexed},
            {"unchanged", r.unchanged},
            {"removed", r.removed},
            {"chunks", r.chunks},
            {"sentences", r.sentences},
            {"seconds", r.seconds},
            {"ann_index", vector_search},
            {"text_index", text_search},
            {"summary", fmt::format("index of tenant {}: {} documents ({} indexed, {} unchanged, {} removed), {} chunks embedded "
                                    "(and {} quotable sentences) in {:.1f} s ({:.1f} chunks/s); vector search: {}; full text: {}",
                                    job.tenant, r.documents, r.indexed, r.unchanged, r.removed, r.chunks, r.sentences, r.seconds,
                                    r.seconds > 0 ? r.chunks / r.seconds : 0.0,
                                    vector_search == "exact" || vector_search == "dropped" ? "exact scan"
                                                                                           : "HNSW index (" + vector_search + ")",
                                    text_search == "shared" || text_search == "dropped" ? "shared indexes"
                                                                                        : "own indexes (" + text_search + ")")}};
}

}  // namespace

void register_job_handlers(jobs::HandlerRegistry& handlers, const Config& config) {
    handlers.add("ingest", "load a UCI household power file into a tenant",
                 [&config](const jobs::Job& j) { return ingest(config, j); });
    handlers.add("features", "rebuild a tenant's hourly feature table",
                 [&config](const jobs::Job& j) { return features(config, j); });
    handlers.add("train", "backtest, track and register a tenant's champion",
                 [&config](const jobs::Job& j) { return train(config, j); });
    handlers.add("ablate", "measure which optional input groups lower a family's backtest MAE",
                 [&config](const jobs::Job& j) { return ablate(config, j); });
    handlers.add("tune", "search a family's hyperparameters on the backtest folds; write the best to the config",
                 [&config](const jobs::Job& j) { return tune(config, j); });
    handlers.add("promote", "point a tenant's production alias at a version",
                 [&config](const jobs::Job& j) { return promote(config, j); });
    handlers.add(
        "canary", "serve a version to a growing share beside production; promote it, or roll it back on an SLO breach",
        [&config](const jobs::Job& j) { return canary_job(config, j); }, 1);
    handlers.add(
        "rollback", "point a tenant's production alias back at its previous version",
        [&config](const jobs::Job& j) { return rollback(config, j); }, 1);
    handlers.add("index", "(re)index a tenant's documents and code for search",
                 [&config](const jobs::Job& j) { return index(config, j); });
    handlers.add("eval", "evaluate a tenant (suite retrieval, answers, forecast or nightly); results in model_eval_results",
                 [&config](const jobs::Job& j) { return evaluation_job(config, j); });
    handlers.add("batch_score", "store the production version's forecasts of a tenant's next hours",
                 [&config](const jobs::Job& j) { return batch_score_job(config, j); });
    handlers.add(
        "retrain", "rebuild features and retrain when drift or new data says so (or force)",
        [&config, &handlers](const jobs::Job& j) { return retrain_job(config, j, handlers); }, 2);
}

}  // namespace voltedge::cli
