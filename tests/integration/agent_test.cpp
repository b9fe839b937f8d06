// The /ask agent against the real Postgres (checkpoints under row-level security) with the real embedding
// model: answers cite retrieved chunks, unanswerable questions abstain, threads are stored step by step,
// redacted, and visible only to their tenant.
#include <gtest/gtest.h>

#include <set>

#include "agents/agent.h"
#include "agents/checkpoints.h"
#include "agents/extractive.h"
#include "evaluations/answer_eval.h"
#include "api/server.h"
#include "cli/agent_tools.h"
#include "db/connection.h"
#include "http/server.h"
#include "rag/chunker.h"
#include "rag/index.h"
#include "rag/search.h"
#include "rag/sentences.h"
#include "security/tenants.h"
#include "support.h"

using namespace voltedge;

namespace {

const std::vector<rag::SourceDocument> kGuide = {
    {"guide/tenancy.md", "doc", "r1",
     "# Tenancy\n\n## Row-level security\nEvery tenant table has a row-level security policy comparing tenant_id with "
     "the transaction's app.tenant_id setting. The setting is made with SET LOCAL, so a pooled connection never keeps "
     "it between requests.\n"},
    {"guide/cache.md", "doc", "r1",
     "# Cache\n\nPredictions are cached in process and in Redis, keyed by model version and feature build. A cached "
     "prediction expires after one hour.\n"},
    {"guide/ingest.md", "doc", "r1",
     "# Ingestion\n\nThe energy identity check counts the minutes where the three sub-meters together exceed the total "
     "active energy by more than a tolerance.\n"},
};

class AgentTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { embedder = new rag::Embedder(rag::Embedder::load(rag::default_model_dir())); }
    static void TearDownTestSuite() { delete embedder; }

    std::string indexed_tenant(const std::string& name) {
        const std::string t = test::new_tenant(name);
        rag::index_documents(conn, t, kGuide, *embedder);
        return t;
    }
    agents::Answer ask(const std::string& tenant, const std::string& question, agents::Backend backend = agents::Backend::graph,
                       const std::string& thread = "") {
        agents::AskRequest r;
        r.question = question;
        r.backend = backend;
        r.thread_id = thread;
        return agents::Agent(*embedder, {}).ask(conn, tenant, r);
    }

    static inline rag::Embedder* embedder = nullptr;
    pqxx::connection conn = db::connect(test::config().database_url);
};

agents::Evidence evidence(std::string doc_path, std::string kind, std::string content) {
    agents::Evidence e;
    e.doc_path = std::move(doc_path);
    e.kind = std::move(kind);
    e.content = std::move(content);
    return e;
}

}  // namespace

// A test restating what the documentation says is cited only when the documentation has no sentence that
// answers: here the test's sentence matches the question better, and the answer quotes the guide alone, even
// with room for a second sentence.
TEST_F(AgentTest, AnswersCiteTheDocumentationBeforeATestThatRestatesIt) {
    const std::string question = "How long does a cached prediction stay valid?";
    const auto test_file = evidence("tests/integration/cache_test.cpp", "code",
                                    "// A cached prediction stays valid for one hour, then it expires and is computed again.\n");
    const auto guide = evidence("guide/cache.md", "doc",
                                "Predictions are cached in Redis. A cached prediction expires after one hour.\n");
    const auto q = embedder->embed(question);
    const auto both = agents::select_sentences(question, q, {test_file, guide}, {}, *embedder, 2, 0.3);
    ASSERT_EQ(both.size(), 1u);
    EXPECT_EQ(both[0].evidence, 1) << "cited " << both[0].text;
    const auto only_test = agents::select_sentences(question, q, {test_file}, {}, *embedder, 1, 0.3);
    ASSERT_EQ(only_test.size(), 1u);  // a secondary source still answers when it is all there is
    EXPECT_EQ(only_test[0].evidence, 0);
    // The guide's sentence alone scores lower than the test's: the order, not the score, chose it.
    const auto guide_only = agents::select_sentences(question, q, {guide}, {}, *embedder, 1, 0.3);
    ASSERT_EQ(guide_only.size(), 1u);
    EXPECT_LT(guide_only[0].score, only_test[0].score);
}

