#include "rag/snippet.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <set>

namespace voltedge::rag {
namespace {

// Postgres' english.stop (tsearch_data), which the english configuration leaves out of every tsquery.
const std::set<std::string_view>& stop_words() {
    static const std::set<std::string_view> words{
        "i",       "me",       "my",         "myself",  "we",     "our",    "ours",    "ourselves", "you",        "your",
        "yours",   "yourself", "yourselves", "he",      "him",    "his",    "himself", "she",       "her",        "hers",
        "herself", "it",       "its",        "itself",  "they",   "them",   "their",   "theirs",    "themselves", "what",
        "which",   "who",      "whom",       "this",    "that",   "these",  "those",   "am",        "is",         "are",
        "was",     "were",     "be",         "been",    "being",  "have",   "has",     "had",       "having",     "do",
        "does",    "did",      "doing",      "a",       "an",     "the",    "and",     "but",       "if",         "or",
        "because", "as",       "until",      "while",   "of",     "at",     "by",      "for",       "with",       "about",
        "against", "between",  "into",       "through", "during", "before", "after",   "above",     "below",      "to",
        "from",    "up",       "down",       "in",      "out",    "on",     "off",     "over",      "under",      "again",
        "further", "then",     "once",       "here",    "there",  "when",   "where",   "why",       "how",        "all",
        "any",     "both",     "each",       "few",     "more",   "most",   "other",   "some",      "such",       "no",
        "nor",     "not",      "only",       "own",     "same",   "so",     "than",    "too",       "very",       "s",
        "t",       "can",      "will",       "just",    "don",    "should", "now"};
    return words;
}

bool is_word_byte(char c) { return std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80); }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool ends_with(std::string_view s, std::string_view end) {
    return s.size() >= end.size() && s.substr(s.size() - end.size()) == end;
}

// Drops up to two common English endings, keeping at least three letters, and one of a doubled final consonant
// after -ing, -ed or -er ("setting" -> "set"). Both the query's words and the text's go through it.
std::string stem(std::string word) {
    static constexpr std::string_view kEndings[] = {"ations", "ation", "ingly", "ings", "ing", "ions", "ion", "ities",
                                                    "ity",    "ness",  "ments", "ment", "ers", "er",   "ies", "ied",
                                                    "es",     "ed",    "ly",    "al",   "s",   "e",    "y"};
    for (int pass = 0; pass < 2; ++pass) {
        const auto it = std::find_if(std::begin(kEndings), std::end(kEndings),
                                     [&](std::string_view e) { return ends_with(word, e) && word.size() >= e.size() + 3; });
        if (it == std::end(kEndings)) break;
        word.resize(word.size() - it->size());
        const bool doubled = word.size() >= 4 && word.back() == word[word.size() - 2] &&
                             std::string_view("aeioulsz").find(word.back()) == std::string_view::npos;
        if (doubled && (*it == "ing" || *it == "ed" || *it == "er")) word.pop_back();
    }
    return word;
}

struct Word {
    std::size_t begin, end;
    bool matched;
};

// The words of `text` (runs of letters and digits: "set_tenant" is two), each lower-cased, unmarked.
std::vector<Word> words_of(std::string_view text, std::vector<std::string>& lower_case) {
    std::vector<Word> words;
    for (std::size_t i = 0; i < text.size();) {
        if (!is_word_byte(text[i])) {
            ++i;
            continue;
        }
        const std::size_t begin = i;
        std::string& word = lower_case.emplace_back();
        for (; i < text.size() && is_word_byte(text[i]); ++i) word += lower(text[i]);
        words.push_back({begin, i, false});
    }
    return words;
}

// The start of the kSnippetWords-word window with the most matches (the earliest of equals) that does not overlap
// [taken_begin, taken_end); each window starts a few words before one of its matches, for context.
std::optional<std::size_t> best_window(const std::vector<Word>& words, std::size_t taken_begin, std::size_t taken_end) {
    constexpr std::size_t kLead = 3;
    std::optional<std::size_t> best;
    std::size_t best_count = 0;
    for (std::size_t m = 0; m < words.size(); ++m) {
        if (!words[m].matched) continue;
        const std::size_t begin = m >= kLead ? m - kLead : 0, end = std::min(words.size(), begin + kSnippetWords);
        if (begin < taken_end && end > taken_begin) continue;
        const auto count = static_cast<std::size_t>(std::count_if(words.begin() + static_cast<long>(begin),
                                                                  words.begin() + static_cast<long>(end),
                                                                  [](const Word& w) { return w.matched; }));
        if (count > best_count) best = begin, best_count = count;
    }
    return best;
}

void append_fragment(std::string& out, std::string_view text, const std::vector<Word>& words, std::size_t begin) {
    const std::size_t end = std::min(words.size(), begin + kSnippetWords);
    std::size_t at = words[begin].begin;
    for (std::size_t i = begin; i < end; ++i) {
        if (!words[i].matched) continue;
        out.append(text.substr(at, words[i].begin - at));
        out += "«";
        out.append(text.substr(words[i].begin, words[i].end - words[i].begin));
        out += "»";
        at = words[i].end;
    }
    std::size_t stop = words[end - 1].end;  // and the punctuation that closes the last word: "true)."
    while (stop < text.size() && !is_word_byte(text[stop]) && !std::isspace(static_cast<unsigned char>(text[stop]))) ++stop;
    out.append(text.substr(at, stop - at));
}

}  // namespace

SnippetQuery::SnippetQuery(std::string_view query) {
    std::vector<std::string> lower_case;
    words_of(query, lower_case);
    for (const std::string& word : lower_case)
        if (!stop_words().contains(word)) stems_.push_back(stem(word));
}

bool SnippetQuery::matches(std::string_view lower_case_word) const {
    if (stems_.empty() || stop_words().contains(lower_case_word)) return false;
    return std::find(stems_.begin(), stems_.end(), stem(std::string(lower_case_word))) != stems_.end();
}

std::string snippet(std::string_view content, const SnippetQuery& query) {
    std::vector<std::string> lower_case;
    std::vector<Word> words = words_of(content, lower_case);
    if (words.empty()) return {};
    for (std::size_t i = 0; i < words.size(); ++i) words[i].matched = query.matches(lower_case[i]);
    std::vector<std::size_t> starts;
    if (const auto first = best_window(words, 0, 0)) {
        starts.push_back(*first);
        if (const auto second = best_window(words, *first, std::min(words.size(), *first + kSnippetWords)))
            starts.push_back(*second);
    } else {
        starts.push_back(0);
    }
    std::sort(starts.begin(), starts.end());
    std::string out;
    for (std::size_t i = 0; i < starts.size(); ++i) {
        if (i) out += " … ";
        append_fragment(out, content, words, starts[i]);
    }
    return out;
}

}  // namespace voltedge::rag
