#include "rag/index.h"

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/sha256.h"
#include "db/connection.h"
#include "rag/chunker.h"
#include "rag/sentences.h"

namespace voltedge::rag {
namespace {

std::map<std::string, std::string> indexed_hashes(pqxx::connection& conn, const std::string& tenant) {
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        std::map<std::string, std::string> out;
        for (const auto& row : tx.exec("SELECT doc_path, content_sha256 FROM rag_documents"))
            out[row[0].as<std::string>()] = row[1].as<std::string>();
        return out;
    });
}

// A chunk's quotable sentences and their embeddings.
struct ChunkSentences {
    std::vector<std::string> texts;
    std::vector<std::vector<float>> embeddings;
};

// The chunks' embeddings and every chunk's quotable sentences with theirs, embedded in one batch for the
// document, so the threads share all of its work.
std::pair<std::vector<std::vector<float>>, std::vector<ChunkSentences>> embed_document(const std::vector<Chunk>& chunks,
                                                                                       const std::string& kind,
                                                                                       const Embedder& embedder) {
    std::vector<std::string> texts;
    for (const auto& c : chunks) texts.push_back(in_section(c.section, c.content));
    std::vector<ChunkSentences> sentences(chunks.size());
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        sentences[i].texts = quotable_sentences(chunks[i].content, kind);
        for (const auto& s : sentences[i].texts) texts.push_back(in_section(chunks[i].section, s));
    }
    auto embeddings = embedder.embed_batch(texts);
    std::size_t next = chunks.size();
    for (auto& c : sentences)
        for (std::size_t k = 0; k < c.texts.size(); ++k) c.embeddings.push_back(std::move(embeddings[next++]));
    embeddings.resize(chunks.size());
    return {std::move(embeddings), std::move(sentences)};
}

void replace_document(pqxx::connection& conn, const std::string& tenant, const SourceDocument& doc, const std::string& hash,
                      const std::vector<Chunk>& chunks, const std::vector<std::vector<float>>& embeddings,
                      const std::vector<ChunkSentences>& sentences) {
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        tx.exec_params("DELETE FROM rag_documents WHERE tenant_id = $1 AND doc_path = $2", tenant, doc.path);
        tx.exec_params("INSERT INTO rag_documents (tenant_id, doc_path, kind, revision, content_sha256, chunk_count) "
                       "VALUES ($1, $2, $3, $4, $5, $6)",
                       tenant, doc.path, doc.kind, doc.revision, hash, static_cast<int>(chunks.size()));
        for (std::size_t i = 0; i < chunks.size(); ++i)
            tx.exec_params(
                "INSERT INTO rag_chunks (tenant_id, doc_path, ordinal, kind, revision, line_start, line_end, section, content, "
                "embedding) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::vector)",
                tenant, doc.path, static_cast<int>(i), doc.kind, doc.revision, chunks[i].line_start, chunks[i].line_end,
                chunks[i].section, chunks[i].content, vector_literal(embeddings[i]));
        // A sentence said twice in one chunk is stored once: it is found by its text.
        for (std::size_t i = 0; i < chunks.size(); ++i)
            for (std::size_t k = 0; k < sentences[i].texts.size(); ++k)
                tx.exec_params("INSERT INTO rag_chunk_sentences (tenant_id, doc_path, ordinal, sentence_sha256, embedding) "
                               "VALUES ($1, $2, $3, $4, $5::vector) ON CONFLICT DO NOTHING",
                               tenant, doc.path, static_cast<int>(i), sentence_key(sentences[i].texts[k]),
                               vector_literal(sentences[i].embeddings[k]));
    });
}

}  // namespace

const std::vector<std::string>& document_kinds() {
    static const std::vector<std::string> kinds = {"doc",       "code",     "data_dictionary", "model_card",
                                                   "dq_report", "backtest", "tenant_doc"};
    return kinds;
}

std::string vector_literal(const std::vector<float>& v) {
    std::string s = "[";
    char buf[32];
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%s%.8g", i ? "," : "", static_cast<double>(v[i]));
        s += buf;
    }
    return s + "]";
}

std::vector<float> parse_vector_literal(const char* text) {
    std::vector<float> v;
    for (const char* p = text + (*text == '[' ? 1 : 0); *p && *p != ']';) {
        char* end = nullptr;
        v.push_back(std::strtof(p, &end));
        if (end == p) throw Error("not a vector: " + std::string(text).substr(0, 40));
        p = *end == ',' ? end + 1 : end;
    }
    return v;
}

IndexReport index_documents(pqxx::connection& conn, const std::string& tenant, const std::vector<SourceDocument>& documents,
                            const Embedder& embedder, const IndexProgress& progress) {
    const auto started = std::chrono::steady_clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
    IndexReport report;
    report.documents = documents.size();
    const auto indexed = indexed_hashes(conn, tenant);
    std::set<std::string> given;
    for (const auto& doc : documents) {
        if (!given.insert(doc.path).second) throw Error("document " + doc.path + " given twice", "index each path once");
        if (std::find(document_kinds().begin(), document_kinds().end(), doc.kind) == document_kinds().end())
            throw Error("document " + doc.path + " has an unknown kind '" + doc.kind + "'");
        // The database takes text up to its first NUL byte: a document holding one is not text, and would be cut.
        if (doc.content.find('\0') != std::string::npos)
            throw Error("document " + doc.path + " contains a NUL byte: it is not text", "leave binary files out of the index");
    }
    for (const auto& doc : documents) {
        const std::string hash = sha256_hex(doc.content);
        if (auto it = indexed.find(doc.path); it != indexed.end() && it->second == hash) {
            ++report.unchanged;
            continue;
        }
        const auto chunks = chunk_document(doc.content, format_of(doc.path));
        const auto [embeddings, sentences] = embed_document(chunks, doc.kind, embedder);
        replace_document(conn, tenant, doc, hash, chunks, embeddings, sentences);
        for (const auto& s : sentences) report.sentences += s.texts.size();
        ++report.indexed;
        report.chunks += chunks.size();
        if (progress) progress(report.indexed + report.unchanged, report.chunks, elapsed());
    }
    for (const auto& [path, hash] : indexed) {
        if (given.count(path)) continue;
        db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
            tx.exec_params("DELETE FROM rag_documents WHERE tenant_id = $1 AND doc_path = $2", tenant, path);
        });
        ++report.removed;
    }
    report.seconds = elapsed();
    return report;
}

std::string maintain_ann_index(pqxx::connection& conn, const std::string& tenant, int min_chunks) {
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        return tx.exec_params1("SELECT rag_maintain_ann_index($1, $2)", tenant, min_chunks)[0].as<std::string>();
    });
}

std::string maintain_text_index(pqxx::connection& conn, const std::string& tenant, int min_chunks) {
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        return tx.exec_params1("SELECT rag_maintain_text_index($1, $2)", tenant, min_chunks)[0].as<std::string>();
    });
}

}  // namespace voltedge::rag
