#include "agents/agent.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "agents/checkpoints.h"
#include "agents/critic.h"
#include "agents/extractive.h"
#include "agents/graph.h"
#include "core/uuid.h"
#include "rag/search.h"

namespace voltedge::agents {
namespace {

using namespace std::chrono_literals;

bool mentions(const std::string& lower, std::initializer_list<const char*> phrases) {
    return std::any_of(phrases.begin(), phrases.end(), [&](const char* p) { return lower.find(p) != std::string::npos; });
}

// What the question asks for, by its words: an action (a write tool), data (a tool that reads), or documentation.
Intent classify(const std::string& question) {
    std::string q = question;
    std::transform(q.begin(), q.end(), q.begin(), [](unsigned char c) { return std::tolower(c); });
    if (mentions(q, {"open a pr", "open a pull request", "pull request for", "file an issue", "file a ticket", "open an issue",
                     "create an issue", "create a ticket", "jira", "run an eval", "run the eval", "start an eval"}))
        return Intent::action;
    if (mentions(q, {"forecast", "predict ", "prediction for", "next hour", "next 24", "tomorrow", "data quality report",
                     "latest data quality", "which model is in production", "production model", "model version",
                     "metrics of the model"}))
        return Intent::data;
    return Intent::documentation;
}

// The work of one request: the connection, the tenant and what is not worth storing (the question's embedding).
struct Run {
    pqxx::connection& conn;
    const std::string& tenant;
    const rag::Embedder& embedder;
    const AgentOptions& options;
    std::vector<float> question_embedding;

    void retrieve(AgentState& s) {
        question_embedding = embedder.embed(s.question);
        rag::SearchQuery q;
        q.text = s.question;
        q.k = options.evidence_chunks;
        q.with_content = true;
        s.evidence.clear();
        for (auto& h : rag::search(conn, tenant, q, question_embedding))
            s.evidence.push_back({h.doc_path + "#" + std::to_string(h.ordinal), h.doc_path, h.revision, h.kind, h.section,
                                  std::move(h.content), h.ordinal, h.line_start, h.line_end, h.score, h.vector_score});
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
        if (question_embedding.empty()) question_embedding = embedder.embed(s.question);
        s.sentences = select_sentences(s.question, question_embedding, s.evidence, embedder, max_sentences,
                                       options.min_sentence_score);
        if (s.sentences.empty()) s.reason = "no sentence of the retrieved documents answers the question well enough";
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
};

const char* first_node(Backend backend) {
    switch (backend) {
        case Backend::graph: return "planner";
        case Backend::chain: return "chain";
        case Backend::minimal: return "minimal";
    }
    return "planner";
}

Graph graph_for(Backend backend, Run& run) {
    Graph g;
    if (backend != Backend::graph) {
        // One pass: retrieve, compose (minimal: the best sentence alone) and check.
        const auto one_pass = [&run, backend](AgentState& s) {
            run.retrieve(s);
            run.solve(s, backend == Backend::minimal ? 1 : s.max_citations);
            run.check(s);
            return std::string(kEnd);
        };
        return g.add(first_node(backend), {one_pass, 10000ms});
    }
    const auto planner = [](AgentState& s) {
        s.intent = classify(s.question);
        return std::string("retrieve");
    };
    const auto retrieve = [&run](AgentState& s) {
        run.retrieve(s);
        return std::string("solve");
    };
    const auto solve = [&run](AgentState& s) {
        run.solve(s, s.max_citations);
        return std::string("critic");
    };
    const auto critic = [&run](AgentState& s) {
        run.check(s);
        return std::string(kEnd);
    };
    return g.add("planner", {planner, 100ms})
        .add("retrieve", {retrieve, 5000ms})
        .add("solve", {solve, 5000ms})
        .add("critic", {critic, 500ms});
}

}  // namespace

void validate(const AskRequest& r) {
    if (r.question.find_first_not_of(" \t\r\n") == std::string::npos)
        throw BadAsk("question", "the question is empty", "ask something, e.g. how is row level security enforced");
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
    if (state.status != Status::answered) {
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

Answer Agent::ask(pqxx::connection& conn, const std::string& tenant, const AskRequest& request) const {
    validate(request);
    AgentState state;
    int first_step = 0;
    if (!request.thread_id.empty()) {
        auto latest = latest_state(conn, tenant, request.thread_id);
        if (!latest)
            throw UnknownThread("no thread " + request.thread_id + " for this tenant", "leave thread_id out to start one");
        std::tie(state, first_step) = std::move(*latest);
        state.evidence.clear();
        state.sentences.clear();
        state.reason.clear();
    } else {
        state.thread_id = new_uuid();
    }
    state.question = request.question;
    state.backend = request.backend.value_or(options_.backend);
    state.max_citations = request.max_citations;
    state.status = Status::running;
    open_thread(conn, tenant, state);

    Run run{conn, tenant, embedder_, options_, {}};
    graph_for(state.backend, run)
        .run(
            state, first_node(state.backend),
            [&](const AgentState& s, int step, const std::string& node) { save_checkpoint(conn, tenant, s, step, node); },
            first_step);
    return render(std::move(state));
}

}  // namespace voltedge::agents
