#pragma once
// The job handlers of the binary: each wraps the library call its subcommand used to make. Registered here
// (cli may depend on every area), so jobs/ depends on none of them.
#include "core/config.h"
#include "jobs/job.h"

namespace voltedge::cli {

// Kinds: ingest {source, force}, features {with_weather, weather_csv}, train {config_path}, ablate {family,
// config_path}, tune {family, budget, config_path}, promote {version},
// index {root, paths}, eval {suite: retrieval | answers | forecast | nightly, version, root}, batch_score {hours},
// retrain {force, config_path} (cli/evaluation_jobs.h).
// Each returns {"summary": "<what a person reads>", ...figures}.
void register_job_handlers(jobs::HandlerRegistry& handlers, const Config& config);

}  // namespace voltedge::cli
