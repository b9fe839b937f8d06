#pragma once
// The evaluation, batch-scoring and retraining jobs (registered by register_job_handlers).
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "jobs/job.h"

namespace voltedge::cli {

// eval {suite: retrieval | answers | forecast | nightly, version (forecast; default production), root}: scores,
// stores each metric in model_eval_results with its SLO threshold, logs forecast metrics to the version's
// MLflow run. nightly runs forecast and answers (retrieval too when the tenant has that golden set), logs one
// summary line and posts it to VOLTEDGE_EVAL_WEBHOOK_URL.
nlohmann::json evaluation_job(const Config& config, const jobs::Job& job);

// batch_score {hours (default 24)}: the production version's forecasts of the tenant's next hours, stored as
// predictions (request id batch:<job id>) like those /predict serves.
nlohmann::json batch_score_job(const Config& config, const jobs::Job& job);

// retrain {force}: retrains (through `train`) when the production version drifted past the SLO's PSI or the
// data runs VOLTEDGE_RETRAIN_AFTER_DAYS past its training; otherwise says why not.
nlohmann::json retrain_job(const Config& config, const jobs::Job& job, const jobs::HandlerRegistry& handlers);

// canary {version, steps (default [5, 25, 50, 100]), interval_seconds (default 300)}: the controller of
// evaluations/canary.h, to promotion or automatic rollback; a rollback is also posted to the webhook.
nlohmann::json canary_job(const Config& config, const jobs::Job& job);

}  // namespace voltedge::cli
