#include "agents/agent.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "agents/checkpoints.h"
#include "agents/critic.h"
#include "agents/extractive.h"
#include "agents/generative.h"
#include "agents/graph.h"
#include "agents/planner.h"
#include "core/deadline.h"
#include "core/uuid.h"
#include "observability/tracing.h"
#include "rag/search.h"
#include "security/redaction.h"

namespace voltedge::agents {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMaxToolSentences = 8;
// Chunks fetched beyond the evidence kept, so that copies can be skipped: the backtest cards of the five families
// share their paragraphs, and four copies of one paragraph would leave the answer four chunks fewer to choose from.
constexpr int kDuplicateAllowance = 4;

// A draft in words: the tool and every short argument, so the reviewer sees what would be sent.
std::vector<std::string> draft_sentences(const ToolCall& call) {
    std::string args;
    for (const auto& [key, value] : call.arguments.items()) {
        const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        if (text.size() > 200 || text.find('\n') != std::string::npos) continue;
        args += (args.empty() ? "" : ", ") + key + " \"" + text + "\"";
    }
    return {fmt::format("Drafted {} ({}) for approval.", call.name, args.empty() ? "no arguments" : args),
            "Nothing is sent until a tenant admin approves it."};
}

// The call as evidence the answer cites ("tool:<id>"): its sentences, or what became of it.
std::vector<std::string> call_sentences(const ToolCall& c) {
    switch (c.status) {
        case CallStatus::done: return c.sentences;
        case CallStatus::awaiting_approval: return draft_sentences(c);
        case CallStatus::rejected:
            return {fmt::format("{} was not run: {} rejected it{}.", c.name, c.reviewer.empty() ? "a reviewer" : c.reviewer,
                                c.comment.empty() ? "" : " (" + c.comment + ")")};
        case CallStatus::failed: return {fmt::format("The {} tool could not run: {}", c.name, c.summary)};
        case CallStatus::planned: break;
    }
    return {};
}

// The work of one request: the connection, the tenant and what is not worth storing (the question's embedding).
struct Run {
    pqxx::connection& conn;
    pqxx::connection* search_conn;  // a second connection for the vector stage of retrieval, when one was free
    const std::string& tenant;
    const rag::Embedder& embedder;
    const AgentOptions& options;
    const ToolRegistry* tools;
    ToolGrant grant;
    std::vector<float> question_embedding;

    void count_question_tokens(AgentState& s) const {
        s.usage.embedded_tokens += static_cast<long long>(embedder.tokenize(s.question).size());
    }

    void embed_question(AgentState& s) {
        if (!question_embedding.empty()) return;
        question_embedding = embedder.embed(s.question);
        count_question_tokens(s);
    }

    // The chunks closest to the question, redacted: no secret a document holds reaches an answer or a checkpoint.
    void retrieve(AgentState& s) {
        rag::SearchQuery q;
        q.text = s.question;
        q.k = options.evidence_chunks + kDuplicateAllowance;
        q.with_content = true;
        // The search embeds the question while its full-text stage runs, and hands the embedding back for solve.
        const auto hits = rag::search(conn, tenant, q, embedder, search_conn, &question_embedding);
        count_question_tokens(s);
        s.evidence.clear();
        std::vector<std::set<std::string>> kept_words;  // of each evidence chunk, each chunk's words read once
        for (auto& h : hits) {
            if (static_cast<int>(s.evidence.size()) == options.evidence_chunks) break;
            std::string content = security::redacted(h.content);
            auto words = word_set(content);
            if (std::any_of(kept_words.begin(), kept_words.end(), [&](const auto& k) { return near_duplicate(k, words); }))
                continue;
            kept_words.push_back(std::move(words));
            s.evidence.push_back({h.doc_path + "#" + std::to_string(h.ordinal), h.doc_path, h.revision, h.kind, h.section,
                                  std::move(content), h.ordinal, h.line_start, h.line_end, h.score, h.vector_score});
        }
    }

