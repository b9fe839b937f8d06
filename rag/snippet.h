#pragma once
// Snippets: a hit's text around the words of the query, each matched word between « and ». Made in C++ from
// the text the search already has, not by ts_headline in a third query after fusion (see
// db/migrations/020_rag_text_candidates_details.sql for what that cost).
#include <string>
#include <string_view>
#include <vector>

namespace voltedge::rag {

// The words a snippet marks: the query's words other than English stop words (the list Postgres' english
// configuration drops), lower-cased and reduced to a stem by dropping common English endings, so that
// "transactions" in a query marks "transaction" and "transactional" in the text. The stem is cruder than the
// Snowball stemmer that ranks the chunks: marking is for the reader and only decides where the snippet is.
class SnippetQuery {
public:
    explicit SnippetQuery(std::string_view query);
    bool matches(std::string_view lower_case_word) const;

private:
    std::vector<std::string> stems_;
};

inline constexpr std::size_t kSnippetWords = 35;  // at most, per passage

// One or two passages of `content` of at most kSnippetWords words each, where the query's words are
// densest, joined by " … "; each word the query matches between « and ». Text without a match gives its
// first kSnippetWords words.
std::string snippet(std::string_view content, const SnippetQuery& query);

}  // namespace voltedge::rag
