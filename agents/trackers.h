#pragma once
// Where the agent's write tools send what a person approved: GitHub (issues and pull requests, REST API v3)
// and Jira (issues, REST API v2). Each client is a base URL and a token from config; without a token nothing
// is sent and the caller gets the request it would have made (the draft). No other code knows their shapes.
#include <nlohmann/json.hpp>
#include <string>

namespace voltedge::agents {

struct GitHubConfig {
    std::string api_url = "https://api.github.com";
    std::string repo;   // owner/name
    std::string token;  // a fine-grained token with issues and pull-requests write access
};

struct JiraConfig {
    std::string url;      // https://yourcompany.atlassian.net
    std::string project;  // the project key, e.g. OPS
    std::string user;     // with a token: basic auth (Jira Cloud); without a user: bearer (Jira Data Center PAT)
    std::string token;
};

// The request a client makes (or would make, without credentials).
struct TrackerRequest {
    std::string method, url;
    nlohmann::json body;
};

// What came of it: sent (the tracker's answer: its URL for the new item) or only drafted.
struct TrackerResult {
    bool sent = false;
    TrackerRequest request;
    long status = 0;
    std::string url;  // html_url (GitHub) or the browse URL (Jira) of what was created
    std::string key;  // "#42" or "OPS-7"
};

class GitHub {
public:
    explicit GitHub(GitHubConfig config) : config_(std::move(config)) {}
    bool configured() const { return !config_.token.empty() && !config_.repo.empty(); }
    TrackerResult create_issue(const std::string& title, const std::string& body) const;
    TrackerResult create_pull_request(const std::string& title, const std::string& head, const std::string& base,
                                      const std::string& body) const;

private:
    TrackerResult post(const std::string& path, nlohmann::json body) const;
    GitHubConfig config_;
};

class Jira {
public:
    explicit Jira(JiraConfig config) : config_(std::move(config)) {}
    bool configured() const { return !config_.url.empty() && !config_.project.empty() && !config_.token.empty(); }
    TrackerResult create_issue(const std::string& summary, const std::string& description) const;

private:
    JiraConfig config_;
};

}  // namespace voltedge::agents
