#pragma once
// Threads and the state after each of their steps, in agent_threads and agent_checkpoints (the tenant's rows
// only: row-level security). Every string of a stored state is redacted first (security/redaction.h).
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "agents/state.h"

namespace voltedge::agents {

// Creates the thread (status running) or, for a thread that exists, sets its status back to running.
void open_thread(pqxx::connection& conn, const std::string& tenant, const AgentState& state);
// Stores the state after `step` (node `node`) and the thread's status, in one transaction.
void save_checkpoint(pqxx::connection& conn, const std::string& tenant, const AgentState& state, int step,
                     const std::string& node);

// Moves the thread from awaiting_approval to running in one statement, so of two reviewers answering at once
// only one goes on. Returns "awaiting_approval" when this call claimed it, else the thread's status ("" when
// the tenant has no such thread). The decision is written to the audit log with the claim.
std::string claim_for_approval(pqxx::connection& conn, const std::string& tenant, const std::string& thread_id,
                               const std::string& reviewer, bool approve);

struct StoredStep {
    int step = 0;
    std::string node, created_at;
    nlohmann::json state;
};

struct StoredThread {
    std::string thread_id, question, backend, status, created_at, updated_at;
    std::vector<StoredStep> steps;
};

// The thread with its steps; nullopt when the tenant has no such thread (another tenant's id included).
std::optional<StoredThread> load_thread(pqxx::connection& conn, const std::string& tenant, const std::string& thread_id);

// The state after the thread's last step and the number the next step gets; nullopt for an unknown thread.
std::optional<std::pair<AgentState, int>> latest_state(pqxx::connection& conn, const std::string& tenant,
                                                       const std::string& thread_id);

}  // namespace voltedge::agents