// Asked for an amount of money, the composer quotes only sentences that state one; with none, nothing is chosen
// (the agent abstains) rather than the nearest sentence about the household.
TEST_F(AgentTest, AQuestionAboutMoneyIsAnsweredOnlyByASentenceThatStatesSome) {
    const std::string question = "What is the household's annual electricity bill in euros?";
    const auto data = evidence("guide/data.md", "doc",
                               "The household near Paris used about 9,000 kWh of electricity a year, one reading a minute.\n");
    const auto tariff = evidence("guide/tariff.md", "doc",
                                 "Its electricity bill came to 1,450 euros a year at the regulated tariff.\n");
    const auto q = embedder->embed(question);
    EXPECT_TRUE(agents::select_sentences(question, q, {data}, {}, *embedder, 2, 0.3).empty());
    const auto both = agents::select_sentences(question, q, {data, tariff}, {}, *embedder, 2, 0.3);
    ASSERT_EQ(both.size(), 1u);
    EXPECT_EQ(both[0].evidence, 1) << both[0].text;
    // Without the money question the data sentence is an answer as before.
    const std::string usage = "How much electricity does the household use in a year?";
    EXPECT_FALSE(agents::select_sentences(usage, embedder->embed(usage), {data}, {}, *embedder, 2, 0.3).empty());
}

// Copies of one paragraph (the five backtest cards share theirs) take one place among the evidence chunks, so
// the answer has the other documents to choose from too.
TEST_F(AgentTest, CopiesOfAChunkAreOneEvidenceChunk) {
    const std::string t = test::new_tenant("agent-copies");
    auto docs = kGuide;
    for (const std::string card : {"a", "b", "c", "d"})
        docs.push_back({"cards/cache-" + card + ".md", "doc", "r1", kGuide[1].content});
    rag::index_documents(conn, t, docs, *embedder);
    const auto a = ask(t, "How long does a cached prediction stay valid?");
    ASSERT_EQ(a.state.status, agents::Status::answered) << a.state.reason;
    std::size_t copies = 0;
    std::set<std::string> paths;
    for (const auto& e : a.state.evidence) {
        copies += e.content.find("A cached prediction expires after one hour.") != std::string::npos;
        paths.insert(e.doc_path);
    }
    EXPECT_EQ(copies, 1u);
    EXPECT_TRUE(paths.count("guide/tenancy.md") && paths.count("guide/ingest.md"));  // the rest is all there
    EXPECT_EQ(paths.size(), 3u);  // one of the five documents holding the paragraph
}

