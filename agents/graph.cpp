#include "agents/graph.h"

#include <fmt/format.h>

#include "core/deadline.h"
#include "observability/tracing.h"
#include "core/error.h"

namespace voltedge::agents {

Graph& Graph::add(const std::string& name, Node node) {
    nodes_[name] = std::move(node);
    return *this;
}

namespace {

void fail(AgentState& state, std::string reason) {
    state.status = Status::failed;
    state.reason = std::move(reason);
}

}  // namespace

int Graph::run(AgentState& state, const std::string& start, const Checkpoint& checkpoint, int first_step) const {
    std::string current = start;
    int step = first_step;
    while (current != kEnd && current != kPause) {
        const auto node = nodes_.find(current);
        if (node == nodes_.end()) {
            fail(state, "the graph has no node '" + current + "'");
            break;
        }
        if (step - first_step >= max_steps_) {
            fail(state, fmt::format("stopped after {} steps without an answer (at node '{}')", max_steps_, current));
            break;
        }
        const auto t0 = std::chrono::steady_clock::now();
        std::string next;
        observability::Span span("agent.node " + current);
        span.set("agent.node", current);
        span.set("agent.step", step);
        try {
            const ScopedDeadline deadline(t0 + node->second.timeout);
            next = node->second.run(state);
        } catch (const DeadlineExceeded&) {
            fail(state, fmt::format("node '{}' ran out of its {} ms", current, node->second.timeout.count()));
        } catch (const std::exception& e) {
            fail(state, fmt::format("node '{}' failed: {}", current, e.what()));
        }
        if (state.status == Status::failed) span.set_error(state.reason);
        span.end();
        const auto elapsed = std::chrono::steady_clock::now() - t0;
        state.steps.push_back({current, std::chrono::duration<double, std::milli>(elapsed).count()});
        if (state.status != Status::failed && elapsed > node->second.timeout)
            fail(state, fmt::format("node '{}' took {:.0f} ms, past its {} ms", current, state.steps.back().ms,
                                    node->second.timeout.count()));
        checkpoint(state, step++, current);
        if (state.status == Status::failed) break;
        current = next;
    }
    return step;
}

}  // namespace voltedge::agents
