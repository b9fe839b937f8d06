#include "rag/sentences.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/sha256.h"
#include "db/connection.h"
#include "rag/index.h"

namespace voltedge::rag {
namespace {

constexpr int kMinWords = 5, kMaxWords = 80;  // shorter says too little to quote, longer is not one sentence

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// A line of prose without its Markdown list marker or quote marker.
std::string strip_marker(const std::string& line) {
    std::string s = trim(line);
    for (const char* marker : {"- ", "* ", "> "})
        if (s.rfind(marker, 0) == 0) return trim(s.substr(2));
    std::size_t digits = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
    if (digits > 0 && digits + 1 < s.size() && s[digits] == '.' && s[digits + 1] == ' ') return trim(s.substr(digits + 2));
    return s;
}

// The comment text of a code chunk, one paragraph per run of comment lines.
std::vector<std::string> comment_paragraphs(const std::string& content) {
    std::vector<std::string> paragraphs;
    std::string current;
    std::istringstream in(content);
    for (std::string line; std::getline(in, line);) {
        std::string s = trim(line);
        std::string text;
        bool comment = false;
        for (const char* marker : {"///", "//", "--", "#"})
            if (s.rfind(marker, 0) == 0 && s.rfind("#include", 0) != 0 && s.rfind("#pragma", 0) != 0) {
                text = trim(s.substr(std::string(marker).size()));
                comment = true;
                break;
            }
        if (comment && !text.empty()) {
            current += (current.empty() ? "" : " ") + text;
        } else if (!current.empty()) {
            paragraphs.push_back(current);
            current.clear();
        }
    }
    if (!current.empty()) paragraphs.push_back(current);
    return paragraphs;
}

// Markdown prose, one paragraph per list item or run of text lines; headings, tables and fenced code dropped.
std::vector<std::string> prose_paragraphs(const std::string& content) {
    std::vector<std::string> paragraphs;
    std::string current;
    bool fenced = false;
    const auto flush = [&] {
        if (!current.empty()) paragraphs.push_back(current);
        current.clear();
    };
    std::istringstream in(content);
    for (std::string line; std::getline(in, line);) {
        const std::string s = trim(line);
        if (s.rfind("```", 0) == 0) {
            fenced = !fenced;
            flush();
            continue;
        }
        if (fenced || s.empty() || s[0] == '#' || s[0] == '|') {
            flush();
            continue;
        }
        const std::string text = strip_marker(s);
        if (text != s) flush();  // a list item starts a paragraph of its own
        current += (current.empty() ? "" : " ") + text;
    }
    flush();
    return paragraphs;
}

// Splits at '.', '?' or '!' followed by a space and a capital letter, a backtick or an opening bracket; not
// after common abbreviations.
std::vector<std::string> split_at_sentence_ends(const std::string& paragraph) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i + 2 < paragraph.size(); ++i) {
        const char c = paragraph[i];
        if ((c != '.' && c != '?' && c != '!') || paragraph[i + 1] != ' ') continue;
        const char next = paragraph[i + 2];
        if (!std::isupper(static_cast<unsigned char>(next)) && next != '`' && next != '(' && next != '*') continue;
        const std::string before = paragraph.substr(start, i + 1 - start);
        if (before.size() >= 4 && (before.ends_with("e.g.") || before.ends_with("i.e.") || before.ends_with("vs."))) continue;
        out.push_back(trim(before));
        start = i + 2;
    }
    out.push_back(trim(paragraph.substr(start)));
    return out;
}

}  // namespace

std::vector<std::string> lower_case_words(const std::string& text) {
    std::vector<std::string> out(1);
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '_' || (u & 0x80)) {
            out.back() += static_cast<char>(std::tolower(u));
        } else if (!out.back().empty()) {
            out.emplace_back();
        }
    }
    if (out.back().empty()) out.pop_back();
    return out;
}

std::string in_section(const std::string& section, const std::string& text) {
    return section.empty() ? text : section + "\n" + text;
}

std::vector<std::string> quotable_sentences(const std::string& content, const std::string& kind) {
    std::vector<std::string> out;
    for (const auto& paragraph : kind == "code" ? comment_paragraphs(content) : prose_paragraphs(content))
        for (auto& s : split_at_sentence_ends(paragraph)) {
            const auto n = static_cast<int>(lower_case_words(s).size());
            // A sentence starting in lower case is the tail of one cut at the chunk's start: not quotable alone.
            if (n >= kMinWords && n <= kMaxWords && !std::islower(static_cast<unsigned char>(s[0]))) out.push_back(std::move(s));
        }
    return out;
}

std::string sentence_key(const std::string& sentence) { return sha256_hex(sentence); }

SentenceEmbeddings stored_sentence_embeddings(pqxx::connection& conn, const std::string& tenant,
                                              const std::vector<ChunkRef>& chunks) {
    SentenceEmbeddings out;
    if (chunks.empty()) return out;
    nlohmann::json refs = nlohmann::json::array();
    for (const auto& c : chunks) refs.push_back({{"doc_path", c.doc_path}, {"ordinal", c.ordinal}});
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        for (const auto& r : tx.exec_params("SELECT s.doc_path, s.ordinal, s.sentence_sha256, s.embedding::text "
                                            "FROM rag_chunk_sentences s "
                                            "JOIN jsonb_to_recordset($1::jsonb) AS c(doc_path text, ordinal int) "
                                            "USING (doc_path, ordinal) WHERE s.tenant_id = $2",
                                            refs.dump(), tenant))
            out[r[0].as<std::string>() + "#" + r[1].as<std::string>()][r[2].as<std::string>()] = parse_vector_literal(
                r[3].c_str());
    });
    return out;
}

}  // namespace voltedge::rag