// The index stores the embedding of every quotable sentence with its chunk, under the tenant's row-level
// security; an answer then embeds only its question. Without them (a chunk indexed before they were stored)
// the composer embeds the sentences itself and answers the same.
TEST_F(AgentTest, IndexedSentencesAreEmbeddedOnceSoAnAnswerEmbedsOnlyItsQuestion) {
    const std::string t = indexed_tenant("agent-sentences");
    const std::string other = test::new_tenant("agent-sentences-other");
    std::vector<rag::ChunkRef> chunks;
    std::map<std::string, std::vector<std::string>> quotable;  // chunk id -> its quotable sentences
    std::map<std::string, std::string> sections;               // chunk id -> its section
    for (const auto& doc : kGuide) {
        const auto parts = rag::chunk_document(doc.content, rag::format_of(doc.path));
        for (std::size_t i = 0; i < parts.size(); ++i) {
            chunks.push_back({doc.path, static_cast<int>(i)});
            const auto sentences = rag::quotable_sentences(parts[i].content, doc.kind);
            if (sentences.empty()) continue;
            quotable[doc.path + "#" + std::to_string(i)] = sentences;
            sections[doc.path + "#" + std::to_string(i)] = parts[i].section;
        }
    }
    const auto stored = rag::stored_sentence_embeddings(conn, t, chunks);
    ASSERT_EQ(stored.size(), quotable.size());
    ASSERT_EQ(quotable.size(), kGuide.size());  // one chunk of each guide has prose
    for (const auto& [chunk, sentences] : quotable) {
        ASSERT_EQ(stored.at(chunk).size(), sentences.size()) << chunk;
        for (const auto& text : sentences) {
            const auto& v = stored.at(chunk).at(rag::sentence_key(text));
            ASSERT_FALSE(sections.at(chunk).empty()) << chunk;  // so that embedding it under its heading matters
            const auto fresh = embedder->embed(rag::in_section(sections.at(chunk), text));
            ASSERT_EQ(v.size(), fresh.size());
            for (std::size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(v[i], fresh[i], 1e-5) << text;
        }
    }
    EXPECT_TRUE(rag::stored_sentence_embeddings(conn, other, chunks).empty());  // another tenant reads none of them
    EXPECT_EQ(test::count_as_app(conn, other, "SELECT 1 FROM rag_chunk_sentences"), 0);

    const std::string question = "How long does a cached prediction stay valid?";
    const auto question_tokens = static_cast<long long>(embedder->tokenize(question).size());
    const auto with_stored = ask(t, question);
    ASSERT_EQ(with_stored.state.status, agents::Status::answered) << with_stored.state.reason;
    EXPECT_EQ(with_stored.state.usage.embedded_tokens, question_tokens);

    db::with_tenant(conn, t, [](pqxx::work& tx) { tx.exec("DELETE FROM rag_chunk_sentences"); });
    const auto without = ask(t, question);
    EXPECT_EQ(without.text, with_stored.text);
    EXPECT_GT(without.state.usage.embedded_tokens, question_tokens);
}

// Retrieval embeds the question while its full-text stage runs and hands the embedding to the composer; with a
// second connection (as the API gives when one is free) the vector stage runs on it. Same answer either way,
// and the question is embedded once.
TEST_F(AgentTest, RetrievalOnASecondConnectionAnswersAsOnOne) {
    const std::string t = indexed_tenant("agent-second-conn");
    agents::AskRequest r;
    r.question = "How long does a cached prediction stay valid?";
    const agents::Agent agent(*embedder, {});
    pqxx::connection second = db::connect(test::config().database_url);
    const auto one = agent.ask(conn, t, r);
    const auto two = agent.ask(conn, t, r, &second);
    ASSERT_EQ(one.state.status, agents::Status::answered) << one.state.reason;
    EXPECT_EQ(two.text, one.text);
    ASSERT_EQ(two.citations.size(), one.citations.size());
    for (std::size_t i = 0; i < one.citations.size(); ++i) EXPECT_EQ(two.citations[i].chunk_id, one.citations[i].chunk_id);
    const auto question_tokens = static_cast<long long>(embedder->tokenize(r.question).size());
    EXPECT_EQ(one.state.usage.embedded_tokens, question_tokens);
    EXPECT_EQ(two.state.usage.embedded_tokens, question_tokens);

    std::vector<float> handed_back;
    rag::SearchQuery q;
    q.text = r.question;
    rag::search(conn, t, q, *embedder, &second, &handed_back);
    const auto fresh = embedder->embed(r.question);
    ASSERT_EQ(handed_back.size(), fresh.size());
    for (std::size_t i = 0; i < fresh.size(); ++i) EXPECT_NEAR(handed_back[i], fresh[i], 1e-6);
}

TEST_F(AgentTest, AnswersOnlyFromRetrievedChunksWithACitationPerSentence) {
    const std::string t = indexed_tenant("agent-answer");
    for (const auto backend : {agents::Backend::graph, agents::Backend::chain, agents::Backend::minimal}) {
        const auto a = ask(t, "How does row-level security keep tenants apart?", backend);
        ASSERT_EQ(a.state.status, agents::Status::answered) << agents::to_string(backend) << ": " << a.text;
        ASSERT_FALSE(a.citations.empty());
        EXPECT_EQ(a.citations[0].doc_path, "guide/tenancy.md") << a.text;
        EXPECT_NE(a.text.find("[1]"), std::string::npos);
        for (const auto& s : a.state.sentences) {
            const auto& e = a.state.evidence.at(static_cast<std::size_t>(s.evidence));
            EXPECT_NE(e.content.find(s.text), std::string::npos) << s.text;  // quoted word for word
        }
        for (const auto& c : a.citations) {
            EXPECT_EQ(c.revision, "r1");
            EXPECT_FALSE(c.quote.empty());
        }
        if (backend == agents::Backend::minimal) {
            EXPECT_EQ(a.state.sentences.size(), 1u);
        }
    }
}

TEST_F(AgentTest, AbstainsWhenNothingIndexedAnswers) {
    const std::string t = indexed_tenant("agent-abstain");
    const auto a = ask(t, "What is the capital of Australia?");
    EXPECT_EQ(a.state.status, agents::Status::abstained) << a.text;
    EXPECT_EQ(a.text.rfind("ABSTAIN: ", 0), 0u) << a.text;
    EXPECT_TRUE(a.citations.empty());
    const std::string empty = test::new_tenant("agent-empty-index");
    EXPECT_EQ(ask(empty, "How does row-level security keep tenants apart?").state.status, agents::Status::abstained);
}

TEST_F(AgentTest, EveryStepIsCheckpointedRedactedAndAFollowUpContinuesTheThread) {
    const std::string t = indexed_tenant("agent-threads");
    const auto first = ask(t, "How long is a cached prediction kept? Reply to ops@example.com");
    ASSERT_EQ(first.state.status, agents::Status::answered) << first.text;
    const auto thread = agents::load_thread(conn, t, first.state.thread_id);
    ASSERT_TRUE(thread);
    ASSERT_EQ(thread->steps.size(), 4u);
    const std::vector<std::string> nodes = {"planner", "retrieve", "solve", "critic"};
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        EXPECT_EQ(thread->steps[i].step, static_cast<int>(i));
        EXPECT_EQ(thread->steps[i].node, nodes[i]);
    }
    EXPECT_EQ(thread->status, "answered");
    EXPECT_EQ(thread->question.find("ops@example.com"), std::string::npos) << thread->question;
    for (const auto& step : thread->steps) EXPECT_EQ(step.state.dump().find("ops@example.com"), std::string::npos);
    EXPECT_EQ(test::count_as_app(conn, t, "SELECT 1 FROM agent_checkpoints WHERE state::text LIKE '%example.com%'"), 0);

    const auto follow_up = ask(t, "And what does the energy identity check count?", agents::Backend::graph,
                               first.state.thread_id);
    EXPECT_EQ(follow_up.state.thread_id, first.state.thread_id);
    const auto again = agents::load_thread(conn, t, first.state.thread_id);
    ASSERT_EQ(again->steps.size(), 8u);
    EXPECT_EQ(again->steps.back().step, 7);
}

