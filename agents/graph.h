#pragma once
// A small graph runner for the agent: named nodes, each deciding the name of the next one (conditional edges
// are plain code), a limit on steps, and a time limit per node. After every node the caller's checkpoint
// function sees the state, so a thread can be stored and resumed from any step.
#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "agents/state.h"

namespace voltedge::agents {

inline constexpr const char* kEnd = "end";      // the thread is finished
inline constexpr const char* kPause = "pause";  // the thread waits (for a human's approval); resumed later

struct Node {
    std::function<std::string(AgentState&)> run;  // returns the next node's name, kEnd or kPause
    std::chrono::milliseconds timeout{2000};
};

using Checkpoint = std::function<void(const AgentState& state, int step, const std::string& node)>;

class Graph {
public:
    explicit Graph(int max_steps = 12) : max_steps_(max_steps) {}
    Graph& add(const std::string& name, Node node);

    // Runs from `start` until a node returns kEnd or kPause; the steps are numbered from `first_step`. A node
    // that throws, runs past its timeout or would be step max_steps + 1 ends the run: status failed, the reason
    // naming the node. Each node runs under a deadline of its timeout, so database statements and HTTP calls
    // in it give up in time; a node that computes past it is failed when it returns. Returns the next step.
    int run(AgentState& state, const std::string& start, const Checkpoint& checkpoint, int first_step = 0) const;

private:
    std::map<std::string, Node> nodes_;
    int max_steps_;
};

}  // namespace voltedge::agents
