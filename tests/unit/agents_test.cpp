// The agent's parts that need no services: the graph runner, sentence selection's text handling, the critic,
// rendering and request validation.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "agents/agent.h"
#include "agents/critic.h"
#include "agents/extractive.h"
#include "agents/graph.h"
#include "agents/json_schema.h"
#include "agents/planner.h"
#include "core/deadline.h"

using namespace voltedge;
using namespace voltedge::agents;
using namespace std::chrono_literals;

namespace {

struct Recorded {
    std::vector<std::pair<int, std::string>> steps;
    Checkpoint checkpoint() {
        return [this](const AgentState&, int step, const std::string& node) { steps.emplace_back(step, node); };
    }
};

Evidence evidence(const std::string& id, const std::string& content, const std::string& kind = "doc") {
    Evidence e;
    e.chunk_id = id;
    e.doc_path = id;
    e.kind = kind;
    e.content = content;
    return e;
}

}  // namespace

TEST(AgentGraph, FollowsTheEdgesEachNodeChoosesAndCheckpointsEveryStep) {
    Graph g;
    g.add("planner", {[](AgentState& s) { return std::string(s.question == "data" ? "tool" : "retrieve"); }});
    g.add("retrieve", {[](AgentState&) { return std::string("critic"); }});
    g.add("tool", {[](AgentState&) { return std::string("critic"); }});
    g.add("critic", {[](AgentState& s) {
              s.status = Status::answered;
              return std::string(kEnd);
          }});
    for (const auto& [question, middle] : {std::pair{"docs", "retrieve"}, std::pair{"data", "tool"}}) {
        AgentState s;
        s.question = question;
        Recorded r;
        EXPECT_EQ(g.run(s, "planner", r.checkpoint()), 3);
        ASSERT_EQ(r.steps.size(), 3u);
        EXPECT_EQ(r.steps[1].second, middle);
        EXPECT_EQ(s.status, Status::answered);
        ASSERT_EQ(s.steps.size(), 3u);
        EXPECT_EQ(s.steps[2].node, "critic");
    }
}

TEST(AgentGraph, StopsAtTheStepLimit) {
    Graph g(5);
    g.add("loop", {[](AgentState&) { return std::string("loop"); }});
    AgentState s;
    Recorded r;
    g.run(s, "loop", r.checkpoint());
    EXPECT_EQ(s.status, Status::failed);
    EXPECT_NE(s.reason.find("after 5 steps"), std::string::npos) << s.reason;
    EXPECT_EQ(r.steps.size(), 5u);
}

TEST(AgentGraph, ANodePastItsTimeoutFailsTheRunAndNamesIt) {
    Graph g;
    g.add("slow", {[](AgentState&) {
        std::this_thread::sleep_for(60ms);
        return std::string(kEnd);
                   },
                   20ms});
    AgentState s;
    Recorded r;
    g.run(s, "slow", r.checkpoint());
    EXPECT_EQ(s.status, Status::failed);
    EXPECT_NE(s.reason.find("'slow'"), std::string::npos) << s.reason;
    EXPECT_EQ(r.steps.size(), 1u);  // the failed step is checkpointed too

    // Work that checks the deadline (database statements, HTTP calls) gives up inside the node.
    Graph cooperative;
    cooperative.add("waits", {[](AgentState&) {
        for (;;) {
            check_deadline("waiting");
            std::this_thread::sleep_for(5ms);
        }
        return std::string(kEnd);
                              },
                              30ms});
    AgentState t;
    cooperative.run(t, "waits", r.checkpoint());
    EXPECT_EQ(t.status, Status::failed);
    EXPECT_NE(t.reason.find("ran out of its 30 ms"), std::string::npos) << t.reason;
}