TEST_F(AgentTest, AnotherTenantsThreadIsUnknown) {
    const std::string a = indexed_tenant("agent-tenant-a"), b = indexed_tenant("agent-tenant-b");
    const auto mine = ask(a, "How does row-level security keep tenants apart?");
    EXPECT_FALSE(agents::load_thread(conn, b, mine.state.thread_id));
    EXPECT_THROW(ask(b, "and the cache?", agents::Backend::graph, mine.state.thread_id), agents::UnknownThread);
    EXPECT_EQ(test::count_as_app(conn, b, "SELECT 1 FROM agent_checkpoints"), 0);
    EXPECT_EQ(test::count_as_app(conn, "", "SELECT 1 FROM agent_threads"), 0);
}

TEST_F(AgentTest, AskApiAnswersShowsThreadsAndNamesBadFields) {
    const std::string a = indexed_tenant("agent-api-a"), b = indexed_tenant("agent-api-b");
    const std::string key_a = security::issue_api_key(test::config().database_admin_url, a, false, "test");
    const std::string key_b = security::issue_api_key(test::config().database_admin_url, b, false, "test");
    api::ApiServer server(test::config(), test::serve_options());
    server.start();
    const auto post = [&](const std::string& key, const std::string& body) {
        return test::call_api(server.port(), "POST", "/ask", key, body);
    };
    const auto answered = post(key_a, R"({"question": "How does row-level security keep tenants apart?"})");
    ASSERT_EQ(answered.status, 200) << answered.text;
    EXPECT_EQ(answered.body["status"], "answered");
    EXPECT_EQ(answered.body["abstained"], false);
    EXPECT_EQ(answered.body["citations"][0]["doc_path"], "guide/tenancy.md");
    EXPECT_EQ(answered.body["steps"].size(), 4u);
    const auto abstained = post(key_a, R"({"question": "What is the capital of Australia?", "backend": "chain"})");
    ASSERT_EQ(abstained.status, 200) << abstained.text;
    EXPECT_EQ(abstained.body["status"], "abstained");
    EXPECT_EQ(abstained.body["abstained"], true);

    const std::string thread = answered.body["thread_id"];
    const auto shown = test::call_api(server.port(), "GET", "/ask/" + thread, key_a);
    ASSERT_EQ(shown.status, 200) << shown.text;
    EXPECT_EQ(shown.body["steps"].size(), 4u);
    EXPECT_EQ(test::call_api(server.port(), "GET", "/ask/" + thread, key_b).status, 404);  // not b's
    EXPECT_EQ(post(key_b, R"({"question": "and the cache?", "thread_id": ")" + thread + "\"}").status, 404);
    EXPECT_EQ(test::call_api(server.port(), "GET", "/ask/not-a-thread", key_a).status, 404);
    EXPECT_EQ(post("", R"({"question": "x"})").status, 401);

    for (const auto& [body, field] :
         std::vector<std::pair<std::string, std::string>>{{R"({"question": ""})", "question"},
                                                          {R"({"question": "   "})", "question"},
                                                          {R"({"question": ")" + std::string(1001, 'a') + "\"}", "question"},
                                                          {R"({})", "question"},
                                                          {R"({"question": 7})", "question"},
                                                          {R"({"question": "x", "thread_id": "nope"})", "thread_id"},
                                                          {R"({"question": "x", "thread_id": ""})", "thread_id"},
                                                          {R"({"question": "x", "max_citations": 0})", "max_citations"},
                                                          {R"({"question": "x", "max_citations": 11})", "max_citations"},
                                                          {R"({"question": "x", "backend": "llm"})", "backend"},
                                                          {R"({"question": "x", "tenant_id": "other"})", "tenant_id"}}) {
        const auto r = post(key_a, body);
        EXPECT_EQ(r.status, 422) << body << " " << r.text;
        EXPECT_EQ(r.body["error"]["field"], field) << body;
    }
    EXPECT_EQ(post(key_a, "not json").status, 400);
    EXPECT_EQ(post(key_a, R"({"question": "a", "question": "b"})").status, 400);
}

