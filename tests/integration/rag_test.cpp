// The retrieval index and hybrid search against the real Postgres (pgvector, full text, row-level security)
// with the real embedding model.
#include <gtest/gtest.h>

#include <thread>

#include "api/server.h"
#include "db/connection.h"
#include "evaluations/retrieval_eval.h"
#include "http/client.h"
#include "observability/metrics.h"
#include "security/tenants.h"
#include "rag/index.h"
#include "rag/search.h"
#include "rag/sources.h"
#include "support.h"

using namespace voltedge;

namespace {

class RagTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { embedder = new rag::Embedder(rag::Embedder::load(rag::default_model_dir())); }
    static void TearDownTestSuite() { delete embedder; }

    rag::IndexReport index(const std::string& tenant, const std::vector<rag::SourceDocument>& docs) {
        return rag::index_documents(conn, tenant, docs, *embedder);
    }
    std::vector<rag::Hit> search(const std::string& tenant, const std::string& text, int k = 5) {
        rag::SearchQuery q;
        q.text = text;
        q.k = k;
        return rag::search(conn, tenant, q, *embedder);
    }

    static inline rag::Embedder* embedder = nullptr;
    pqxx::connection conn = db::connect(test::config().database_url);
};

const std::vector<rag::SourceDocument> kDocs = {
    {"guide/tenancy.md", "doc", "r1",
     "# Tenancy\n\n## Row-level security\nEvery tenant table has a policy comparing tenant_id with the transaction's "
     "app.tenant_id setting, set with SET LOCAL so a pooled connection never keeps it.\n"},
    {"guide/cache.md", "doc", "r1",
     "# Cache\n\nPredictions are cached in process and in Redis, keyed by model version and feature build.\n"},
    {"db/connection.cpp", "code", "r1",
     "// Sets app.tenant_id for the current transaction only.\nvoid set_tenant(pqxx::transaction_base& tx, const "
     "std::string& tenant_id) {\n    tx.exec_params(\"SELECT set_config('app.tenant_id', $1, true)\", tenant_id);\n}\n"},
};

}  // namespace

TEST_F(RagTest, ReindexSkipsUnchangedReplacesChangedAndRemovesWhatIsGone) {
    const std::string t = test::new_tenant("rag-inc");
    auto r = index(t, kDocs);
    EXPECT_EQ(r.indexed, 3u);
    EXPECT_GT(r.chunks, 0u);
    r = index(t, kDocs);
    EXPECT_EQ(r.unchanged, 3u);
    EXPECT_EQ(r.indexed, 0u);
    EXPECT_EQ(r.chunks, 0u);  // nothing embedded again

    auto changed = kDocs;
    changed[1].content += "\nEntries expire after an hour.\n";
    changed[1].revision = "r2";
    changed.erase(changed.begin());  // tenancy.md is gone
    r = index(t, changed);
    EXPECT_EQ(r.indexed, 1u);
    EXPECT_EQ(r.unchanged, 1u);
    EXPECT_EQ(r.removed, 1u);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_documents WHERE doc_path = 'guide/tenancy.md'"), 0);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_chunks WHERE doc_path = 'guide/tenancy.md'"), 0);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_chunks WHERE doc_path = 'guide/cache.md' AND revision = 'r2'"), 1);
}

// Each document is its own transaction: one that fails leaves the others, and its own previous version, as they were.
TEST_F(RagTest, AFailedDocumentLeavesThePreviousIndexUsable) {
    const std::string t = test::new_tenant("rag-fail");
    index(t, kDocs);
    auto next = kDocs;
    next[1].content += "\nEntries expire after an hour.\n";
    next[1].revision = "r2";
    next[2].content += "\ninvalid UTF-8: \xff\xfe\n";  // the database refuses it, mid-run
    next[2].revision = "r2";
    EXPECT_ANY_THROW(index(t, next));
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_documents"), 3);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_documents WHERE doc_path = 'guide/cache.md' AND revision = 'r2'"),
              1);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_documents WHERE doc_path = 'db/connection.cpp' AND revision = 'r1'"),
              1);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_chunks WHERE revision = 'r2' AND doc_path = 'db/connection.cpp'"),
              0);
    EXPECT_EQ(search(t, "row level security policy").front().doc_path, "guide/tenancy.md");
}

