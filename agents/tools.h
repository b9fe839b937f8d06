#pragma once
// The agent's tools: each a name, a description, a JSON Schema for its arguments and a function. The tools
// themselves are registered where the binary is wired (cli/agent_tools.cpp), like job handlers, because they
// reach areas the agent may not (ingestion's reports, training's runs); this file only knows their shape.
//
// Who may use which tool is the intersection of three allow-lists: the tenant's (agent_tool_allowlist, or
// AGENT_TOOLS when the tenant has none), the key's role (a tenant key reads; write tools need a tenant-admin
// key) and the request's own `tools` list. Write tools never run when called: they are drafted, the thread
// pauses, and a tenant admin approves or rejects them (Agent::resume).
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace voltedge::agents {

// Arguments that break the tool's schema, a tool not allowed to the caller, or a tool that does not exist.
class ToolRefused : public Error {
public:
    using Error::Error;
};

struct ToolContext {
    pqxx::connection& conn;  // the request's connection, in the tenant's row-level security
    const std::string& tenant;
    const std::string& thread_id;  // the request id of what the tool does (forecasts, jobs)
};

struct ToolOutput {
    nlohmann::json result = nlohmann::json::object();
    std::string summary;                 // one line: what was done
    std::vector<std::string> sentences;  // the result in words, each a sentence the answer may quote
};

struct Tool {
    std::string name, description;
    nlohmann::json schema;  // of the arguments object (agents/json_schema.h)
    bool writes = false;    // changes something outside the agent: always paused for approval
    // Runs the tool; a write tool runs only after approval. Throws Error with a message the answer can show.
    std::function<ToolOutput(ToolContext&, const nlohmann::json& arguments)> run;
};

class ToolRegistry {
public:
    // Throws std::logic_error for a second tool of the same name.
    void add(Tool tool);
    const Tool* find(const std::string& name) const;
    std::vector<std::string> names() const;

private:
    std::map<std::string, Tool> tools_;
};

inline const std::vector<std::string> kAllTools = {"search",   "forecast", "data_quality", "model_info",
                                                   "run_eval", "open_pr",  "file_issue"};

// "search,forecast" -> {"search", "forecast"} (AGENT_TOOLS; empty items skipped).
std::vector<std::string> tool_list(const std::string& comma_separated);

// The tools a request may use.
struct ToolGrant {
    std::set<std::string> names;
    bool admin = false;  // a tenant-admin key: write tools allowed and approvals accepted
};

// The tenant's allow-list (its rows in agent_tool_allowlist, or `defaults` when it has none), narrowed by the
// key's role and the request's own list (nullopt: no narrowing).
ToolGrant grant_for(pqxx::connection& conn, const std::string& tenant, const ToolRegistry& tools,
                    const std::vector<std::string>& defaults, bool admin,
                    const std::optional<std::vector<std::string>>& requested);

// Replaces the tenant's allow-list (admin connection) and records it in the audit log; an empty list returns it
// to the defaults. Throws Error naming an unknown tool or tenant.
void set_tenant_tools(pqxx::connection& admin_conn, const std::string& tenant, const std::vector<std::string>& names,
                      const std::string& actor);

// Checks `name` and `arguments` before a call: throws ToolRefused naming the tool or argument at fault.
const Tool& checked_tool(const ToolRegistry& tools, const ToolGrant& grant, const std::string& name,
                         const nlohmann::json& arguments);

}  // namespace voltedge::agents
