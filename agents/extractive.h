#pragma once
// Extractive answers: the evidence's own sentences that answer the question, chosen by their similarity to it
// (the retrieval embeddings) and the question's words they contain, de-duplicated and kept in the evidence's
// order. Nothing is written that the evidence does not say, word for word.
#include <set>
#include <string>
#include <vector>

#include "agents/state.h"
#include "rag/encoder.h"
#include "rag/sentences.h"

namespace voltedge::agents {

// The question's content words, lower-cased (stop words and one- or two-letter words dropped; numbers kept).
std::vector<std::string> content_words(const std::string& text);

// The share of `question_words` that `text` contains (a word matches one with the same first five letters, a
// cheap stemmer: "tenants" matches "tenant", "indexed" matches "indexing").
double word_overlap(const std::vector<std::string>& question_words, const std::string& text);

// The distinct lower-case words of `text` (rag::lower_case_words), for comparing texts with near_duplicate.
std::set<std::string> word_set(const std::string& text);

// Whether two texts say nearly the same: more than 70 % of the words either has are in both.
bool near_duplicate(const std::set<std::string>& a, const std::set<std::string>& b);
bool near_duplicate(const std::string& a, const std::string& b);

// Whether `text` names a currency ("euros", "USD") or puts a currency sign beside a figure ("12 €", "$5").
bool states_money(const std::string& text);

// Up to `max_sentences` sentences from `evidence` that answer the question, each scored 0.6 x cosine to the
// question + 0.4 x word overlap; below `min_score`, or below 0.8 x the best sentence's score, a sentence is not
// chosen. Among those that pass, documentation and code come before tests, benchmarks and CI files (they
// restate them): a secondary source is chosen only when no primary sentence passes. Ordered as the evidence is.
// A sentence's embedding is taken from `stored` (the index's, by chunk id) when it is there, else computed; the
// number of tokens computed is added to `*tokens_embedded` when given. A question asking for an amount of
// money (states_money) is answered only by sentences that state one.
std::vector<Sentence> select_sentences(const std::string& question, const std::vector<float>& question_embedding,
                                       const std::vector<Evidence>& evidence, const rag::SentenceEmbeddings& stored,
                                       const rag::Embedder& embedder, int max_sentences, double min_score,
                                       long long* tokens_embedded = nullptr);

}  // namespace voltedge::agents
