#include "agents/critic.h"

#include <algorithm>
#include <cctype>

#include "agents/extractive.h"

namespace voltedge::agents {
namespace {

constexpr double kMinWordSupport = 0.8;

std::string squeezed(const std::string& text) {  // lower case, runs of white space as one space
    std::string out;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::vector<std::string> numbers_in(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& w : content_words(text))
        if (std::any_of(w.begin(), w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) out.push_back(w);
    return out;
}

}  // namespace

bool supported_by(const std::string& sentence, const Evidence& evidence) {
    const std::string s = squeezed(sentence);
    if (s.empty()) return false;
    const std::string content = squeezed(evidence.content);
    if (content.find(s) != std::string::npos) return true;
    const auto numbers = numbers_in(sentence);
    if (!numbers.empty() && word_overlap(numbers, evidence.content) < 1) return false;
    return !content_words(sentence).empty() && word_overlap(content_words(sentence), evidence.content) >= kMinWordSupport;
}

std::vector<std::string> drop_unsupported(AgentState& state) {
    std::vector<std::string> reasons;
    std::vector<Sentence> kept;
    for (auto& s : state.sentences) {
        if (s.evidence < 0 || s.evidence >= static_cast<int>(state.evidence.size())) {
            reasons.push_back("cites evidence that was not retrieved: \"" + s.text + "\"");
        } else if (!supported_by(s.text, state.evidence[static_cast<std::size_t>(s.evidence)])) {
            reasons.push_back("not supported by " + state.evidence[static_cast<std::size_t>(s.evidence)].chunk_id + ": \"" +
                              s.text + "\"");
        } else {
            kept.push_back(std::move(s));
        }
    }
    state.sentences = std::move(kept);
    return reasons;
}

}  // namespace voltedge::agents
