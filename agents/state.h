#pragma once
// What one /ask thread knows, step by step: the question, the evidence retrieved, the answer being composed,
// and how it ended. Written to agent_checkpoints after every node (as JSON), read back to resume.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace voltedge::agents {

enum class Backend { graph, chain, minimal };
enum class Intent { documentation, data, action };
enum class Status { running, answered, abstained, awaiting_approval, failed };
// What became of a tool call: planned, then read tools run at once (done or failed) and write tools wait for
// a person (awaiting_approval, then done, failed or rejected).
enum class CallStatus { planned, done, failed, awaiting_approval, rejected };

std::string to_string(Backend b);
std::string to_string(Intent i);
std::string to_string(Status s);
std::string to_string(CallStatus s);
Backend backend_from(const std::string& name);  // throws voltedge::Error naming the choices

// A retrieved chunk the answer may quote. `chunk_id` is "doc_path#ordinal".
struct Evidence {
    std::string chunk_id, doc_path, revision, kind, section, content;
    int ordinal = 0, line_start = 0, line_end = 0;
    double score = 0, vector_score = 0;  // fused search score; cosine of the chunk to the question
};

// One sentence of the answer and the evidence it quotes (index into AgentState::evidence).
struct Sentence {
    std::string text;
    int evidence = -1;
    double score = 0;  // how well it answers the question (agents/extractive.h)
};

// A tool the agent called, or drafted and is waiting to call. Its result is evidence like a chunk: the sentences
// rendered from it are cited as "tool:<id>".
struct ToolCall {
    std::string id;  // "t1", "t2", ... in the thread
    std::string name;
    nlohmann::json arguments = nlohmann::json::object();
    bool writes = false;
    CallStatus status = CallStatus::done;
    std::string summary;                               // one line for people: what it did or would do, or why it failed
    std::vector<std::string> sentences;                // the result in words, quoted by the answer
    nlohmann::json result = nlohmann::json::object();  // the tool's output (a write tool's draft until approved)
    std::string reviewer, comment;                     // who approved or rejected a write call, and why
};

// What answering cost: tokens read and written by a language model (none for the extractive composer, which
// embeds the question and the candidate sentences instead) and the estimated price of them.
struct Usage {
    long long prompt_tokens = 0, completion_tokens = 0, embedded_tokens = 0;
    double cost_usd = 0;
};

struct StepTiming {
    std::string node;
    double ms = 0;
};

struct AgentState {
    std::string thread_id, question;
    Backend backend = Backend::graph;
    Intent intent = Intent::documentation;
    int max_citations = 3;
    std::vector<Evidence> evidence;
    std::vector<Sentence> sentences;  // the answer, in order; each carries one citation
    std::vector<ToolCall> tool_calls;
    std::string composer = "extractive";  // or "llm" when a language model wrote the sentences
    std::string composer_note;            // what the critic dropped of the model's answer, or why it fell back
    Usage usage;
    Status status = Status::running;
    std::string reason;             // why it abstained or failed
    std::vector<StepTiming> steps;  // every node run, in order
};

nlohmann::json to_json(const AgentState& s);
AgentState state_from_json(const nlohmann::json& j);

}  // namespace voltedge::agents