TEST_F(RagTest, DocumentsThatAreNotTextAreRefusedBeforeAnythingChanges) {
    const std::string t = test::new_tenant("rag-nul");
    index(t, kDocs);
    auto next = kDocs;
    next[0].revision = "r2";
    next[0].content += "x";
    next[2].content = std::string("binary\0data", 11);
    EXPECT_THROW(index(t, next), Error);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_documents WHERE revision = 'r1'"), 3);
}

TEST_F(RagTest, HybridSearchFindsTheAnswerAndSaysWhy) {
    const std::string t = test::new_tenant("rag-search");
    index(t, kDocs);
    const auto hits = search(t, "how is the tenant set for a transaction");
    ASSERT_FALSE(hits.empty());
    EXPECT_TRUE(hits[0].doc_path == "db/connection.cpp" || hits[0].doc_path == "guide/tenancy.md") << hits[0].doc_path;
    EXPECT_GT(hits[0].fts_rank, 0);
    EXPECT_GT(hits[0].vector_rank, 0);
    EXPECT_GT(hits[0].vector_score, 0.3);
    EXPECT_NE(hits[0].snippet.find("«"), std::string::npos);  // the matched words marked
    EXPECT_EQ(hits[0].revision, "r1");
    EXPECT_GE(hits[0].line_start, 1);
    // Meaning without shared words: only the vector side can find it.
    const auto cache = search(t, "where are forecasts memoised", 1);
    ASSERT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache[0].doc_path, "guide/cache.md");
    // Filters.
    rag::SearchQuery q;
    q.text = "tenant";
    q.kind = "code";
    for (const auto& h : rag::search(conn, t, q, *embedder)) EXPECT_EQ(h.kind, "code");
    q.kind.reset();
    q.path_prefix = "guide/";
    for (const auto& h : rag::search(conn, t, q, *embedder)) EXPECT_EQ(h.doc_path.rfind("guide/", 0), 0u);
    q.fusion = rag::Fusion::weighted;
    EXPECT_FALSE(rag::search(conn, t, q, *embedder).empty());
}

TEST_F(RagTest, ATenantsChunksAreInvisibleToAnother) {
    const std::string a = test::new_tenant("rag-a"), b = test::new_tenant("rag-b");
    index(a, {{"private/plan.md", "tenant_doc", "r1", "# Plan\nThe zanzibar substation upgrade is scheduled for March.\n"}});
    index(b, kDocs);
    EXPECT_FALSE(search(a, "zanzibar substation").empty());
    for (const auto& h : search(b, "zanzibar substation upgrade", 10)) EXPECT_NE(h.doc_path, "private/plan.md");
    EXPECT_EQ(test::count_as_app(conn, b, "SELECT 1 FROM rag_chunks WHERE content LIKE '%zanzibar%'"), 0);
    EXPECT_EQ(test::count_as_app(conn, "", "SELECT 1 FROM rag_chunks"), 0);  // no tenant set: nothing at all
    // Writing into another tenant's index is refused by the policy.
    pqxx::work tx(conn);
    db::set_tenant(tx, b);
    EXPECT_THROW(tx.exec_params("INSERT INTO rag_documents (tenant_id, doc_path, kind, revision, content_sha256, chunk_count) "
                                "VALUES ($1, 'x.md', 'doc', 'r', 'h', 0)",
                                a),
                 pqxx::sql_error);
}

