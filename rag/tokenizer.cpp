#include "rag/tokenizer.h"

#include <utf8proc.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace voltedge::rag {

namespace {

// Rust's char::is_whitespace (Unicode White_Space), which `tokenizers` uses; tab, LF and CR included.
bool is_whitespace(int32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// `tokenizers`' is_control: Cc, Cf or Co, except tab, LF and CR (whitespace). So VT, FF and NEL are dropped, not
// turned into spaces.
bool is_control(int32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return false;
    auto cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO;
}

// The CJK blocks BertNormalizer spaces out (the same ranges as `tokenizers`, including its 0x2B920 start).
bool is_chinese(int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// BertPreTokenizer: ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or a Unicode P* category.
bool is_punctuation(int32_t c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
    switch (utf8proc_category(c)) {
        case UTF8PROC_CATEGORY_PC:
        case UTF8PROC_CATEGORY_PD:
        case UTF8PROC_CATEGORY_PS:
        case UTF8PROC_CATEGORY_PE:
        case UTF8PROC_CATEGORY_PI:
        case UTF8PROC_CATEGORY_PF:
        case UTF8PROC_CATEGORY_PO: return true;
        default: return false;
    }
}

void append_utf8(std::string& out, int32_t c) {
    utf8proc_uint8_t buf[4];
    auto n = utf8proc_encode_char(c, buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

// BertNormalizer up to NFD: cleaned text (UTF-8) with CJK ideographs spaced out. Invalid UTF-8 reads as U+FFFD,
// which cleaning drops, as it drops NUL.
std::string clean(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    auto left = static_cast<utf8proc_ssize_t>(text.size());
    while (left > 0) {
        utf8proc_int32_t c;
        auto n = utf8proc_iterate(p, left, &c);
        if (n <= 0) n = 1, c = 0xFFFD;
        p += n, left -= n;
        if (c == 0 || c == 0xFFFD || is_control(c)) continue;
        if (is_whitespace(c)) {
            out += ' ';
        } else if (is_chinese(c)) {
            out += ' ';
            append_utf8(out, c);
            out += ' ';
        } else {
            append_utf8(out, c);
        }
    }
    return out;
}

// Canonical decomposition (NFD, with canonical reordering) of valid UTF-8.
std::vector<int32_t> nfd(const std::string& s) {
    std::vector<int32_t> out(s.size() + 8);
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    for (;;) {
        auto n = utf8proc_decompose(p, static_cast<utf8proc_ssize_t>(s.size()), out.data(),
                                    static_cast<utf8proc_ssize_t>(out.size()), UTF8PROC_DECOMPOSE);
        if (n < 0) throw Error(std::string("tokenizer: NFD failed: ") + utf8proc_errmsg(n));
        if (static_cast<std::size_t>(n) <= out.size()) {
            out.resize(static_cast<std::size_t>(n));
            return out;
        }
        out.resize(static_cast<std::size_t>(n));
    }
}

}  // namespace

Tokenizer Tokenizer::load(const std::string& path) {
    const std::string hint = "the model files come from `make bootstrap` (scripts/bootstrap, install_model)";
    std::ifstream in(path);
    if (!in) throw Error("tokenizer " + path + ": cannot open", hint);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& ex) {
        throw Error("tokenizer " + path + ": not JSON (" + ex.what() + ")", hint);
    }
    // Only the configuration implemented here is accepted, so another tokenizer.json cannot silently tokenize
    // differently from its reference.
    auto expect = [&](bool ok, const std::string& what) {
        if (!ok) throw Error("tokenizer " + path + ": unsupported configuration: expected " + what, hint);
    };
    try {
        const auto& norm = j.at("normalizer");
        expect(norm.at("type") == "BertNormalizer" && norm.at("clean_text") == true && norm.at("handle_chinese_chars") == true &&
                   norm.at("lowercase") == true && (norm.at("strip_accents").is_null() || norm.at("strip_accents") == true),
               "normalizer BertNormalizer with clean_text, handle_chinese_chars, lowercase and accent stripping");
        expect(j.at("pre_tokenizer").at("type") == "BertPreTokenizer", "pre_tokenizer BertPreTokenizer");
        const auto& model = j.at("model");
        expect(model.at("type") == "WordPiece" && model.at("continuing_subword_prefix") == "##",
               "model WordPiece with continuing_subword_prefix \"##\"");
        Tokenizer t;
        t.max_word_chars_ = model.at("max_input_chars_per_word").get<std::size_t>();
        for (const auto& [token, id] : model.at("vocab").items()) t.vocab_.emplace(token, id.get<int32_t>());
        t.unk_ = t.id(model.at("unk_token").get<std::string>());
        t.cls_ = t.id("[CLS]");
        t.sep_ = t.id("[SEP]");
        for (const auto& added : j.at("added_tokens")) {
            expect(added.at("normalized") == false && added.at("single_word") == false && added.at("lstrip") == false &&
                       added.at("rstrip") == false,
                   "added tokens matched verbatim (not normalized, no single_word/lstrip/rstrip)");
            t.specials_.emplace_back(added.at("content").get<std::string>(), added.at("id").get<int32_t>());
        }
        return t;
    } catch (const nlohmann::json::exception& ex) {
        throw Error("tokenizer " + path + ": missing or mistyped field (" + ex.what() + ")", hint);
    }
}

int32_t Tokenizer::id(const std::string& token) const {
    auto it = vocab_.find(token);
    if (it == vocab_.end()) throw Error("tokenizer: '" + token + "' is not in the vocabulary");
    return it->second;
}

void Tokenizer::word_pieces(const std::string& word, std::size_t chars, std::vector<int32_t>& out) const {
    if (chars > max_word_chars_) {
        out.push_back(unk_);
        return;
    }
    std::vector<std::size_t> bounds;  // byte offset of each character, and the end
    for (std::size_t i = 0; i < word.size(); ++i)
        if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) bounds.push_back(i);
    bounds.push_back(word.size());
    const std::size_t first = out.size();
    std::string key;
    for (std::size_t start = 0; start + 1 < bounds.size();) {
        std::size_t end = bounds.size() - 1;
        int32_t found = -1;
        for (; end > start; --end) {
            key.assign(start > 0 ? "##" : "");
            key.append(word, bounds[start], bounds[end] - bounds[start]);
            if (auto it = vocab_.find(key); it != vocab_.end()) {
                found = it->second;
                break;
            }
        }
        if (found < 0) {  // some rest matches nothing: the whole word is unknown
            out.resize(first);
            out.push_back(unk_);
            return;
        }
        out.push_back(found);
        start = end;
    }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, std::size_t max_tokens) const {
    if (max_tokens < 2) throw Error("tokenizer: max_tokens must be at least 2 ([CLS] and [SEP])");
    const std::size_t limit = max_tokens - 1;  // ids before [SEP], [CLS] included
    std::vector<int32_t> ids{cls_};

    // Normalizes and pre-tokenizes a stretch of text without special tokens, appending its pieces.
    auto plain = [&](std::string_view part) {
        std::string word;
        std::size_t chars = 0;
        auto flush = [&] {
            if (!word.empty()) word_pieces(word, chars, ids);
            word.clear();
            chars = 0;
        };
        for (int32_t c : nfd(clean(part))) {
            if (ids.size() >= limit) return;
            if (utf8proc_category(c) == UTF8PROC_CATEGORY_MN) continue;  // strip accents
            c = utf8proc_tolower(c);
            if (is_whitespace(c)) {
                flush();
            } else if (is_punctuation(c)) {
                flush();
                append_utf8(word, c);
                chars = 1;
                flush();
            } else {
                append_utf8(word, c);
                ++chars;
            }
        }
        if (ids.size() < limit) flush();
    };

    // Special tokens written in the text are found first, leftmost then longest, as `tokenizers` does.
    std::size_t pos = 0;
    while (pos < text.size() && ids.size() < limit) {
        std::size_t best = std::string_view::npos, best_len = 0;
        int32_t best_id = 0;
        for (const auto& [content, id] : specials_) {
            auto at = text.find(content, pos);
            if (at < best || (at == best && at != std::string_view::npos && content.size() > best_len))
                best = at, best_len = content.size(), best_id = id;
        }
        plain(text.substr(pos, best == std::string_view::npos ? std::string_view::npos : best - pos));
        if (best == std::string_view::npos) break;
        if (ids.size() < limit) ids.push_back(best_id);
        pos = best + best_len;
    }
    if (ids.size() > limit) ids.resize(limit);
    ids.push_back(sep_);
    return ids;
}

}  // namespace voltedge::rag
