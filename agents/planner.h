#pragma once
// The planner: what the question asks for, and the tool calls that would answer it, read from the question's
// words alone. Retrieved text never reaches it, so a document cannot ask for a tool call (retrieved text is
// data, never instructions). Deterministic: the same question always gets the same plan.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/state.h"

namespace voltedge::agents {

struct PlannedCall {
    std::string tool;
    nlohmann::json arguments = nlohmann::json::object();
};

struct Plan {
    Intent intent = Intent::documentation;
    std::vector<PlannedCall> calls;  // empty for a documentation question
};

// `thread_id` names the branch a drafted pull request would come from.
Plan plan_question(const std::string& question, const std::string& thread_id);

}  // namespace voltedge::agents
