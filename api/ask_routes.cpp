// POST /ask and GET /ask/{thread_id}: the agent (agents/agent.h) in the key's tenant.
#include <fmt/format.h>

#include <algorithm>

#include "agents/agent.h"
#include "agents/checkpoints.h"
#include "agents/critic.h"
#include "api/routes.h"
#include "core/deadline.h"
#include "observability/metrics.h"

namespace voltedge::api {
namespace {

constexpr const char* kAskExample = R"(e.g. {"question": "how is row level security enforced"})";

// What the grounding and cost SLOs watch (observability/prometheus/): answers by outcome, served sentences by
// whether the evidence they cite supports them (the critic drops the others, so "unsupported" should stay 0),
// and the language model's tokens and estimated cost.
void record_answer(const agents::Answer& a) {
    auto& m = observability::metrics();
    static auto& answers = m.counter_family("voltedge_ask_answers_total", "/ask answers by outcome", {"outcome"});
    static auto& sentences = m.counter_family("voltedge_ask_sentences_total",
                                              "Sentences served by /ask, by whether the evidence they cite supports them",
                                              {"verdict"});
    static auto& tokens = m.counter_family("voltedge_llm_tokens_total", "Language-model tokens used by /ask", {"direction"});
    static auto& cost = m.counter("voltedge_llm_estimated_cost_dollars_total",
                                  "Estimated language-model cost of /ask answers (VOLTEDGE_LLM_USD_PER_1K_*)");
    const auto& st = a.state;
    const bool abstained = st.status == agents::Status::abstained;
    answers.with({st.status == agents::Status::failed ? "error" : abstained ? "abstained" : "answered"}).inc();
    for (const auto& sentence : st.sentences) {
        const bool cited = sentence.evidence >= 0 && sentence.evidence < static_cast<int>(st.evidence.size());
        const bool supported = cited && agents::supported_by(sentence.text, st.evidence[sentence.evidence]);
        sentences.with({supported ? "cited" : "unsupported"}).inc();
    }
    tokens.with({"prompt"}).inc(static_cast<double>(st.usage.prompt_tokens));
    tokens.with({"completion"}).inc(static_cast<double>(st.usage.completion_tokens));
    cost.inc(st.usage.cost_usd);
    auto& request = current_request();
    request.token_count = static_cast<int>(st.usage.prompt_tokens + st.usage.completion_tokens + st.usage.embedded_tokens);
    for (const auto& c : a.citations) request.doc_refs.push_back(c.chunk_id);
}

agents::AskRequest parse_ask(std::string_view body) {
    const Json j = parse_json_body(body);
    if (j.is_discarded()) throw ApiError(400, "body", "the request body is not valid JSON", kAskExample);
    if (!j.is_object()) throw ApiError(400, "body", "the request body must be a JSON object", kAskExample);
    agents::AskRequest r;
    bool has_question = false;
    for (const auto& [key, value] : j.items()) {
        if (key == "question") {
            if (!value.is_string()) throw ApiError(422, key, "question must be a string", kAskExample);
            r.question = value.get<std::string>();
            has_question = true;
        } else if (key == "thread_id") {
            if (!value.is_string()) throw ApiError(422, key, "thread_id must be a string (a UUID from an earlier answer)");
            r.thread_id = value.get<std::string>();
            if (r.thread_id.empty()) throw ApiError(422, key, "thread_id is empty", "leave it out to start a new thread");
        } else if (key == "max_citations") {
            if (!value.is_number_integer()) throw ApiError(422, key, "max_citations must be a whole number");
            const auto n = value.get<long long>();
            r.max_citations = n < 0 || n > 1000 ? -1 : static_cast<int>(n);
        } else if (key == "tools") {
            if (!value.is_array())
                throw ApiError(422, key, "tools must be a list of tool names", "e.g. [\"search\", \"forecast\"]");
            std::vector<std::string> names;
            for (std::size_t i = 0; i < value.size(); ++i) {
                const std::string field = "tools[" + std::to_string(i) + "]";
                if (!value[i].is_string()) throw ApiError(422, field, field + " must be a tool name");
                const std::string name = value[i];
                if (std::find(agents::kAllTools.begin(), agents::kAllTools.end(), name) == agents::kAllTools.end())
                    throw ApiError(422, field, "unknown tool '" + name + "'",
                                   fmt::format("the tools are {}", fmt::join(agents::kAllTools, ", ")));
                names.push_back(name);
            }
            r.tools = std::move(names);
        } else if (key == "backend") {
            if (!value.is_string()) throw ApiError(422, key, "backend must be a string: graph, chain or minimal");
            try {
                r.backend = agents::backend_from(value.get<std::string>());
            } catch (const Error& e) {
                throw ApiError(422, key, e.what(), e.hint());
            }
        } else {
            throw ApiError(422, key, "unknown field '" + key + "'",
                           "the fields are question, thread_id, max_citations, tools, backend");
        }
    }
    if (!has_question) throw ApiError(422, "question", "no question", kAskExample);
    try {
        agents::validate(r);
    } catch (const agents::BadAsk& e) {
        throw ApiError(422, e.field(), e.what(), e.hint());
    }
    return r;
}

Json answer_json(const agents::Answer& a, const std::string& tenant) {
    Json citations = Json::array(), steps = Json::array();
    for (const auto& c : a.citations)
        citations.push_back({{"marker", c.marker},
                             {"chunk_id", c.chunk_id},
                             {"doc_path", c.doc_path},
                             {"revision", c.revision},
                             {"line_start", c.line_start},
                             {"line_end", c.line_end},
                             {"quote", c.quote}});
    for (const auto& t : a.state.steps) steps.push_back({{"node", t.node}, {"ms", t.ms}});
    Json calls = Json::array();
    for (const auto& c : a.state.tool_calls)
        calls.push_back({{"id", c.id},
                         {"name", c.name},
                         {"arguments", c.arguments},
                         {"writes", c.writes},
                         {"status", agents::to_string(c.status)},
                         {"summary", c.summary},
                         {"result", c.result},
                         {"reviewer", c.reviewer.empty() ? Json(nullptr) : Json(c.reviewer)},
                         {"comment", c.comment.empty() ? Json(nullptr) : Json(c.comment)}});
    const bool abstained = a.state.status == agents::Status::abstained;
    return {{"request_id", current_request().request_id},
            {"tenant_id", tenant},
            {"thread_id", a.state.thread_id},
            {"status", agents::to_string(a.state.status)},
            {"answer", a.text},
            {"citations", std::move(citations)},
            {"abstained", abstained},
            {"reason", a.state.reason.empty() ? Json(nullptr) : Json(a.state.reason)},
            {"intent", agents::to_string(a.state.intent)},
            {"tool_calls", std::move(calls)},
            {"backend", agents::to_string(a.state.backend)},
            {"composer", a.state.composer},
            {"composer_note", a.state.composer_note.empty() ? Json(nullptr) : Json(a.state.composer_note)},
            {"tokens",
             {{"prompt", a.state.usage.prompt_tokens},
              {"completion", a.state.usage.completion_tokens},
              {"embedded", a.state.usage.embedded_tokens}}},
            {"cost_usd", a.state.usage.cost_usd},
            {"steps", std::move(steps)}};
}

void ask(Services& s, const http::Request& req, http::Response& res) {
    const auto who = authenticate(s.keys, req);
    const std::string tenant = tenant_of(who);
    agents::AskRequest request = parse_ask(req.body);
    request.admin = who.scope == security::Scope::tenant_admin;
    if (!s.agent)
        throw ApiError(503, "", "/ask is unavailable: the embedding model is not installed", "operators: run make bootstrap");
    ScopedDeadline deadline(req.received + s.options.request_timeout);
    try {
        const auto answer = s.pool.read([&](pqxx::connection& conn) {
            const auto second = s.pool.try_acquire();  // none free: retrieval's vector stage follows its full-text one
            return s.agent->ask(conn, tenant, request, second ? &**second : nullptr);
        });
        record_answer(answer);
        if (answer.state.status == agents::Status::failed)
            throw ApiError(503, "", "the agent could not finish: " + answer.state.reason, "try again");
        send_json(res, 200, answer_json(answer, tenant));
    } catch (const agents::UnknownThread& e) {
        throw ApiError(404, "thread_id", e.what(), e.hint());
    } catch (const agents::NotAwaitingApproval& e) {
        throw ApiError(409, "thread_id", e.what(), e.hint());
    }
}

agents::Approval parse_approval(std::string_view body) {
    constexpr const char* example = R"(e.g. {"approve": true, "comment": "looks right"})";
    const Json j = parse_json_body(body);
    if (j.is_discarded()) throw ApiError(400, "body", "the request body is not valid JSON", example);
    if (!j.is_object()) throw ApiError(400, "body", "the request body must be a JSON object", example);
    agents::Approval a;
    bool decided = false;
    for (const auto& [key, value] : j.items()) {
        if (key == "approve") {
            if (!value.is_boolean()) throw ApiError(422, key, "approve must be true or false", example);
            a.approve = value.get<bool>();
            decided = true;
        } else if (key == "comment") {
            if (!value.is_string()) throw ApiError(422, key, "comment must be a string");
            a.comment = value.get<std::string>();
            if (a.comment.size() > 2000) throw ApiError(422, key, "comment is longer than 2000 bytes");
            if (a.comment.find('\0') != std::string::npos) throw ApiError(422, key, "comment contains a NUL character (\\u0000)");
        } else {
            throw ApiError(422, key, "unknown field '" + key + "'", "the fields are approve and comment");
        }
    }
    if (!decided) throw ApiError(422, "approve", "no decision: approve is missing", example);
    return a;
}

void resume(Services& s, const http::Request& req, http::Response& res) {
    const auto who = authenticate(s.keys, req);
    const std::string tenant = tenant_of(who);
    agents::Approval approval = parse_approval(req.body);
    approval.reviewer = "key:" + who.key_id;
    approval.admin = who.scope == security::Scope::tenant_admin;
    if (!s.agent)
        throw ApiError(503, "", "/ask is unavailable: the embedding model is not installed", "operators: run make bootstrap");
    ScopedDeadline deadline(req.received + s.options.request_timeout);
    const std::string& id = req.params.at(0);
    try {
        // Not read(): a resume runs write tools, so it is never repeated on a broken connection.
        auto lease = s.pool.acquire();
        const auto answer = s.agent->resume(*lease, tenant, id, approval);
        if (answer.state.status == agents::Status::failed)
            throw ApiError(503, "", "the agent could not finish: " + answer.state.reason, "GET /ask/" + id + " shows the steps");
        send_json(res, 200, answer_json(answer, tenant));
    } catch (const agents::BadAsk& e) {
        throw ApiError(422, e.field(), e.what(), e.hint());
    } catch (const agents::UnknownThread& e) {
        throw ApiError(404, "thread_id", e.what(), e.hint());
    } catch (const agents::NotAwaitingApproval& e) {
        throw ApiError(409, "thread_id", e.what(), e.hint());
    } catch (const agents::NotPermitted& e) {
        throw ApiError(403, "Authorization", e.what(), e.hint());
    }
}

void show_thread(Services& s, const http::Request& req, http::Response& res) {
    const std::string tenant = tenant_of(authenticate(s.keys, req));
    const std::string& id = req.params.at(0);
    const auto thread = s.pool.read([&](pqxx::connection& conn) { return agents::load_thread(conn, tenant, id); });
    if (!thread) throw ApiError(404, "thread_id", "no thread " + id + " for this tenant");
    Json steps = Json::array();
    for (const auto& st : thread->steps)
        steps.push_back({{"step", st.step}, {"node", st.node}, {"at", st.created_at}, {"state", st.state}});
    send_json(res, 200,
              {{"thread_id", thread->thread_id},
               {"question", thread->question},
               {"backend", thread->backend},
               {"status", thread->status},
               {"created_at", thread->created_at},
               {"updated_at", thread->updated_at},
               {"steps", std::move(steps)}});
}

}  // namespace

void install_ask_routes(http::Server& server, Services& s) {
    server.route("POST", "/ask", guarded([&s](const auto& req, auto& res) { ask(s, req, res); }));
    server.route("GET", "/ask/{thread_id}", guarded([&s](const auto& req, auto& res) { show_thread(s, req, res); }));
    server.route("POST", "/ask/{thread_id}/resume", guarded([&s](const auto& req, auto& res) { resume(s, req, res); }));
}

}  // namespace voltedge::api