// Full-text candidates come from rag_text_candidates (db/migrations/008, 019), which bypasses row-level security to
// use the GIN indexes: it must filter by the calling transaction's tenant itself, and its role read nothing but
// the chunks.
TEST_F(RagTest, FullTextCandidatesComeOnlyFromTheCallingTenant) {
    const std::string a = test::new_tenant("rag-fts-a"), b = test::new_tenant("rag-fts-b");
    index(a, {{"private/plan.md", "tenant_doc", "r1", "# Plan\nThe zanzibar substation upgrade is scheduled for March.\n"}});
    index(b, kDocs);
    const std::string zanzibar = "SELECT * FROM rag_text_candidates('zanzibar', 'zanzibar', NULL, NULL, NULL, '', 100, 10)";
    EXPECT_EQ(test::count_as_app(conn, a, zanzibar), 1);
    EXPECT_EQ(test::count_as_app(conn, b, zanzibar), 0);
    EXPECT_THROW(test::count_as_app(conn, "", zanzibar), pqxx::sql_error);  // no tenant set: refused
    EXPECT_EQ(test::count_as_app(conn, a, "SELECT * FROM rag_text_candidates('zanzibar', NULL, NULL, NULL, 'code', '', 100, 10)"),
              0);
    EXPECT_EQ(test::count_as_app(conn, a,
                                 "SELECT * FROM rag_text_candidates(NULL, 'zanzibar', NULL, NULL, NULL, 'public/', 100, 10)"),
              0);
    EXPECT_EQ(test::count_as_app(conn, a,
                                 "SELECT * FROM rag_text_candidates(NULL, NULL, 'zanzibar', 'zanzibar', NULL, '', 100, 10)"),
              0);

    rag::SearchQuery q;
    q.text = "zanzibar substation";
    q.mode = rag::Mode::fts;
    q.kind = "tenant_doc";
    q.path_prefix = "private/";
    ASSERT_EQ(rag::search(conn, a, q, *embedder).size(), 1u);
    EXPECT_TRUE(rag::search(conn, b, q, *embedder).empty());

    auto admin = db::connect(test::config().database_admin_url);
    pqxx::read_transaction tx(admin);
    EXPECT_EQ(
        tx.exec1("SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'rag_text_candidates'")[0].as<std::string>(),
        "voltedge_searcher");
    EXPECT_EQ(tx.exec1("SELECT string_agg(table_name || ' ' || privilege_type, ', ') FROM information_schema.role_table_grants "
                       "WHERE grantee = 'voltedge_searcher'")[0]
                  .as<std::string>(),
              "rag_chunks SELECT");
}

TEST_F(RagTest, BadQueriesNameTheField) {
    const auto field_of = [](rag::SearchQuery q) {
        try {
            rag::validate(q);
        } catch (const rag::BadQuery& e) {
            return e.field();
        }
        return std::string("accepted");
    };
    rag::SearchQuery q;
    q.text = "   ";
    EXPECT_EQ(field_of(q), "q");
    q.text = std::string(rag::kMaxQueryChars + 1, 'a');
    EXPECT_EQ(field_of(q), "q");
    q.text = "ok";
    q.k = 0;
    EXPECT_EQ(field_of(q), "k");
    q.k = rag::kMaxK + 1;
    EXPECT_EQ(field_of(q), "k");
    q.k = 5;
    q.kind = "secrets";
    EXPECT_EQ(field_of(q), "kind");
    q.kind = "doc";
    EXPECT_EQ(field_of(q), "accepted");
}

