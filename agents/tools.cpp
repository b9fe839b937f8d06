#include "agents/tools.h"

#include <fmt/format.h>

#include <stdexcept>

#include "agents/json_schema.h"
#include "db/connection.h"
#include "security/audit.h"

namespace voltedge::agents {

void ToolRegistry::add(Tool tool) {
    const std::string name = tool.name;
    if (!tools_.emplace(name, std::move(tool)).second) throw std::logic_error("agent tool '" + name + "' registered twice");
}

const Tool* ToolRegistry::find(const std::string& name) const {
    const auto it = tools_.find(name);
    return it == tools_.end() ? nullptr : &it->second;
}

std::vector<std::string> ToolRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, _] : tools_) out.push_back(name);
    return out;
}

std::vector<std::string> tool_list(const std::string& comma_separated) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < comma_separated.size()) {
        const auto end = std::min(comma_separated.find(',', start), comma_separated.size());
        if (end > start) out.push_back(comma_separated.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

ToolGrant grant_for(pqxx::connection& conn, const std::string& tenant, const ToolRegistry& tools,
                    const std::vector<std::string>& defaults, bool admin,
                    const std::optional<std::vector<std::string>>& requested) {
    std::vector<std::string> listed;
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        for (const auto& row : tx.exec("SELECT tool FROM agent_tool_allowlist ORDER BY tool"))
            listed.push_back(row[0].as<std::string>());
    });
    ToolGrant grant;
    grant.admin = admin;
    for (const auto& name : listed.empty() ? defaults : listed) {
        const Tool* tool = tools.find(name);
        if (!tool || (tool->writes && !admin)) continue;
        if (requested && std::find(requested->begin(), requested->end(), name) == requested->end()) continue;
        grant.names.insert(name);
    }
    return grant;
}

void set_tenant_tools(pqxx::connection& admin_conn, const std::string& tenant, const std::vector<std::string>& names,
                      const std::string& actor) {
    for (const auto& name : names)
        if (std::find(kAllTools.begin(), kAllTools.end(), name) == kAllTools.end())
            throw Error("unknown tool '" + name + "'", fmt::format("the tools are {}", fmt::join(kAllTools, ", ")));
    pqxx::work tx(admin_conn);
    if (tx.exec_params("SELECT 1 FROM tenants WHERE tenant_id = $1", tenant).empty())
        throw Error("no tenant '" + tenant + "'", "create it first: voltedge tenant create " + tenant);
    tx.exec_params("DELETE FROM agent_tool_allowlist WHERE tenant_id = $1", tenant);
    for (const auto& name : names)
        tx.exec_params("INSERT INTO agent_tool_allowlist (tenant_id, tool) VALUES ($1, $2) ON CONFLICT DO NOTHING", tenant, name);
    security::audit(tx, tenant, actor, "agent_tools_set", {{"tools", names}});
    tx.commit();
}

const Tool& checked_tool(const ToolRegistry& tools, const ToolGrant& grant, const std::string& name,
                         const nlohmann::json& arguments) {
    const Tool* tool = tools.find(name);
    if (!tool)
        throw ToolRefused("there is no tool '" + name + "'", fmt::format("the tools are {}", fmt::join(tools.names(), ", ")));
    if (!grant.names.count(name)) {
        if (tool->writes && !grant.admin)
            throw ToolRefused("the tool " + name + " changes things outside VoltEdge and this key may only read",
                              "ask with a tenant-admin key");
        throw ToolRefused("the tool " + name + " is not allowed for this tenant or request",
                          "a platform admin can allow it: voltedge tenant tools --tenant <id> --allow " + name);
    }
    if (auto bad = schema_violation(tool->schema, arguments))
        throw ToolRefused("the arguments of " + name + " are invalid: " + *bad, "arguments schema: " + tool->schema.dump());
    return *tool;
}

}  // namespace voltedge::agents
