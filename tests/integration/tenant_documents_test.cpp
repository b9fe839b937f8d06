// A tenant's generated documents (data-quality report, model cards, backtests; cli/tenant_documents.h) from the
// real Postgres and MLflow, indexed and searched with the real embedding model.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/job_handlers.h"
#include "cli/tenant_documents.h"
#include "core/error.h"
#include "db/connection.h"
#include "ingestion/ingest.h"
#include "rag/index.h"
#include "rag/search.h"
#include "registry/mlflow.h"
#include "support.h"

using namespace voltedge;

namespace {

class TenantDocumentsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { embedder = new rag::Embedder(rag::Embedder::load(rag::default_model_dir())); }
    static void TearDownTestSuite() { delete embedder; }

    std::vector<rag::Hit> search(const std::string& tenant, const std::string& text, std::optional<std::string> kind = {}) {
        rag::SearchQuery q;
        q.text = text;
        q.k = 10;
        q.kind = std::move(kind);
        return rag::search(conn, tenant, q, *embedder);
    }

    static inline rag::Embedder* embedder = nullptr;
    pqxx::connection conn = db::connect(test::config().database_url);
};

const rag::SourceDocument& document(const std::vector<rag::SourceDocument>& docs, const std::string& path) {
    const auto it = std::find_if(docs.begin(), docs.end(), [&](const auto& d) { return d.path == path; });
    if (it == docs.end()) throw std::runtime_error("no document " + path);
    return *it;
}

void expect_words(const rag::SourceDocument& doc, const std::vector<std::string>& words) {
    for (const auto& w : words)
        EXPECT_NE(doc.content.find(w), std::string::npos) << doc.path << " lacks \"" << w << "\"\n" << doc.content;
}

std::int64_t ingest_excerpt(pqxx::connection& conn, const std::string& tenant) {
    ingestion::IngestOptions o;
    o.tenant = tenant;
    o.source = test::data_file("excerpt-2006-12-16_18.txt");
    o.download_dir = (std::filesystem::temp_directory_path() / ("voltedge-test-" + tenant)).string();
    return ingestion::ingest(conn, o).run_id;
}

}  // namespace

TEST_F(TenantDocumentsTest, CardsReportAndBacktestAreGeneratedAndSearchableByTheirTenantOnly) {
    const std::string tenant = test::new_tenant("gendocs"), other = test::new_tenant("gendocs-other");
    // Nothing ingested or trained yet: no documents, and no error.
    EXPECT_TRUE(cli::tenant_documents(test::config(), conn, tenant).empty());

    const std::int64_t ingest_run = ingest_excerpt(conn, tenant);
    test::insert_usage(tenant, 40);
    test::train_and_promote(tenant, "linear");
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const auto production = mlflow.alias(tenant, "production");
    ASSERT_TRUE(production.has_value());

    const auto docs = cli::tenant_documents(test::config(), conn, tenant);
    ASSERT_EQ(docs.size(), 3u);  // the report, one card, the backtest of the one family run
    const auto& report = document(docs, "generated/dq-report.md");
    EXPECT_EQ(report.kind, "dq_report");
    EXPECT_EQ(report.revision, std::to_string(ingest_run));
    expect_words(report, {"# Data-quality report", "## Data quality checks", "| minutes missing |"});
    const auto& card = document(docs, "generated/model-cards/" + production->name + "-v" + production->version + ".md");
    EXPECT_EQ(card.kind, "model_card");
    EXPECT_EQ(card.revision, production->run_id);
    expect_words(card, {"# Model card", "| model family | linear |", "production, staging", "MAE (kW)", "| 24 h ahead |",
                        "Training window: the final model was fitted on every hour from 20", "## Features used",
                        "1 test fold over the target hours [2009-02-03 00:00:00, 2009-02-10 00:00:00)", "| source commit |"});
    const auto& backtest = document(docs, "generated/backtests/linear-" + production->run_id + ".md");
    EXPECT_EQ(backtest.kind, "backtest");
    EXPECT_EQ(backtest.revision, production->run_id);
    expect_words(backtest,
                 {"# Backtest of linear against the baselines", "persistence (baseline", "seasonal naive 24 h (baseline",
                  "seasonal naive 168 h (baseline", "## Horizon 24 h ahead: fold by fold", "skill vs persistence",
                  "the champion of its training", "registered as version " + production->version});

    rag::index_documents(conn, tenant, docs, *embedder);
    rag::index_documents(conn, other, {{"notes/plan.md", "tenant_doc", "r1", "# Plan\nReview the forecasts in March.\n"}},
                         *embedder);
    const auto cards = search(tenant, "model card of the linear forecaster in production", "model_card");
    ASSERT_FALSE(cards.empty());
    EXPECT_EQ(cards[0].doc_path, card.path);
    EXPECT_EQ(cards[0].revision, production->run_id);
    const auto quality = search(tenant, "data quality checks of the last ingest", "dq_report");
    ASSERT_FALSE(quality.empty());
    EXPECT_EQ(quality[0].revision, std::to_string(ingest_run));
    const auto baselines = search(tenant, "MAE against the persistence and seasonal naive baselines", "backtest");
    ASSERT_FALSE(baselines.empty());
    EXPECT_EQ(baselines[0].doc_path, backtest.path);

    // The other tenant sees none of it.
    for (const char* kind : {"model_card", "dq_report", "backtest"})
        EXPECT_TRUE(search(other, "model card MAE training window data quality backtest", kind).empty()) << kind;
    for (const auto& h : search(other, "model card MAE training window data quality backtest baselines"))
        EXPECT_NE(h.doc_path.rfind("generated/", 0), 0u) << h.doc_path;
    EXPECT_EQ(test::count_as_app(conn, other, "SELECT 1 FROM rag_chunks WHERE doc_path LIKE 'generated/%'"), 0);
}

// The index deletes the documents it is not given: a job that could not read MLflow must fail before it indexes,
// so the model cards indexed before stay.
TEST_F(TenantDocumentsTest, AnUnreachableMlflowFailsTheIndexJobAndKeepsTheCardsIndexedBefore) {
    const std::string tenant = test::new_tenant("gendocs-down");
    const rag::SourceDocument old_card{"generated/model-cards/m-v1.md", "model_card", "run1",
                                       "# Model card: m version 1\n\nA linear model.\n"};
    rag::index_documents(conn, tenant, {old_card}, *embedder);

    Config down = test::config();
    down.mlflow_tracking_uri = "http://127.0.0.1:9";  // the discard port: nothing listens
    jobs::HandlerRegistry handlers;
    cli::register_job_handlers(handlers, down);
    try {
        handlers.run({"index", tenant, {{"root", VOLTEDGE_SOURCE_DIR}}});
        FAIL() << "the index job ran without MLflow";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("MLflow"), std::string::npos) << e.what();
        EXPECT_NE(e.hint().find("make up"), std::string::npos) << e.hint();
        EXPECT_NE(e.hint().find("voltedge index --tenant " + tenant), std::string::npos) << e.hint();
    }
    EXPECT_EQ(test::count_as_app(conn, tenant, "SELECT 1 FROM rag_documents WHERE doc_path = 'generated/model-cards/m-v1.md'"),
              1);
}