// Answer evaluation on the golden set, on this project's tree indexed as `make index` does. The floors are
// what the extractive composer measured (graph: answered 0.81, grounding 1.0, citations 0.67, correct abstain
// 0.89, hallucination 0.015 on the demo index), with a little room: a regression guard, short of the issue's
// targets (citations and abstention >= 0.95, hallucination 0), which README says are not met yet.
TEST_F(AgentTest, GoldenAnswersAreGroundedAndCitedAndMostUnanswerablesAbstain) {
    const std::string t = test::project_tree_tenant(*embedder);
    const auto cases = evaluations::load_answer_cases(std::string(VOLTEDGE_SOURCE_DIR) +
                                                      "/evaluations/golden/demo/answers.jsonl");
    // Tools as the command line has them, without a forecaster: this tenant has no data or models, so the data
    // tools say so; the documentation search and the drafted write tools work.
    jobs::HandlerRegistry handlers;
    jobs::InlineQueue queue(handlers);
    const auto tools = cli::agent_tools(test::config(), *embedder, nullptr, &queue);
    const auto report = evaluations::evaluate_answers(conn, t, cases, *embedder, {},
                                                      {agents::Backend::graph, agents::Backend::chain, agents::Backend::minimal},
                                                      &tools);
    std::cout << evaluations::format_answer_report(report);
    ASSERT_EQ(report.backends.size(), 3u);
    const auto& graph = report.backends[0];
    EXPECT_GE(graph.answerable, 40u);
    EXPECT_GE(graph.unanswerable, 15u);
    EXPECT_GE(graph.tool_cases, 10u);
    EXPECT_GE(graph.injections, 5u);
    for (const auto& b : report.backends) {
        EXPECT_EQ(b.grounded, b.sentences) << agents::to_string(b.backend);  // every quoted sentence supported
        // None on 2026-12-04 (the target); one is allowed here, so one edited document does not fail the build.
        EXPECT_LE(b.hallucinated, 1u) << agents::to_string(b.backend);
        EXPECT_EQ(b.injections_resisted, b.injections) << agents::to_string(b.backend);
    }
    EXPECT_GE(evaluations::rate(graph.answered, graph.answerable), 0.75);
    // 1.000 on 2026-12-04 (target 0.95): one miss in the 16 allowed.
    EXPECT_GE(evaluations::rate(graph.abstained_correctly, graph.unanswerable), 0.9);
    // 0.741 on 2026-12-04 (sentences embedded under their section headings; 0.743 before)
    EXPECT_GE(evaluations::rate(graph.correct_citations, graph.citations), 0.7);
    EXPECT_GE(graph.tool_correct, 5u);  // search, run_eval twice, open_pr, file_issue
}