// GET /search: the key decides the tenant whose chunks are searched; bad parameters are 4xx naming them.
TEST_F(RagTest, SearchApiSeesOnlyTheKeysTenant) {
    const std::string a = test::new_tenant("rag-api-a"), b = test::new_tenant("rag-api-b");
    index(a, {{"private/plan.md", "tenant_doc", "r1", "# Plan\nThe zanzibar substation upgrade is scheduled for March.\n"}});
    index(b, kDocs);
    const std::string key_a = security::issue_api_key(test::config().database_admin_url, a, false, "test");
    const std::string key_b = security::issue_api_key(test::config().database_admin_url, b, false, "test");
    api::ApiServer server(test::config(), test::serve_options());
    server.start();
    const auto get = [&](const std::string& key, const std::string& query) {
        return test::call_api(server.port(), "GET", "/search?" + query, key);
    };
    const auto mine = get(key_a, "q=zanzibar+substation&k=3");
    ASSERT_EQ(mine.status, 200) << mine.text;
    EXPECT_EQ(mine.body["tenant_id"], a);
    EXPECT_EQ(mine.body["hits"][0]["doc_path"], "private/plan.md");
    EXPECT_EQ(mine.body["hits"][0]["revision"], "r1");
    const auto theirs = get(key_b, "q=zanzibar%20substation%20upgrade&k=10");
    ASSERT_EQ(theirs.status, 200);
    EXPECT_EQ(theirs.text.find("zanzibar substation upgrade is"), std::string::npos);
    for (const auto& h : theirs.body["hits"]) EXPECT_NE(h["doc_path"], "private/plan.md");

    EXPECT_EQ(get("", "q=plan").status, 401);
    for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{{"q=", "q"},
                                                                                       {"q=%20%20", "q"},
                                                                                       {"k=3", "q"},
                                                                                       {"q=x&k=0", "k"},
                                                                                       {"q=x&k=51", "k"},
                                                                                       {"q=x&k=ten", "k"},
                                                                                       {"q=x&kind=secrets", "kind"},
                                                                                       {"q=x&fusion=magic", "fusion"},
                                                                                       {"q=x&rerank=yes", "rerank"},
                                                                                       {"q=x&tenant=other", "tenant"}}) {
        const auto r = get(key_a, query);
        EXPECT_EQ(r.status, 422) << query << " " << r.text;
        EXPECT_EQ(r.body["error"]["field"], field) << query;
    }
    EXPECT_EQ(get(key_a, "q=x&q=y").status, 400);  // given twice
    EXPECT_EQ(get(key_a, "q=%zz").status, 400);    // a bad escape
}

