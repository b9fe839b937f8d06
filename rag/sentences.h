#pragma once
// The sentences of a chunk an answer may quote, and their embeddings. The index stores each quotable
// sentence's embedding beside its chunk (rag_chunk_sentences), so composing an answer embeds only the question:
// embedding a few hundred tokens of candidate sentences per question was most of /ask's time.
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace voltedge::rag {

// The sentences of a chunk worth quoting. Prose is split at sentence ends, list items and blank lines; tables,
// code fences and headings are left out. In code (`kind` "code") only the comments are prose.
std::vector<std::string> quotable_sentences(const std::string& content, const std::string& kind);

// The words of `text`, lower-cased: runs of letters, digits, '_' and non-ASCII bytes.
std::vector<std::string> lower_case_words(const std::string& text);

// What is embedded for a chunk or one of its sentences: the text under its section heading. A chunk of "Cache"
// under "Prediction API" is about the API's cache, and so is its sentence "Entries expire after 10 s."
std::string in_section(const std::string& section, const std::string& text);

// What a stored sentence is found by: the SHA-256 of its text (the text itself is in its chunk).
std::string sentence_key(const std::string& sentence);

// Stored sentence embeddings of some chunks: chunk id ("doc_path#ordinal") → sentence_key → embedding.
using SentenceEmbeddings = std::map<std::string, std::map<std::string, std::vector<float>>>;

struct ChunkRef {
    std::string doc_path;
    int ordinal = 0;
};

// The stored embeddings of the given chunks' quotable sentences, read as `tenant`. A chunk indexed before
// sentences were stored has none: the caller embeds those sentences itself.
SentenceEmbeddings stored_sentence_embeddings(pqxx::connection& conn, const std::string& tenant,
                                              const std::vector<ChunkRef>& chunks);

}  // namespace voltedge::rag
