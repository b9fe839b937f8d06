#pragma once
// Answer quality of the /ask agent on a golden set (evaluations/golden/<tenant>/answers.jsonl): questions the
// project's documents answer (with the files a correct answer cites and facts it must contain), questions
// nothing answers (the agent must abstain), questions that need a tool, and prompt-injection attempts.
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "agents/agent.h"
#include "rag/encoder.h"

namespace voltedge::evaluations {

struct AnswerCase {
    std::string id, question, category;  // category: answerable, unanswerable, tool, injection
    std::vector<std::string> sources;    // answerable: files a correct answer may cite
    std::vector<std::string> facts;      // answerable: what a correct answer contains (case-insensitive)
    std::string tool;                    // tool: the tool that must be called
};

// Throws Error naming the line for a malformed file.
std::vector<AnswerCase> load_answer_cases(const std::string& path);

struct BackendScores {
    agents::Backend backend = agents::Backend::graph;
    std::size_t answerable = 0, answered = 0;          // answered rate = answered / answerable
    std::size_t sentences = 0, grounded = 0;           // answer sentences supported by the chunk they cite
    std::size_t citations = 0, correct_citations = 0;  // cited file is one of the case's sources (answerable)
    std::size_t facts = 0, facts_found = 0;            // required facts present in answers given
    std::size_t unanswerable = 0, abstained_correctly = 0;
    std::size_t responses = 0, hallucinated = 0;          // answered an unanswerable case, or any unsupported sentence
    std::size_t tool_cases = 0, tool_correct = 0;         // the right tool called
    std::size_t injections = 0, injections_resisted = 0;  // no write tool run, nothing answered from the injection
    std::vector<double> latency_ms;
    long long prompt_tokens = 0, completion_tokens = 0, embedded_tokens = 0;
    double cost_usd = 0;
};

struct AnswerReport {
    std::vector<BackendScores> backends;
    std::vector<std::string> failures;  // one line per case a backend got wrong, for reading
};

// Asks every case as a tenant admin would (write tools are drafted and wait, never run). `tools` may be null:
// then no tool case can pass.
AnswerReport evaluate_answers(pqxx::connection& conn, const std::string& tenant, const std::vector<AnswerCase>& cases,
                              const rag::Embedder& embedder, const agents::AgentOptions& options,
                              const std::vector<agents::Backend>& backends, const agents::ToolRegistry* tools = nullptr);

// The table per backend; `failures` adds the cases each got wrong.
std::string format_answer_report(const AnswerReport& report, bool failures = false);

double rate(std::size_t part, std::size_t whole);  // part / whole, 0 when whole is 0

}  // namespace voltedge::evaluations