    // Chooses the answer's sentences, or the reason there are none.
    void solve(AgentState& s, int max_sentences) {
        s.sentences.clear();
        const double best = s.evidence.empty() ? 0 : std::max_element(s.evidence.begin(), s.evidence.end(), [](auto& a, auto& b) {
                                                         return a.vector_score < b.vector_score;
                                                     })->vector_score;
        if (best < options.min_evidence_cosine) {
            s.reason = s.evidence.empty() ? "nothing in the index matches the question"
                                          : fmt::format("no indexed document is close enough to the question (best cosine "
                                                        "{:.2f}, at least {:.2f} needed)",
                                                        best, options.min_evidence_cosine);
            return;
        }
        if (options.llm && s.backend != Backend::minimal && generate(s, max_sentences)) return;
        embed_question(s);
        std::vector<rag::ChunkRef> chunks;
        for (const auto& e : s.evidence) chunks.push_back({e.doc_path, e.ordinal});
        s.sentences = select_sentences(s.question, question_embedding, s.evidence,
                                       rag::stored_sentence_embeddings(conn, tenant, chunks), embedder, max_sentences,
                                       options.min_sentence_score, &s.usage.embedded_tokens);
        if (s.sentences.empty()) s.reason = "no sentence of the retrieved documents answers the question well enough";
    }

    // The language model's supported sentences; false (and the reason in s.composer_note) when there are none, so the
    // extractive composer answers instead.
    bool generate(AgentState& s, int max_sentences) {
        try {
            // The model gets its own time limit inside the node's, so the extractive fallback still has time.
            ScopedDeadline model_deadline(std::chrono::steady_clock::now() + std::chrono::seconds(options.llm->timeout_seconds));
            auto g = compose_with_llm(*options.llm, security::redacted(s.question), s.evidence, max_sentences, s.usage);
            if (!g.sentences.empty()) {
                s.sentences = std::move(g.sentences);
                s.composer = "llm";
                s.composer_note = g.rejected.empty() ? "" : g.rejected + "; those sentences were dropped";
                return true;
            }
            s.composer_note = "extractive fallback: " + g.rejected;
        } catch (const Error& e) {  // LlmError, Unreachable, DeadlineExceeded: the answer must not depend on it
            s.composer_note = "extractive fallback: " + std::string(e.what());
        }
        return false;
    }

    // Drops what the evidence does not support; answered when something is left, else abstained.
    void check(AgentState& s) {
        const auto dropped = drop_unsupported(s);
        if (!s.sentences.empty()) {
            s.status = Status::answered;
            s.reason.clear();
            return;
        }
        s.status = Status::abstained;
        if (s.reason.empty()) s.reason = dropped.empty() ? "no answer was composed" : "no sentence was supported by its evidence";
    }

    void plan(AgentState& s) {
        auto p = plan_question(s.question, s.thread_id);
        s.intent = p.intent;
        s.tool_calls.clear();
        for (auto& c : p.calls) {
            ToolCall call;
            call.id = "t" + std::to_string(s.tool_calls.size() + 1);
            call.name = c.tool;
            call.arguments = security::redacted_json(c.arguments);
            call.status = CallStatus::planned;
            s.tool_calls.push_back(std::move(call));
        }
    }

    void run_tool(AgentState& s, ToolCall& call, const Tool& tool) {
        ToolContext ctx{conn, tenant, s.thread_id};
        observability::Span span("agent.tool " + call.name);
        span.set("gen_ai.tool.name", call.name);
        span.set("gen_ai.tool.call.id", call.id);
        span.set("agent.tool.writes", tool.writes);
        try {
            auto out = tool.run(ctx, call.arguments);
            call.result = security::redacted_json(out.result);
            call.summary = security::redacted(out.summary);
            call.sentences.clear();
            for (auto& line : out.sentences) {
                if (call.sentences.size() == kMaxToolSentences) break;
                call.sentences.push_back(security::redacted(line));
            }
            call.status = CallStatus::done;
        } catch (const std::exception& e) {  // Error, or a tool's bug: the call failed, the answer says why
            const auto* error = dynamic_cast<const Error*>(&e);
            call.summary = security::redacted(std::string(e.what()) +
                                              (error && !error->hint().empty() ? " (" + error->hint() + ")" : ""));
            call.status = CallStatus::failed;
            span.set_error(call.summary);
        }
    }

