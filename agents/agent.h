#pragma once
// The /ask agent: answers a question about the platform only from the tenant's retrieved chunks, every
// sentence cited, or abstains saying why. Three backends share the evidence, the composer and the critic:
//   graph    planner -> retrieve -> solve -> critic -> end, a checkpoint after every node (agents/graph.h);
//   chain    retrieve, compose and check in one step;
//   minimal  the best evidence's best sentence, quoted.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "agents/llm_client.h"
#include "agents/state.h"
#include "agents/tools.h"
#include "core/config.h"
#include "core/error.h"
#include "rag/encoder.h"

namespace voltedge::agents {

inline constexpr std::size_t kMaxQuestionChars = 1000;
inline constexpr int kMaxCitations = 10;

// A request that cannot be run as given; `field` names the part at fault (question, thread_id, ...).
class BadAsk : public FieldError {
public:
    using FieldError::FieldError;
};

// No thread of that id belongs to the tenant.
class UnknownThread : public Error {
public:
    using Error::Error;
};

// The thread is not waiting for an approval (it finished, or another reviewer answered first).
class NotAwaitingApproval : public Error {
public:
    using Error::Error;
};

// The key may not do this (approve a write tool without being a tenant admin).
class NotPermitted : public Error {
public:
    using Error::Error;
};

struct AskRequest {
    std::string question;
    std::string thread_id;  // empty: a new thread; else a follow-up question in that thread
    std::optional<Backend> backend;
    int max_citations = 3;                          // 1..kMaxCitations: at most this many sentences, each citing one chunk
    std::optional<std::vector<std::string>> tools;  // the request's own allow-list; nullopt: every tool granted
    bool admin = false;                             // asked with a tenant-admin key: write tools may be drafted
};

// A person's answer to a thread waiting for approval.
struct Approval {
    bool approve = false;
    std::string comment;   // why, kept with the call
    std::string reviewer;  // the approving key's id
    bool admin = false;    // only a tenant-admin key may approve
};

struct Citation {
    int marker = 0;  // the [n] in the answer
    std::string chunk_id, doc_path, revision, quote;
    int line_start = 0, line_end = 0;
};

struct Answer {
    AgentState state;
    std::string text;  // sentences with [n] markers, or "ABSTAIN: <reason>"
    std::vector<Citation> citations;
};

// Thresholds, calibrated on the golden set (evaluations/golden/<tenant>/answers.jsonl).
struct AgentOptions {
    Backend backend = Backend::graph;
    double min_evidence_cosine = 0.40;  // the best chunk must be at least this close to the question
    double min_sentence_score = 0.45;   // agents/extractive.h: 0.6 x cosine + 0.4 x word overlap
    int evidence_chunks = 8;
    std::vector<std::string> default_tools = kAllTools;  // for tenants without their own allow-list (AGENT_TOOLS)
    // The generative composer (VOLTEDGE_LLM_URL) for the graph and chain backends; nullopt: extractive only.
    std::optional<LlmConfig> llm;
};

// The options VoltEdge's configuration sets: AGENT_BACKEND, AGENT_TOOLS and the VOLTEDGE_LLM_* settings.
AgentOptions agent_options(const Config& config);

// Throws BadAsk for an empty or too long question, a malformed thread id or max_citations out of range.
void validate(const AskRequest& request);

// The answer text and its citations for a finished state.
Answer render(AgentState state);

class Agent {
public:
    // `tools` may be null (or empty): the agent then answers from documents only. Both must outlive the agent.
    Agent(const rag::Embedder& embedder, AgentOptions options, const ToolRegistry* tools = nullptr)
        : embedder_(embedder), options_(std::move(options)), tools_(tools) {}

    // Runs the request for `tenant` and stores the thread; throws BadAsk, UnknownThread (a thread id the tenant
    // does not have). A write tool leaves the thread awaiting_approval with the drafted call. `search_conn`, when
    // given, is a second connection for retrieval's vector stage (rag::search).
    Answer ask(pqxx::connection& conn, const std::string& tenant, const AskRequest& request,
               pqxx::connection* search_conn = nullptr) const;

    // Approves (runs the drafted write calls) or rejects a thread waiting for approval, and finishes it. Throws
    // UnknownThread, NotAwaitingApproval, NotPermitted. A thread is resumed once: a second reviewer gets
    // NotAwaitingApproval, so no call is ever sent twice.
    Answer resume(pqxx::connection& conn, const std::string& tenant, const std::string& thread_id,
                  const Approval& approval) const;

    const AgentOptions& options() const { return options_; }

private:
    const rag::Embedder& embedder_;
    AgentOptions options_;
    const ToolRegistry* tools_;
};

}  // namespace voltedge::agents
