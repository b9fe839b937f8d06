#pragma once
// The critic: every sentence of an answer must be supported by the evidence it cites, whoever wrote it (the
// extractive composer quotes; a language model paraphrases). Unsupported sentences are dropped, never shown.
#include <string>
#include <vector>

#include "agents/state.h"

namespace voltedge::agents {

// Whether `sentence` is supported by `evidence`: written in it word for word (whitespace aside), or every
// number of the sentence is in it and at least 80 % of the sentence's content words are.
bool supported_by(const std::string& sentence, const Evidence& evidence);

// Drops the sentences of `state` that cite no evidence of the state or are not supported by what they cite;
// returns one line per dropped sentence saying why.
std::vector<std::string> drop_unsupported(AgentState& state);

}  // namespace voltedge::agents
