#include "agents/checkpoints.h"

#include "core/uuid.h"
#include "db/connection.h"
#include "security/audit.h"
#include "security/redaction.h"

namespace voltedge::agents {
void open_thread(pqxx::connection& conn, const std::string& tenant, const AgentState& state) {
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        tx.exec_params("INSERT INTO agent_threads (tenant_id, thread_id, question, backend, status) "
                       "VALUES ($1, $2, $3, $4, 'running') "
                       "ON CONFLICT (tenant_id, thread_id) DO UPDATE SET status = 'running', updated_at = now()",
                       tenant, state.thread_id, security::redacted(state.question), to_string(state.backend));
    });
}

std::string claim_for_approval(pqxx::connection& conn, const std::string& tenant, const std::string& thread_id,
                               const std::string& reviewer, bool approve) {
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) -> std::string {
        if (!tx.exec_params("UPDATE agent_threads SET status = 'running', updated_at = now() "
                            "WHERE tenant_id = $1 AND thread_id = $2 AND status = 'awaiting_approval' RETURNING 1",
                            tenant, thread_id)
                 .empty()) {
            // The calls decided on, from the thread's last checkpoint: what the reviewer let through (or stopped).
            const auto calls = tx.exec_params1(
                "SELECT coalesce(jsonb_agg(jsonb_build_object('id', c->'id', 'tool', c->'name', 'arguments', c->'arguments')), "
                "'[]')::text FROM (SELECT state FROM agent_checkpoints WHERE tenant_id = $1 AND thread_id = $2 "
                "ORDER BY step DESC LIMIT 1) s, jsonb_array_elements(s.state->'tool_calls') c "
                "WHERE c->>'status' = 'awaiting_approval'",
                tenant, thread_id);
            security::audit(tx, tenant, reviewer, approve ? "agent_action_approved" : "agent_action_rejected",
                            {{"thread_id", thread_id}, {"tool_calls", nlohmann::json::parse(calls[0].c_str())}});
            return "awaiting_approval";
        }
        const auto row = tx.exec_params("SELECT status FROM agent_threads WHERE tenant_id = $1 AND thread_id = $2", tenant,
                                        thread_id);
        return row.empty() ? std::string() : row[0][0].as<std::string>();
    });
}

void save_checkpoint(pqxx::connection& conn, const std::string& tenant, const AgentState& state, int step,
                     const std::string& node) {
    const auto json = security::redacted_json(to_json(state));
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        tx.exec_params(
            "INSERT INTO agent_checkpoints (tenant_id, thread_id, step, node, state) VALUES ($1, $2, $3, $4, $5::jsonb)", tenant,
            state.thread_id, step, node, json.dump());
        tx.exec_params("UPDATE agent_threads SET status = $3, updated_at = now() WHERE tenant_id = $1 AND thread_id = $2", tenant,
                       state.thread_id, to_string(state.status));
    });
}

std::optional<StoredThread> load_thread(pqxx::connection& conn, const std::string& tenant, const std::string& thread_id) {
    if (!is_uuid(thread_id)) return std::nullopt;
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) -> std::optional<StoredThread> {
        const auto t = tx.exec_params("SELECT question, backend, status, created_at::text, updated_at::text FROM agent_threads "
                                      "WHERE tenant_id = $1 AND thread_id = $2",
                                      tenant, thread_id);
        if (t.empty()) return std::nullopt;
        StoredThread out{thread_id,
                         t[0][0].as<std::string>(),
                         t[0][1].as<std::string>(),
                         t[0][2].as<std::string>(),
                         t[0][3].as<std::string>(),
                         t[0][4].as<std::string>(),
                         {}};
        for (const auto& r : tx.exec_params("SELECT step, node, created_at::text, state::text FROM agent_checkpoints "
                                            "WHERE tenant_id = $1 AND thread_id = $2 ORDER BY step",
                                            tenant, thread_id))
            out.steps.push_back(
                {r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>(), nlohmann::json::parse(r[3].as<std::string>())});
        return out;
    });
}

std::optional<std::pair<AgentState, int>> latest_state(pqxx::connection& conn, const std::string& tenant,
                                                       const std::string& thread_id) {
    if (!is_uuid(thread_id)) return std::nullopt;
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) -> std::optional<std::pair<AgentState, int>> {
        const auto r = tx.exec_params("SELECT step, state::text FROM agent_checkpoints WHERE tenant_id = $1 AND thread_id = $2 "
                                      "ORDER BY step DESC LIMIT 1",
                                      tenant, thread_id);
        if (r.empty()) return std::nullopt;
        return std::pair{state_from_json(nlohmann::json::parse(r[0][1].as<std::string>())), r[0][0].as<int>() + 1};
    });
}

}  // namespace voltedge::agents