TEST(AgentGraph, ANodeThatThrowsOrAnUnknownNodeFailsTheRun) {
    Graph g;
    g.add("bad", {[](AgentState&) -> std::string { throw std::runtime_error("boom"); }});
    g.add("lost", {[](AgentState&) { return std::string("nowhere"); }});
    AgentState a, b;
    Recorded r;
    g.run(a, "bad", r.checkpoint());
    EXPECT_EQ(a.status, Status::failed);
    EXPECT_NE(a.reason.find("boom"), std::string::npos);
    g.run(b, "lost", r.checkpoint());
    EXPECT_EQ(b.status, Status::failed);
    EXPECT_NE(b.reason.find("'nowhere'"), std::string::npos);
}

TEST(AgentGraph, PauseStopsWithoutFinishing) {
    Graph g;
    g.add("approval", {[](AgentState& s) {
              s.status = Status::awaiting_approval;
              return std::string(kPause);
          }});
    AgentState s;
    Recorded r;
    EXPECT_EQ(g.run(s, "approval", r.checkpoint(), 7), 8);
    EXPECT_EQ(s.status, Status::awaiting_approval);
    ASSERT_EQ(r.steps.size(), 1u);
    EXPECT_EQ(r.steps[0].first, 7);
}

TEST(AgentState, RoundTripsThroughJson) {
    AgentState s;
    s.thread_id = "t";
    s.question = "q?";
    s.backend = Backend::chain;
    s.intent = Intent::data;
    s.evidence.push_back(evidence("a.md#0", "Alpha beta."));
    s.sentences.push_back({"Alpha beta.", 0, 0.7});
    s.status = Status::answered;
    s.steps.push_back({"chain", 12.5});
    const AgentState back = state_from_json(to_json(s));
    EXPECT_EQ(to_json(back), to_json(s));
    EXPECT_THROW(backend_from("llm"), Error);
}

TEST(AgentExtractive, QuotesProseAndCodeCommentsNotTablesOrCode) {
    const auto prose =
        rag::quotable_sentences("# Title\n\nThe tenant is set for each transaction with SET LOCAL. A pooled connection "
                                "never keeps it, e.g. between requests.\n\n| a | b |\n|---|---|\n\n```\nSELECT 1;\n```\n"
                                "- Keys are hashed with SHA-256 before they are stored.\n",
                                "doc");
    ASSERT_EQ(prose.size(), 3u);
    EXPECT_EQ(prose[0], "The tenant is set for each transaction with SET LOCAL.");
    EXPECT_EQ(prose[1], "A pooled connection never keeps it, e.g. between requests.");
    EXPECT_EQ(prose[2], "Keys are hashed with SHA-256 before they are stored.");
    const auto code = rag::quotable_sentences("// Sets app.tenant_id for the current transaction only, so pooled\n// connections "
                                              "forget it.\nvoid set_tenant(pqxx::work& tx) {\n    tx.exec(\"SELECT 1\");\n}\n",
                                              "code");
    ASSERT_EQ(code.size(), 1u);
    EXPECT_EQ(code[0], "Sets app.tenant_id for the current transaction only, so pooled connections forget it.");
    EXPECT_EQ(content_words("How is the tenant set for a transaction?"), (std::vector<std::string>{"tenant", "transaction"}));
    EXPECT_DOUBLE_EQ(word_overlap({"tenants", "indexed"}, "each tenant's index"), 1.0);
}

TEST(AgentExtractive, MoneyIsACurrencyWordOrASignBesideAFigure) {
    using voltedge::agents::states_money;
    EXPECT_TRUE(states_money("What is the household's annual electricity bill in euros?"));
    EXPECT_TRUE(states_money("The tariff is 0.25 EUR per kWh."));
    EXPECT_TRUE(states_money("It costs $5 a month."));
    EXPECT_TRUE(states_money("about 12 \u20ac"));
    EXPECT_TRUE(states_money("\u00a34.50"));
    EXPECT_FALSE(states_money("Spans go to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces."));
    EXPECT_FALSE(states_money("The household uses 9,000 kWh a year."));
    EXPECT_FALSE(states_money("How does full-text search keep its cost bounded?"));
}

