#pragma once
// The tenant's generated documents for the retrieval index: its latest data-quality report, a model card for
// every registered version of its forecaster, and the backtest of every finished training run against the naive
// baselines. Made here, not in rag/, because they join areas rag/ may not depend on (ingestion's tables, the
// model registry and the experiment tracker).
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/config.h"
#include "rag/index.h"

namespace voltedge::cli {

// Only what exists (a tenant without data or models gets fewer documents, or none):
//   generated/dq-report.md                      kind dq_report,  revision = the ingest run id
//   generated/model-cards/<model>-v<N>.md       kind model_card, revision = the version's MLflow run id
//   generated/backtests/<family>-<run id>.md    kind backtest,   revision = the run id
// Throws Error naming MLflow when the registry or the runs cannot be read. The index deletes documents it is not
// given, so a caller must stop then rather than index without the cards (which would delete those indexed before).
std::vector<rag::SourceDocument> tenant_documents(const Config& config, pqxx::connection& app_conn, const std::string& tenant);

}  // namespace voltedge::cli