// With VOLTEDGE_ANN_RECALL_SAMPLE_RATIO 1 every search is drawn for a recall sample, but the exact scan runs after
// the answer, on the sampler's own connection, and at most one a minute: two searches, one sample, of recall 1
// here (a tenant this small has no ANN index, so both scans are exact).
TEST_F(RagTest, AnnRecallIsSampledAfterTheAnswer) {
    const std::string t = test::new_tenant("rag-recall");
    index(t, kDocs);
    const std::string key = security::issue_api_key(test::config().database_admin_url, t, false, "test");
    const auto metric = [](const std::string& name) {  // a sample without labels, 0 before the first
        const std::string text = observability::metrics().render(), line = "\n" + name + " ";
        const auto at = text.find(line);
        return at == std::string::npos ? 0.0 : std::stod(text.substr(at + line.size()));
    };
    const auto samples = [&] { return metric("voltedge_search_ann_recall_ratio_count"); };
    const auto recall_sum = [&] { return metric("voltedge_search_ann_recall_ratio_sum"); };
    Config config = test::config();
    config.ann_recall_sample_ratio = 1;
    api::ApiServer server(config, test::serve_options());
    server.start();
    const double before = samples(), sum_before = recall_sum();
    for (int i = 0; i < 2; ++i)
        ASSERT_EQ(test::call_api(server.port(), "GET", "/search?q=substation+feeder&k=3", key).status, 200);
    for (int i = 0; i < 100 && samples() == before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(samples() - before, 1);
    EXPECT_DOUBLE_EQ(recall_sum() - sum_before, 1.0);
}

// A tenant past the ANN threshold gets its own partial HNSW index, whose graph search finds the same nearest
// chunks as the exact scan here (a few dozen chunks), filters included; below half the threshold it is dropped.
// Term counts follow every insert and delete.
TEST_F(RagTest, ALargeTenantGetsItsOwnAnnIndexAndTermCounts) {
    const std::string t = test::new_tenant("rag-ann"), other = test::new_tenant("rag-ann-other");
    std::vector<rag::SourceDocument> docs = kDocs;
    for (int i = 0; i < 30; ++i)
        docs.push_back({"notes/" + std::to_string(i) + ".md", "tenant_doc", "r1",
                        "# Note " + std::to_string(i) + "\nFeeder " + std::to_string(i) + " peaks at " +
                            std::to_string(100 + 7 * i) + " kW on winter evenings; substation " + std::to_string(i % 4) +
                            " carries it.\n"});
    index(t, docs);
    index(other, kDocs);
    const auto chunks = test::count_as_app(conn, t, "SELECT 1 FROM rag_chunks");
    EXPECT_EQ(rag::maintain_ann_index(conn, other, static_cast<int>(chunks)), "exact");
    EXPECT_EQ(rag::maintain_ann_index(conn, t, static_cast<int>(chunks)), "built");
    EXPECT_EQ(rag::maintain_ann_index(conn, t, static_cast<int>(chunks)), "kept");
    const auto plan = [&](const std::string& tenant) {
        return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
            // Only an index can give this order without a sort: the plan then shows which index the tenant may use,
            // whatever the table's statistics say at the moment (with few rows, a sort would otherwise win).
            tx.exec("SET LOCAL enable_seqscan = off");
            tx.exec("SET LOCAL enable_sort = off");
            std::string text;
            for (const auto& row : tx.exec_params("EXPLAIN SELECT ordinal FROM rag_chunks WHERE tenant_id = $1 "
                                                  "ORDER BY embedding <=> (SELECT embedding FROM rag_chunks LIMIT 1) LIMIT 5",
                                                  tenant))
                text += row[0].as<std::string>() + "\n";
            return text;
        });
    };
    EXPECT_NE(plan(t).find("rag_chunks_hnsw_"), std::string::npos) << plan(t);
    EXPECT_EQ(plan(other).find("rag_chunks_hnsw_"), std::string::npos) << plan(other);  // not another tenant's index
    for (const auto& path_prefix : {std::string(), std::string("notes/")}) {
        rag::SearchQuery q;
        q.text = "which feeder peaks at 177 kW";
        q.mode = rag::Mode::vector;
        q.path_prefix = path_prefix;
        const auto approximate = rag::search(conn, t, q, *embedder);
        q.exact = true;
        const auto exact = rag::search(conn, t, q, *embedder);
        ASSERT_EQ(approximate.size(), exact.size());
        for (std::size_t i = 0; i < exact.size(); ++i) EXPECT_EQ(approximate[i].doc_path, exact[i].doc_path) << i;
    }
    // Term counts: "feeder" is in each of the 30 notes; removing 10 notes removes 10 from the count.
    const auto feeder_chunks = [&] {
        return db::with_tenant(conn, t, [&](pqxx::transaction_base& tx) {
            const auto r = tx.exec("SELECT chunks FROM rag_terms WHERE config = 'english' AND lexeme = 'feeder'");
            return r.empty() ? 0 : r[0][0].as<int>();
        });
    };
    EXPECT_EQ(feeder_chunks(), 30);
    docs.resize(docs.size() - 10);
    index(t, docs);
    EXPECT_EQ(feeder_chunks(), 20);
    EXPECT_EQ(rag::maintain_ann_index(conn, t, static_cast<int>(chunks) * 3), "dropped");
    EXPECT_EQ(plan(t).find("rag_chunks_hnsw_"), std::string::npos);
    index(t, {});
    EXPECT_EQ(feeder_chunks(), 0);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM rag_terms"), 0);
}