    // Runs the planned read calls and drafts the write calls; each is checked against the grant and its schema.
    void act(AgentState& s) {
        for (auto& call : s.tool_calls) {
            if (call.status != CallStatus::planned) continue;
            try {
                if (!tools) throw ToolRefused("this agent has no tools", "ask a documentation question");
                const Tool& tool = checked_tool(*tools, grant, call.name, call.arguments);
                call.writes = tool.writes;
                if (tool.writes) {
                    call.status = CallStatus::awaiting_approval;
                    call.result = {{"draft", call.arguments}};
                    call.summary = "drafted; waits for a tenant admin's approval";
                } else {
                    run_tool(s, call, tool);
                }
            } catch (const ToolRefused& e) {
                call.summary = std::string(e.what()) + (e.hint().empty() ? "" : " (" + e.hint() + ")");
                call.status = CallStatus::failed;
            }
        }
    }

    // Runs or rejects the calls waiting for approval.
    void decide(AgentState& s, const Approval& approval) {
        for (auto& call : s.tool_calls) {
            if (call.status != CallStatus::awaiting_approval) continue;
            call.reviewer = approval.reviewer;
            call.comment = security::redacted(approval.comment);
            if (!approval.approve) {
                call.status = CallStatus::rejected;
                continue;
            }
            try {  // the grant may have changed while the thread waited
                if (!tools) throw ToolRefused("this agent has no tools now", "start the API with its tools");
                run_tool(s, call, checked_tool(*tools, grant, call.name, call.arguments));
            } catch (const ToolRefused& e) {
                call.summary = std::string(e.what()) + (e.hint().empty() ? "" : " (" + e.hint() + ")");
                call.status = CallStatus::failed;
            }
        }
    }

    // The answer from the tool calls: each call is one piece of evidence, its sentences quoted.
    void report(AgentState& s) {
        s.evidence.clear();
        s.sentences.clear();
        for (const auto& call : s.tool_calls) {
            const auto sentences = call_sentences(call);
            if (sentences.empty()) continue;
            const int index = static_cast<int>(s.evidence.size());
            std::string content;
            for (const auto& line : sentences) content += (content.empty() ? "" : "\n") + line;
            s.evidence.push_back({"tool:" + call.id, "tool/" + call.name, call.id, "tool", call.name, content, 0, 0, 0, 1, 1});
            for (const auto& line : sentences) s.sentences.push_back({line, index, 1});
        }
    }

