#include "agents/state.h"

#include <array>

#include "core/error.h"

namespace voltedge::agents {
namespace {

template <class E, std::size_t N>
E parse_enum(const std::string& name, const std::array<std::pair<E, const char*>, N>& names, const char* what) {
    for (const auto& [value, text] : names)
        if (name == text) return value;
    std::string choices;
    for (const auto& [value, text] : names) choices += (choices.empty() ? "" : ", ") + std::string(text);
    throw Error("unknown " + std::string(what) + " '" + name + "'", "one of: " + choices);
}

template <class E, std::size_t N>
std::string enum_name(E value, const std::array<std::pair<E, const char*>, N>& names) {
    for (const auto& [v, text] : names)
        if (v == value) return text;
    return "?";
}

constexpr std::array<std::pair<Backend, const char*>, 3> kBackends{
    {{Backend::graph, "graph"}, {Backend::chain, "chain"}, {Backend::minimal, "minimal"}}};
constexpr std::array<std::pair<Intent, const char*>, 3> kIntents{
    {{Intent::documentation, "documentation"}, {Intent::data, "data"}, {Intent::action, "action"}}};
constexpr std::array<std::pair<Status, const char*>, 5> kStatuses{{{Status::running, "running"},
                                                                   {Status::answered, "answered"},
                                                                   {Status::abstained, "abstained"},
                                                                   {Status::awaiting_approval, "awaiting_approval"},
                                                                   {Status::failed, "failed"}}};

constexpr std::array<std::pair<CallStatus, const char*>, 5> kCallStatuses{{{CallStatus::planned, "planned"},
                                                                           {CallStatus::done, "done"},
                                                                           {CallStatus::failed, "failed"},
                                                                           {CallStatus::awaiting_approval, "awaiting_approval"},
                                                                           {CallStatus::rejected, "rejected"}}};

}  // namespace

std::string to_string(CallStatus s) { return enum_name(s, kCallStatuses); }
std::string to_string(Backend b) { return enum_name(b, kBackends); }
std::string to_string(Intent i) { return enum_name(i, kIntents); }
std::string to_string(Status s) { return enum_name(s, kStatuses); }
Backend backend_from(const std::string& name) { return parse_enum(name, kBackends, "backend"); }

nlohmann::json to_json(const AgentState& s) {
    nlohmann::json evidence = nlohmann::json::array(), sentences = nlohmann::json::array(), steps = nlohmann::json::array();
    for (const auto& e : s.evidence)
        evidence.push_back({{"chunk_id", e.chunk_id},
                            {"doc_path", e.doc_path},
                            {"revision", e.revision},
                            {"kind", e.kind},
                            {"section", e.section},
                            {"content", e.content},
                            {"ordinal", e.ordinal},
                            {"line_start", e.line_start},
                            {"line_end", e.line_end},
                            {"score", e.score},
                            {"vector_score", e.vector_score}});
    for (const auto& x : s.sentences) sentences.push_back({{"text", x.text}, {"evidence", x.evidence}, {"score", x.score}});
    for (const auto& t : s.steps) steps.push_back({{"node", t.node}, {"ms", t.ms}});
    nlohmann::json calls = nlohmann::json::array();
    for (const auto& c : s.tool_calls)
        calls.push_back({{"id", c.id},
                         {"name", c.name},
                         {"arguments", c.arguments},
                         {"writes", c.writes},
                         {"status", to_string(c.status)},
                         {"summary", c.summary},
                         {"sentences", c.sentences},
                         {"result", c.result},
                         {"reviewer", c.reviewer},
                         {"comment", c.comment}});
    return {{"thread_id", s.thread_id},
            {"question", s.question},
            {"backend", to_string(s.backend)},
            {"intent", to_string(s.intent)},
            {"max_citations", s.max_citations},
            {"evidence", evidence},
            {"sentences", sentences},
            {"tool_calls", calls},
            {"composer", s.composer},
            {"composer_note", s.composer_note},
            {"usage",
             {{"prompt_tokens", s.usage.prompt_tokens},
              {"completion_tokens", s.usage.completion_tokens},
              {"embedded_tokens", s.usage.embedded_tokens},
              {"cost_usd", s.usage.cost_usd}}},
            {"status", to_string(s.status)},
            {"reason", s.reason},
            {"steps", steps}};
}

AgentState state_from_json(const nlohmann::json& j) {
    AgentState s;
    s.thread_id = j.at("thread_id").get<std::string>();
    s.question = j.at("question").get<std::string>();
    s.backend = backend_from(j.at("backend").get<std::string>());
    s.intent = parse_enum(j.at("intent").get<std::string>(), kIntents, "intent");
    s.max_citations = j.at("max_citations").get<int>();
    for (const auto& e : j.at("evidence"))
        s.evidence.push_back({e.at("chunk_id"), e.at("doc_path"), e.at("revision"), e.at("kind"), e.at("section"),
                              e.at("content"), e.at("ordinal"), e.at("line_start"), e.at("line_end"), e.at("score"),
                              e.at("vector_score")});
    for (const auto& x : j.at("sentences")) s.sentences.push_back({x.at("text"), x.at("evidence"), x.at("score")});
    for (const auto& c : j.value("tool_calls", nlohmann::json::array()))
        s.tool_calls.push_back({c.at("id"), c.at("name"), c.at("arguments"), c.at("writes"),
                                parse_enum(c.at("status").get<std::string>(), kCallStatuses, "tool call status"), c.at("summary"),
                                c.at("sentences"), c.at("result"), c.at("reviewer"), c.at("comment")});
    s.composer = j.value("composer", "extractive");
    s.composer_note = j.value("composer_note", "");
    if (j.contains("usage")) {
        const auto& u = j["usage"];
        s.usage = {u.at("prompt_tokens"), u.at("completion_tokens"), u.at("embedded_tokens"), u.at("cost_usd")};
    }
    s.status = parse_enum(j.at("status").get<std::string>(), kStatuses, "status");
    s.reason = j.at("reason").get<std::string>();
    for (const auto& t : j.at("steps")) s.steps.push_back({t.at("node"), t.at("ms")});
    return s;
}

}  // namespace voltedge::agents