TEST(AgentCritic, KeepsQuotedOrSupportedSentencesAndDropsTheRest) {
    const Evidence e = evidence("a.md#0", "The API answers   a forecast in 4.2 ms at p95 on two cores.");
    EXPECT_TRUE(supported_by("The API answers a forecast in 4.2 ms at p95 on two cores.", e));
    EXPECT_TRUE(supported_by("A forecast is answered in 4.2 ms at p95 on two cores by the API.", e));  // paraphrase, same facts
    EXPECT_FALSE(supported_by("The API answers a forecast in 3.1 ms at p95 on two cores.", e));        // a number it does not say
    EXPECT_FALSE(supported_by("Forecasts are cached in Redis for an hour.", e));
    AgentState s;
    s.evidence = {e};
    s.sentences = {{"The API answers a forecast in 4.2 ms at p95 on two cores.", 0, 1},
                   {"Forecasts are cached in Redis for an hour.", 0, 1},
                   {"Something cites evidence nobody retrieved.", 3, 1}};
    const auto dropped = drop_unsupported(s);
    EXPECT_EQ(dropped.size(), 2u);
    ASSERT_EQ(s.sentences.size(), 1u);
}

TEST(AgentRender, MarksEachSentenceWithItsChunkOrAbstains) {
    AgentState s;
    s.evidence = {evidence("a.md#0", "One. Two."), evidence("b.md#3", "Three.")};
    s.sentences = {{"One sentence here.", 0, 1}, {"Three sentence here.", 1, 1}, {"Two sentence here.", 0, 1}};
    s.status = Status::answered;
    const Answer a = render(s);
    EXPECT_EQ(a.text, "One sentence here. [1] Three sentence here. [2] Two sentence here. [1]");
    ASSERT_EQ(a.citations.size(), 2u);
    EXPECT_EQ(a.citations[1].chunk_id, "b.md#3");
    s.status = Status::abstained;
    s.reason = "nothing close enough";
    EXPECT_EQ(render(s).text, "ABSTAIN: nothing close enough");
    EXPECT_TRUE(render(s).citations.empty());
}

TEST(AgentRequest, BadInputNamesTheField) {
    const auto field_of = [](AskRequest r) {
        try {
            validate(r);
        } catch (const BadAsk& e) {
            return e.field();
        }
        return std::string();
    };
    AskRequest ok;
    ok.question = "how is the tenant set";
    EXPECT_EQ(field_of(ok), "");
    AskRequest r = ok;
    r.question = "  \n";
    EXPECT_EQ(field_of(r), "question");
    r.question = std::string(kMaxQuestionChars + 1, 'a');
    EXPECT_EQ(field_of(r), "question");
    r = ok;
    r.thread_id = "not-a-uuid";
    EXPECT_EQ(field_of(r), "thread_id");
    r = ok;
    r.max_citations = 0;
    EXPECT_EQ(field_of(r), "max_citations");
}

TEST(ToolArguments, AreCheckedAgainstTheToolsSchemaNamingTheArgument) {
    const nlohmann::json schema = {{"type", "object"},
                                   {"properties",
                                    {{"horizon_hours", {{"type", "integer"}, {"minimum", 1}, {"maximum", 168}}},
                                     {"tracker", {{"type", "string"}, {"enum", {"github", "jira"}}}},
                                     {"title", {{"type", "string"}, {"minLength", 1}, {"maxLength", 5}}},
                                     {"ids", {{"type", "array"}, {"maxItems", 2}, {"items", {{"type", "string"}}}}}}},
                                   {"required", {"horizon_hours"}},
                                   {"additionalProperties", false}};
    EXPECT_EQ(schema_violation(schema, {{"horizon_hours", 24}}), std::nullopt);
    EXPECT_EQ(schema_violation(schema, {{"horizon_hours", 24}, {"tracker", "jira"}, {"title", "ab"}, {"ids", {"a"}}}),
              std::nullopt);
    EXPECT_EQ(*schema_violation(schema, nlohmann::json::object()), "arguments.horizon_hours is required");
    EXPECT_EQ(*schema_violation(schema, {{"horizon_hours", 169}}), "arguments.horizon_hours must be at most 168");
    EXPECT_EQ(*schema_violation(schema, {{"horizon_hours", "24"}}), "arguments.horizon_hours must be an integer");
    EXPECT_EQ(*schema_violation(schema, {{"horizon_hours", 2.5}}), "arguments.horizon_hours must be an integer");
    EXPECT_EQ(*schema_violation(schema, {{"horizon_hours", 1}, {"tracker", "trello"}}),
              "arguments.tracker must be one of [\"github\",\"jira\"]");
    EXPECT_EQ(*schema_violation(schema, {{"horizon_hours", 1}, {"title", "toolong"}}),
              "arguments.title must have at most 5 characters");
    EXPECT_EQ(*schema_violation(schema, {{"horizon_hours", 1}, {"ids", {"a", 3}}}), "arguments.ids[1] must be a string");
    EXPECT_EQ(*schema_violation(schema, {{"horizon_hours", 1}, {"ids", {"a", "b", "c"}}}),
              "arguments.ids must have at most 2 items");
    EXPECT_NE(schema_violation(schema, {{"horizon_hours", 1}, {"token", "x"}})->find("is not an argument of this tool"),
              std::string::npos);
    EXPECT_EQ(*schema_violation(schema, nlohmann::json::array()), "arguments must be an object");
    EXPECT_THROW(schema_violation({{"pattern", "x"}}, "x"), std::logic_error);  // a keyword it does not check
}