    // Tool answers: waiting while a write call awaits approval, answered when a call did its work, else abstained
    // with what went wrong.
    void check_tools(AgentState& s) {
        drop_unsupported(s);
        std::string waiting, problems;
        bool done = false;
        for (const auto& c : s.tool_calls) {
            if (c.status == CallStatus::awaiting_approval) waiting += (waiting.empty() ? "" : ", ") + c.name;
            done = done || c.status == CallStatus::done;
            if (c.status == CallStatus::failed || c.status == CallStatus::rejected)
                problems += (problems.empty() ? "" : "; ") + call_sentences(c).front();
        }
        if (!waiting.empty()) {
            s.status = Status::awaiting_approval;
            s.reason = "waiting for a tenant admin to approve " + waiting;
        } else if (done && !s.sentences.empty()) {
            s.status = Status::answered;
            s.reason.clear();
        } else {
            s.status = Status::abstained;
            s.reason = problems.empty() ? "no tool gave an answer" : problems;
        }
    }
};

// What a node that may ask the language model adds to its time limit.
std::chrono::milliseconds llm_time(const AgentOptions& options) {
    return options.llm ? std::chrono::milliseconds(std::chrono::seconds(options.llm->timeout_seconds)) : 0ms;
}

const char* first_node(Backend backend) {
    switch (backend) {
        case Backend::graph: return "planner";
        case Backend::chain: return "chain";
        case Backend::minimal: return "minimal";
    }
    return "planner";
}

Graph graph_for(Backend backend, Run& run, const Approval* approval = nullptr) {
    Graph g;
    if (backend != Backend::graph) {
        // One pass: retrieve, compose (minimal: the best sentence alone) and check.
        const auto one_pass = [&run, backend](AgentState& s) {
            run.retrieve(s);
            run.solve(s, backend == Backend::minimal ? 1 : s.max_citations);
            run.check(s);
            return std::string(kEnd);
        };
        return g.add(first_node(backend), {one_pass, 10000ms + llm_time(run.options)});
    }
    // planner -> retrieve -> solve -> critic -> end          a documentation question
    // planner -> act -> report -> critic -> end | pause       a question for tools; pause: a write call is drafted
    // decide -> report -> critic -> end                       the approval or rejection of a paused thread
    const auto planner = [&run](AgentState& s) {
        run.plan(s);
        return std::string(s.tool_calls.empty() ? "retrieve" : "act");
    };
    const auto retrieve = [&run](AgentState& s) {
        run.retrieve(s);
        return std::string("solve");
    };
    const auto solve = [&run](AgentState& s) {
        run.solve(s, s.max_citations);
        return std::string("critic");
    };
    const auto act = [&run](AgentState& s) {
        run.act(s);
        return std::string("report");
    };
    const auto decide = [&run, approval](AgentState& s) {
        run.decide(s, *approval);
        return std::string("report");
    };
    const auto report = [&run](AgentState& s) {
        run.report(s);
        return std::string("critic");
    };
    const auto critic = [&run](AgentState& s) {
        if (s.tool_calls.empty()) {
            run.check(s);
            return std::string(kEnd);
        }
        run.check_tools(s);
        return std::string(s.status == Status::awaiting_approval ? kPause : kEnd);
    };
    g.add("planner", {planner, 100ms})
        .add("retrieve", {retrieve, 5000ms})
        .add("solve", {solve, 5000ms + llm_time(run.options)})
        .add("act", {act, 8000ms})
        .add("report", {report, 100ms})
        .add("critic", {critic, 500ms});
    if (approval) g.add("decide", {decide, 20000ms});
    return g;
}

}  // namespace

AgentOptions agent_options(const Config& config) {
    AgentOptions o;
    o.backend = backend_from(config.agent_backend);
    o.default_tools = tool_list(config.agent_tools);
    if (!config.llm_url.empty())
        o.llm = LlmConfig{config.llm_url,
                          config.llm_model,
                          config.llm_api_key,
                          config.llm_max_tokens,
                          config.llm_usd_per_1k_prompt,
                          config.llm_usd_per_1k_completion};
    return o;
}

void validate(const AskRequest& r) {
    if (r.question.find_first_not_of(" \t\r\n") == std::string::npos)
        throw BadAsk("question", "the question is empty", "ask something, e.g. how is row level security enforced");
    if (r.question.find('\0') != std::string::npos)
        throw BadAsk("question", "the question contains a NUL character (\\u0000)", "remove it");
    const auto characters = std::count_if(r.question.begin(), r.question.end(), [](char c) { return (c & 0xC0) != 0x80; });
    if (static_cast<std::size_t>(characters) > kMaxQuestionChars)
        throw BadAsk("question", fmt::format("the question is longer than {} characters", kMaxQuestionChars));
    if (!r.thread_id.empty() && !is_uuid(r.thread_id))
        throw BadAsk("thread_id", "thread_id '" + r.thread_id + "' is not a UUID", "leave it out to start a new thread");
    if (r.max_citations < 1 || r.max_citations > kMaxCitations)
        throw BadAsk("max_citations", fmt::format("max_citations is {}; it must be 1..{}", r.max_citations, kMaxCitations));
}

