#include "agents/trackers.h"

#include <fmt/format.h>

#include "core/error.h"
#include "http/client.h"

namespace voltedge::agents {
namespace {

std::string base64(const std::string& in) {
    static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                           static_cast<unsigned char>(in[i + 2]);
        for (const int shift : {18, 12, 6, 0}) out += digits[(n >> shift) & 63];
    }
    if (i < in.size()) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16 |
                           (i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) << 8 : 0);
        out += digits[(n >> 18) & 63];
        out += digits[(n >> 12) & 63];
        out += i + 1 < in.size() ? digits[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string trimmed_base(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

// The tracker's own words for a refusal (GitHub: message; Jira: errorMessages and errors), short.
std::string refusal(const std::string& body) {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    std::string text;
    if (j.is_object()) {
        if (j.contains("message") && j["message"].is_string()) text = j["message"];
        if (j.contains("errorMessages")) text += j["errorMessages"].dump();
        if (j.contains("errors") && !j["errors"].empty()) text += " " + j["errors"].dump();
    }
    if (text.empty()) text = body.substr(0, 200);
    return text;
}

TrackerResult drafted(TrackerRequest request) {
    TrackerResult out;
    out.request = std::move(request);
    return out;
}

TrackerResult send(const char* tracker, TrackerRequest request, const std::vector<std::string>& headers) {
    http::ClientRequest r;
    r.method = request.method;
    r.url = request.url;
    r.body = request.body.dump();
    r.headers = headers;
    r.headers.push_back("Content-Type: application/json");
    r.timeout_seconds = 20;
    const auto response = http::send(r);
    if (response.status >= 400)
        throw Error(fmt::format("{} refused the request ({}): {}", tracker, response.status, refusal(response.body)),
                    response.status == 401 || response.status == 403 ? "check the token and its permissions"
                                                                     : "check the repository or project and the arguments");
    const auto answer = nlohmann::json::parse(response.body, nullptr, false);
    TrackerResult out;
    out.sent = true;
    out.request = std::move(request);
    out.status = response.status;
    if (answer.is_object()) {
        if (answer.contains("html_url")) out.url = answer.value("html_url", "");
        if (answer.contains("number")) out.key = "#" + std::to_string(answer.value("number", 0));
        if (answer.contains("key")) out.key = answer.value("key", "");
    }
    return out;
}

}  // namespace

TrackerResult GitHub::post(const std::string& path, nlohmann::json body) const {
    TrackerRequest request{"POST", trimmed_base(config_.api_url) + "/repos/" + config_.repo + path, std::move(body)};
    if (!configured()) return drafted(std::move(request));
    return send("GitHub", std::move(request),
                {"Authorization: Bearer " + config_.token, "Accept: application/vnd.github+json",
                 "X-GitHub-Api-Version: 2022-11-28", "User-Agent: voltedge-agent"});
}

TrackerResult GitHub::create_issue(const std::string& title, const std::string& body) const {
    return post("/issues", {{"title", title}, {"body", body}});
}

TrackerResult GitHub::create_pull_request(const std::string& title, const std::string& head, const std::string& base,
                                          const std::string& body) const {
    return post("/pulls", {{"title", title}, {"head", head}, {"base", base}, {"body", body}});
}

TrackerResult Jira::create_issue(const std::string& summary, const std::string& description) const {
    TrackerRequest request{"POST",
                           trimmed_base(config_.url) + "/rest/api/2/issue",
                           {{"fields",
                             {{"project", {{"key", config_.project}}},
                              {"summary", summary},
                              {"description", description},
                              {"issuetype", {{"name", "Task"}}}}}}};
    if (!configured()) return drafted(std::move(request));
    const std::string auth = config_.user.empty() ? "Bearer " + config_.token
                                                  : "Basic " + base64(config_.user + ":" + config_.token);
    auto out = send("Jira", std::move(request), {"Authorization: " + auth, "Accept: application/json"});
    if (!out.key.empty()) out.url = trimmed_base(config_.url) + "/browse/" + out.key;
    return out;
}

}  // namespace voltedge::agents
