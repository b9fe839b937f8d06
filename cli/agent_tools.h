#pragma once
// The /ask agent's tools (agents/tools.h), registered here because they reach areas the agent may not:
//   search        the tenant's retrieval index
//   forecast      the next hours through serving::Predictor (the predictions are stored, so they can be explained)
//   data_quality  the latest ingest run's checks
//   model_info    the production and staging versions with their backtest metrics
//   run_eval      an evaluation job on the queue                       (write: waits for approval)
//   open_pr       a GitHub pull request                                (write: waits for approval)
//   file_issue    a GitHub or Jira issue                               (write: waits for approval)
#include "agents/tools.h"
#include "core/config.h"
#include "jobs/job.h"
#include "db/pool.h"
#include "rag/encoder.h"
#include "registry/mlflow.h"
#include "serving/predictor.h"

namespace voltedge::cli {

// Every reference must outlive the returned tools. Without a predictor there is no forecast tool, without a
// queue no run_eval.
agents::ToolRegistry agent_tools(const Config& config, const rag::Embedder& embedder, serving::Predictor* predictor,
                                 jobs::Queue* queue);

// A Predictor of this process for the command line's forecast tool (the API hands the tools its own), with the
// tenant's production model loaded before the first question.
class LocalPredictor {
public:
    LocalPredictor(const Config& config, const std::string& tenant);
    serving::Predictor& get() { return predictor_; }

private:
    db::ConnectionPool pool_;
    registry::Mlflow registry_;
    serving::Predictor predictor_;
};

}  // namespace voltedge::cli