TEST(ToolArguments, UnknownDisallowedAndWriteToolsOfAReaderAreRefused) {
    ToolRegistry tools;
    tools.add({"search",
               "",
               {{"type", "object"}, {"properties", {{"query", {{"type", "string"}}}}}, {"required", {"query"}}},
               false,
               {}});
    tools.add({"open_pr", "", {{"type", "object"}}, true, {}});
    EXPECT_THROW(tools.add({"search", "", {}, false, {}}), std::logic_error);
    const ToolGrant reader{{"search"}, false};
    EXPECT_NO_THROW(checked_tool(tools, reader, "search", {{"query", "x"}}));
    EXPECT_THROW(checked_tool(tools, reader, "search", {{"query", 1}}), ToolRefused);
    EXPECT_THROW(checked_tool(tools, reader, "shell", {}), ToolRefused);
    try {
        checked_tool(tools, reader, "open_pr", nlohmann::json::object());
        FAIL();
    } catch (const ToolRefused& e) {
        EXPECT_NE(std::string(e.what()).find("may only read"), std::string::npos);
    }
    EXPECT_EQ(tool_list("search,,forecast"), (std::vector<std::string>{"search", "forecast"}));
}

// The planner reads only the question. Every golden question is routed as its category says: documentation
// questions (answerable or not) to retrieval, tool questions to their tool.
TEST(Planner, RoutesEveryGoldenQuestionToItsToolOrToRetrieval) {
    std::ifstream file(std::string(VOLTEDGE_SOURCE_DIR) + "/evaluations/golden/demo/answers.jsonl");
    ASSERT_TRUE(file) << "golden set not found";
    std::string line;
    int tools = 0;
    while (std::getline(file, line)) {
        const auto j = nlohmann::json::parse(line);
        const auto plan = plan_question(j["question"], "0f8fad5b-d9cb-469f-a165-70867728950e");
        if (j["category"] == "tool") {
            ++tools;
            ASSERT_EQ(plan.calls.size(), 1u) << j["question"];
            EXPECT_EQ(plan.calls[0].tool, j["tool"]) << j["question"];
        } else if (j["category"] != "injection") {
            EXPECT_TRUE(plan.calls.empty()) << j["question"] << " -> " << plan.calls[0].tool;
        }
    }
    EXPECT_GE(tools, 10);
    const auto forecast = plan_question("Give me the hour-by-hour forecast for the next 6 hours.", "x");
    EXPECT_EQ(forecast.calls[0].arguments["horizon_hours"], 6);
    const auto issue = plan_question("File a Jira issue titled 'rotate all keys' now", "0f8fad5b");
    EXPECT_EQ(issue.calls[0].arguments["tracker"], "jira");
    EXPECT_EQ(issue.calls[0].arguments["title"], "rotate all keys");
}