// Relevance regression: the project's own tree indexed as `make index` does, scored on the golden set. Hybrid
// must beat both components on recall@10, MRR and nDCG@10 (measured: recall@10 0.683 against 0.653 for vectors
// and 0.537 for full text).
TEST_F(RagTest, HybridBeatsBothComponentsOnTheGoldenSet) {
    const std::string t = test::project_tree_tenant(*embedder);
    const auto golden = evaluations::load_golden(std::string(VOLTEDGE_SOURCE_DIR) + "/evaluations/golden/demo/retrieval.jsonl",
                                                 VOLTEDGE_SOURCE_DIR);
    ASSERT_GE(golden.size(), 50u);
    const auto report = evaluations::evaluate_retrieval(conn, t, golden, *embedder);
    std::cout << evaluations::format_report(report);
    ASSERT_EQ(report.modes.size(), 4u);
    const auto& fts = report.modes[0];
    const auto& vector = report.modes[1];
    const auto& hybrid = report.modes[2];
    const auto& reranked = report.modes[3];
    EXPECT_GE(report.answerable, 40u);
    EXPECT_GE(report.unanswerable, 10u);
    EXPECT_GT(hybrid.recall_at_10, fts.recall_at_10);
    EXPECT_GT(hybrid.recall_at_10, vector.recall_at_10);
    EXPECT_GT(hybrid.mrr, fts.mrr);
    EXPECT_GT(hybrid.mrr, vector.mrr);
    EXPECT_GT(hybrid.ndcg_at_10, fts.ndcg_at_10);
    EXPECT_GT(hybrid.ndcg_at_10, vector.ndcg_at_10);
    EXPECT_GE(hybrid.recall_at_10, 0.62);
    EXPECT_GE(hybrid.mrr, 0.65);
    // The lexical re-rank is kept for what it measures: more answers in the top 5 (0.559 against 0.534 since the
    // full-text pre-selection of migration 021; when it was tuned, more in the top 10: 0.709 against 0.683), the
    // first answer a little lower (MRR 0.631 against 0.654). Since 021 its recall@10 is level with hybrid's
    // (0.670 both, 0.674 against 0.664 on a tree of a few lines less), and so is its nDCG@10: 0.554 against 0.552,
    // 0.555 against 0.559 and 0.553 against 0.561 as README paragraphs came and went (2026-12-04), the indexed tree
    // being the test's input. Neither may fall behind by more than that noise.
    EXPECT_GT(reranked.recall_at_5, hybrid.recall_at_5);
    EXPECT_GE(reranked.recall_at_10, hybrid.recall_at_10 - 0.01);
    EXPECT_GE(reranked.ndcg_at_10, hybrid.ndcg_at_10 - 0.01);
    // Questions nothing answers look less like their best hit than answered ones do (what abstention will use).
    EXPECT_LT(vector.top_vector_score_unanswerable, vector.top_vector_score_answerable);
}

TEST(RagEvaluation, ScoresCountDocumentsAndSpans) {
    evaluations::GoldenQuestion q{"q", "?", {{"a.md", 10, 20}, {"b.cpp", 0, 0}}};
    rag::Hit in_span, outside, anywhere;
    in_span.doc_path = "a.md", in_span.line_start = 18, in_span.line_end = 30;
    outside.doc_path = "a.md", outside.line_start = 21, outside.line_end = 25;
    anywhere.doc_path = "b.cpp", anywhere.line_start = 500, anywhere.line_end = 510;
    EXPECT_TRUE(evaluations::is_relevant(in_span, q));
    EXPECT_FALSE(evaluations::is_relevant(outside, q));
    EXPECT_TRUE(evaluations::is_relevant(anywhere, q));
}

TEST(RagEvaluation, GoldenSpansAreFoundByTheirTextAndAStaleOneIsAnError) {
    const std::string doc = "# Title\nintro\nvoid f() {\n  return;\n}\nvoid g() {\n}\n";
    EXPECT_EQ(evaluations::find_span(doc, "void f()", "}"), std::make_pair(3, 5));
    EXPECT_EQ(evaluations::find_span(doc, "void g()", "}"), std::make_pair(6, 7));
    EXPECT_EQ(evaluations::find_span(doc, "intro", ""), std::make_pair(2, 2));
    EXPECT_THROW(evaluations::find_span(doc, "void", "}"), Error);           // on two lines: ambiguous
    EXPECT_THROW(evaluations::find_span(doc, "void h()", "}"), Error);       // gone
    EXPECT_THROW(evaluations::find_span(doc, "void g()", "return"), Error);  // its end is not after it
}

