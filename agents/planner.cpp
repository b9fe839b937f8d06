#include "agents/planner.h"

#include <algorithm>
#include <regex>

namespace voltedge::agents {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool mentions(const std::string& q, std::initializer_list<const char*> phrases) {
    return std::any_of(phrases.begin(), phrases.end(), [&](const char* p) { return q.find(p) != std::string::npos; });
}

// The question as a title: its first line, without a leading request ("Open a pull request that ..."), at most
// 120 characters.
std::string title_of(const std::string& question) {
    static const std::regex titled(R"(\b(titled|called|named)\s+['"‘“]([^'"’”]{2,200})['"’”])", std::regex::icase);
    std::smatch named;
    if (std::regex_search(question, named, titled)) return named[2].str();
    static const std::regex request(
        R"(^\s*(please\s+)?(open|file|create|raise|submit)\s+(a|an)\s+(github\s+|jira\s+)?(pull request|pr|issue|ticket)\s*(that|to|saying|titled|about|for)?\s*)",
        std::regex::icase);
    std::string t = question.substr(0, question.find('\n'));
    t = std::regex_replace(t, request, "", std::regex_constants::format_first_only);
    while (!t.empty() && (t.back() == '.' || t.back() == ' ')) t.pop_back();
    if (!t.empty()) t[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(t[0])));
    if (t.size() > 120) t = t.substr(0, 117) + "...";
    return t.empty() ? "Request from the VoltEdge agent" : t;
}

std::string body_of(const std::string& question, const std::string& thread_id) {
    return question + "\n\nDrafted by the VoltEdge agent (thread " + thread_id + ") and approved by a tenant admin.";
}

// 'quoted words' or "quoted words" in the question, else the whole question.
std::string quoted_or_all(const std::string& question) {
    static const std::regex quoted(R"(['"‘“]([^'"’”]{2,200})['"’”])");
    std::smatch m;
    return std::regex_search(question, m, quoted) ? m[1].str() : question;
}

int number_after(const std::string& q, const std::regex& pattern, int fallback) {
    std::smatch m;
    if (!std::regex_search(q, m, pattern)) return fallback;
    try {
        return std::stoi(m[1].str());
    } catch (const std::exception&) {
        return fallback;
    }
}

std::vector<PlannedCall> action_calls(const std::string& question, const std::string& q, const std::string& thread_id) {
    if (mentions(q, {"pull request", "open a pr", "open_pr"}))
        return {{"open_pr",
                 {{"title", title_of(question)},
                  {"head", "voltedge/agent-" + thread_id.substr(0, 8)},
                  {"base", "main"},
                  {"body", body_of(question, thread_id)}}}};
    if (mentions(q, {"issue", "ticket", "file_issue"}) && mentions(q, {"file", "open", "create", "raise", "submit"}))
        return {{"file_issue",
                 {{"tracker", mentions(q, {"jira", "ticket"}) ? "jira" : "github"},
                  {"title", title_of(question)},
                  {"body", body_of(question, thread_id)}}}};
    if (mentions(q, {"eval", "run_eval"}) && mentions(q, {"run", "start", "launch", "kick off"})) {
        const char* suite = mentions(q, {"retrieval", "search"}) ? "retrieval"
                            : mentions(q, {"answer", "/ask"})    ? "answers"
                                                                 : "retrieval";
        return {{"run_eval", {{"suite", suite}}}};
    }
    return {};
}

std::vector<PlannedCall> data_calls(const std::string& question, const std::string& q) {
    std::vector<PlannedCall> calls;
    static const std::regex next_hours(R"(next\s+(\d{1,3})\s*(h\b|hours?))");
    static const std::regex at_hour(R"(\bat\s+(\d{1,2})(:00|\s*(am|h|o'clock)))");
    // The future of this tenant's load: a time ahead and a word for load (not "the weather tomorrow").
    const bool future = std::regex_search(q, next_hours) || mentions(q, {"tomorrow", "next day", "next hour", "coming hours"});
    const bool load = mentions(q, {"load", "power", "consumption", "demand", "kw", "draw", "forecast", "usage"});
    if ((future && load) || mentions(q, {"forecast for", "load should we expect", "what will the load", "how much power will",
                                         "hour-by-hour forecast", "predict the load"})) {
        nlohmann::json args = {{"horizon_hours", number_after(q, next_hours, 24)}};
        const int hour = number_after(q, at_hour, -1);
        if (hour >= 0 && hour < 24) args["hour_of_day"] = hour;
        calls.push_back({"forecast", args});
    }
    // This tenant's report or models, not how checks or models work in general.
    const bool ours = mentions(q, {"latest", "most recent", "our ", "last ingest", "right now", "currently"});
    if (ours && mentions(q, {"data-quality", "data quality", "latest ingest", "last ingest"}))
        calls.push_back({"data_quality", nlohmann::json::object()});
    if (mentions(q, {"model", "version"}) && mentions(q, {"in production", "on staging", "production model", "staging model"}))
        calls.push_back({"model_info", nlohmann::json::object()});
    if (q.rfind("search ", 0) == 0 || mentions(q, {"list the files", "which files mention", "find the files"}))
        calls.push_back({"search", {{"query", quoted_or_all(question)}, {"k", 10}}});
    return calls;
}

}  // namespace

Plan plan_question(const std::string& question, const std::string& thread_id) {
    const std::string q = lower(question);
    Plan plan;
    if (auto calls = action_calls(question, q, thread_id); !calls.empty()) {
        plan.intent = Intent::action;
        plan.calls = std::move(calls);
    } else if (auto reads = data_calls(question, q); !reads.empty()) {
        plan.intent = Intent::data;
        plan.calls = std::move(reads);
    }
    return plan;
}

}  // namespace voltedge::agents
