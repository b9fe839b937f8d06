#pragma once
// The optional generative composer: a language model writes the answer from the retrieved chunks, each sentence
// naming the chunks it relies on (JSON-schema constrained output), and the critic keeps only the sentences their
// chunks support. A model that cites a chunk it was not given, runs out of tokens, or writes nothing supported
// gives no answer here: the caller falls back to the extractive composer, which may abstain.
#include <string>
#include <vector>

#include "agents/llm_client.h"
#include "agents/state.h"

namespace voltedge::agents {

struct Generated {
    std::vector<Sentence> sentences;  // supported ones only, each citing one evidence index
    std::string rejected;             // why sentences were dropped, or why nothing came back ("" when all kept)
};

// `question` and `evidence` must be redacted already. Adds the tokens and cost to `usage`. Throws LlmError or
// http::Unreachable when the model cannot be asked.
Generated compose_with_llm(const LlmConfig& config, const std::string& question, const std::vector<Evidence>& evidence,
                           int max_sentences, Usage& usage);

}  // namespace voltedge::agents