namespace {

// A stand-in for an OpenAI-compatible server (the real one is llama-server from make llm, measured by
// voltedge eval answers): answers with `reply(id)`, where id is the chunk id the prompt gave the tenancy guide.
test::RecordingServer fake_llm(std::function<nlohmann::json(const std::string& tenancy_id)> reply) {
    return test::RecordingServer(
        {{"POST", "/v1/chat/completions", [reply](const http::Request& r, http::Response& res) {
              const std::string prompt = nlohmann::json::parse(r.body)["messages"][1]["content"];
              const auto at = prompt.find("] (guide/tenancy.md)");
              const auto open = at == std::string::npos ? at : prompt.rfind('[', at);
              res.body = reply(at == std::string::npos ? "c1" : prompt.substr(open + 1, at - open - 1)).dump();
          }}});
}

nlohmann::json completion(const nlohmann::json& sentences, const std::string& finish = "stop") {
    return {{"choices",
             {{{"message", {{"role", "assistant"}, {"content", nlohmann::json{{"sentences", sentences}}.dump()}}},
               {"finish_reason", finish}}}},
            {"usage", {{"prompt_tokens", 1000}, {"completion_tokens", 40}}}};
}

}  // namespace

TEST_F(AgentTest, TheGenerativeComposerKeepsOnlySentencesItsCitedChunksSupport) {
    const std::string t = indexed_tenant("agent-llm");
    auto llm = fake_llm([](const std::string& id) {
        return completion(
            {{{"text", "The setting is made with SET LOCAL, so a pooled connection never keeps it between requests."},
              {"chunk_ids", {id}}},
             {{"text", "Each tenant gets its own database server on a separate continent."}, {"chunk_ids", {id}}},
             {{"text", "Row-level security compares tenant_id with app.tenant_id."}, {"chunk_ids", {"c99"}}}});
    });
    agents::AgentOptions options;
    options.llm = agents::LlmConfig{llm.url() + "/v1", "smollm2", "sk-test-0123456789abcdefghij", 200, 0.5, 1.5};
    agents::AskRequest r;
    r.question = "How does row-level security keep tenants apart? Mail ops@example.com if unsure.";
    const auto a = agents::Agent(*embedder, options).ask(conn, t, r);
    ASSERT_EQ(agents::to_string(a.state.status), "answered") << a.text;
    EXPECT_EQ(a.state.composer, "llm");
    ASSERT_EQ(a.state.sentences.size(), 1u);  // the invented one and the one citing no given chunk are dropped
    EXPECT_EQ(a.citations[0].doc_path, "guide/tenancy.md");
    EXPECT_NE(a.state.composer_note.find("dropped"), std::string::npos) << a.state.composer_note;
    EXPECT_EQ(a.state.usage.prompt_tokens, 1000);
    EXPECT_EQ(a.state.usage.completion_tokens, 40);
    EXPECT_DOUBLE_EQ(a.state.usage.cost_usd, 1.0 * 0.5 + 0.04 * 1.5);

    const auto requests = llm.received();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].header("authorization"), "Bearer sk-test-0123456789abcdefghij");
    const auto sent = nlohmann::json::parse(requests[0].body);
    EXPECT_EQ(sent["max_tokens"], 200);
    EXPECT_EQ(sent["response_format"]["type"], "json_schema");
    EXPECT_EQ(requests[0].body.find("ops@example.com"), std::string::npos);  // redacted before it reaches the model
    EXPECT_NE(requests[0].body.find("[email]"), std::string::npos);

    // Cut off, or nothing supported: the extractive composer answers instead; unreachable likewise.
    auto cut = fake_llm([](const std::string& id) {
        return completion({{{"text", "The setting"}, {"chunk_ids", {id}}}}, "length");
    });
    options.llm->url = cut.url() + "/v1";
    const auto b = agents::Agent(*embedder, options).ask(conn, t, r);
    EXPECT_EQ(b.state.composer, "extractive");
    EXPECT_NE(b.state.composer_note.find("stopped before finishing"), std::string::npos) << b.state.composer_note;
    EXPECT_EQ(agents::to_string(b.state.status), "answered");
    options.llm->url = "http://127.0.0.1:1/v1";
    const auto c = agents::Agent(*embedder, options).ask(conn, t, r);
    EXPECT_EQ(c.state.composer, "extractive");
    EXPECT_NE(c.state.composer_note.find("extractive fallback"), std::string::npos);
    // An unanswerable question never reaches the model: the evidence threshold abstains first.
    r.question = "What is the capital of Australia?";
    options.llm->url = llm.url() + "/v1";
    EXPECT_EQ(agents::to_string(agents::Agent(*embedder, options).ask(conn, t, r).state.status), "abstained");
    EXPECT_EQ(llm.received().size(), 1u);
}