Answer render(AgentState state) {
    Answer out;
    if (state.status != Status::answered && state.status != Status::awaiting_approval) {
        out.text = "ABSTAIN: " + state.reason;
        out.state = std::move(state);
        return out;
    }
    std::map<int, int> marker_of;  // evidence index -> [n]
    for (const auto& s : state.sentences) {
        auto [it, added] = marker_of.emplace(s.evidence, static_cast<int>(marker_of.size()) + 1);
        const Evidence& e = state.evidence[static_cast<std::size_t>(s.evidence)];
        if (added)
            out.citations.push_back({it->second, e.chunk_id, e.doc_path, e.revision, s.text, e.line_start, e.line_end});
        else
            out.citations[static_cast<std::size_t>(it->second - 1)].quote += " … " + s.text;
        out.text += (out.text.empty() ? "" : " ") + s.text + " [" + std::to_string(it->second) + "]";
    }
    out.state = std::move(state);
    return out;
}

Answer Agent::ask(pqxx::connection& conn, const std::string& tenant, const AskRequest& request,
                  pqxx::connection* search_conn) const {
    validate(request);
    AgentState state;
    int first_step = 0;
    if (!request.thread_id.empty()) {
        auto latest = latest_state(conn, tenant, request.thread_id);
        if (!latest)
            throw UnknownThread("no thread " + request.thread_id + " for this tenant", "leave thread_id out to start one");
        std::tie(state, first_step) = std::move(*latest);
        if (state.status == Status::awaiting_approval)
            throw NotAwaitingApproval("thread " + request.thread_id + " is waiting for approval of a drafted action",
                                      "approve or reject it first: POST /ask/" + request.thread_id + "/resume");
        state.evidence.clear();
        state.sentences.clear();
        state.tool_calls.clear();
        state.reason.clear();
        state.usage = {};
        state.composer = "extractive";
        state.composer_note.clear();
    } else {
        state.thread_id = new_uuid();
    }
    state.question = request.question;
    state.backend = request.backend.value_or(options_.backend);
    state.max_citations = request.max_citations;
    state.status = Status::running;
    open_thread(conn, tenant, state);

    Run run{conn, search_conn, tenant, embedder_, options_, tools_, {}, {}};
    if (tools_ && state.backend == Backend::graph)
        run.grant = grant_for(conn, tenant, *tools_, options_.default_tools, request.admin, request.tools);
    graph_for(state.backend, run)
        .run(
            state, first_node(state.backend),
            [&](const AgentState& s, int step, const std::string& node) { save_checkpoint(conn, tenant, s, step, node); },
            first_step);
    return render(std::move(state));
}

Answer Agent::resume(pqxx::connection& conn, const std::string& tenant, const std::string& thread_id,
                     const Approval& approval) const {
    if (!is_uuid(thread_id)) throw BadAsk("thread_id", "thread_id '" + thread_id + "' is not a UUID");
    if (!approval.admin)
        throw NotPermitted("only a tenant-admin key may approve or reject a drafted action", "ask a tenant admin to resume it");
    const std::string status = claim_for_approval(conn, tenant, thread_id, approval.reviewer, approval.approve);
    if (status.empty()) throw UnknownThread("no thread " + thread_id + " for this tenant");
    if (status != "awaiting_approval")
        throw NotAwaitingApproval("thread " + thread_id + " is " + status + ", not waiting for approval",
                                  "GET /ask/" + thread_id + " shows what happened");
    auto [state, first_step] = *latest_state(conn, tenant, thread_id);
    state.status = Status::running;
    Run run{conn, nullptr, tenant, embedder_, options_, tools_, {}, {}};
    if (tools_) run.grant = grant_for(conn, tenant, *tools_, options_.default_tools, approval.admin, std::nullopt);
    graph_for(Backend::graph, run, &approval)
        .run(
            state, "decide",
            [&](const AgentState& s, int step, const std::string& node) { save_checkpoint(conn, tenant, s, step, node); },
            first_step);
    return render(std::move(state));
}

}  // namespace voltedge::agents