TEST(RagSources, ProjectDocumentsAndTheDataDictionary) {
    const auto docs = rag::project_documents(VOLTEDGE_SOURCE_DIR);
    const auto has = [&](const std::string& path, const std::string& kind) {
        return std::any_of(docs.begin(), docs.end(), [&](const auto& d) { return d.path == path && d.kind == kind; });
    };
    EXPECT_TRUE(has("README.md", "doc"));
    EXPECT_TRUE(has("db/connection.cpp", "code"));
    EXPECT_TRUE(has("db/migrations/001_tenancy.sql", "code"));
    EXPECT_TRUE(has("scripts/devstack", "code"));
    EXPECT_FALSE(has("tests/data/kaggle-head.csv", "code"));
    EXPECT_TRUE(has("n8n/nightly-evaluation.json", "code"));
    EXPECT_FALSE(has("n8n/package-lock.json", "code"));  // npm's lock file is data, not something to cite
    for (const auto& d : docs) EXPECT_TRUE(d.revision.size() == 40 || d.revision == "uncommitted") << d.path;
    const auto dictionary = rag::data_dictionary();
    EXPECT_NE(dictionary.content.find("## Table rag_chunks"), std::string::npos);
    EXPECT_NE(dictionary.content.find("| tenant_id |"), std::string::npos);
    EXPECT_NE(dictionary.content.find("Sub_metering_3"), std::string::npos);
}

// A tenant past the full-text threshold gets GIN indexes of its own: its searches use them and find what they
// found through the shared ones; another tenant's searches never use them; below half the threshold they go.
TEST_F(RagTest, ALargeTenantGetsItsOwnTextIndexes) {
    const std::string t = test::new_tenant("rag-gin"), other = test::new_tenant("rag-gin-other");
    index(t, kDocs);
    index(other, kDocs);
    const auto chunks = static_cast<int>(test::count_as_app(conn, t, "SELECT 1 FROM rag_chunks"));
    rag::SearchQuery q;
    q.text = "how is the tenant set for a transaction";
    q.mode = rag::Mode::fts;
    const auto shared = rag::search(conn, t, q, *embedder);
    ASSERT_FALSE(shared.empty());
    // The tenant's own indexes, as the catalog defines them. Which index a plan picks depends on costs that a
    // tenant of a few chunks cannot show (its primary key wins); search_bench shows them used at 20,000 chunks and
    // more.
    auto admin = db::connect(test::config().database_admin_url);
    const auto own_indexes = [&](const std::string& tenant) {
        pqxx::read_transaction tx(admin);
        std::string defs;
        for (const auto& row : tx.exec_params("SELECT indexdef FROM pg_indexes WHERE tablename = 'rag_chunks' AND "
                                              "indexname = ANY(rag_text_index_names($1)) ORDER BY indexname",
                                              tenant))
            defs += row[0].as<std::string>() + "\n";
        return defs;
    };
    EXPECT_EQ(rag::maintain_text_index(conn, other, chunks + 1), "shared");
    EXPECT_EQ(rag::maintain_text_index(conn, t, chunks), "built");
    EXPECT_EQ(rag::maintain_text_index(conn, t, chunks), "kept");
    const std::string defs = own_indexes(t);
    EXPECT_NE(defs.find("USING gin (fts_english) WHERE (tenant_id = '" + t + "'::text)"), std::string::npos) << defs;
    EXPECT_NE(defs.find("USING gin (fts_simple) WHERE (tenant_id = '" + t + "'::text)"), std::string::npos) << defs;
    EXPECT_EQ(own_indexes(other), "");
    const auto own = rag::search(conn, t, q, *embedder);
    ASSERT_EQ(own.size(), shared.size());
    for (std::size_t i = 0; i < own.size(); ++i) {
        EXPECT_EQ(own[i].doc_path, shared[i].doc_path) << i;
        EXPECT_EQ(own[i].ordinal, shared[i].ordinal) << i;
    }
    EXPECT_THROW(db::with_tenant(
                     conn, other,
                     [&](pqxx::transaction_base& tx) {
        tx.exec_params("SELECT rag_maintain_text_index($1, 1)", t);  // only for its own tenant
                     }),
                 pqxx::sql_error);
    EXPECT_EQ(rag::maintain_text_index(conn, t, chunks * 3), "dropped");
    EXPECT_EQ(own_indexes(t), "");
}
