#pragma once
// BERT WordPiece tokenizer, behaving as Hugging Face `tokenizers` does with all-MiniLM-L6-v2's tokenizer.json:
//   special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) written literally in the text are kept as themselves;
//   BertNormalizer: drop NUL, U+FFFD and control characters (Cc, Cf, Co; tab, LF and CR are whitespace), map
//     whitespace to a space, put spaces around CJK ideographs, NFD and drop nonspacing marks (Mn), lowercase;
//   BertPreTokenizer: split on whitespace, and isolate each punctuation character (ASCII punctuation or P*);
//   WordPiece: greedy longest match, continuation pieces prefixed "##", a word longer than 100 characters or
//     with an unmatched rest becomes [UNK];
//   [CLS] ... [SEP], truncated to max_tokens in all.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace voltedge::rag {

class Tokenizer {
public:
    // Reads tokenizer.json and checks that its normalizer, pre-tokenizer and model are the ones implemented here.
    static Tokenizer load(const std::string& tokenizer_json);

    // Token ids of `text` (UTF-8; invalid bytes read as U+FFFD, which the normalizer drops), [CLS] first and
    // [SEP] last, at most max_tokens (>= 2) in all.
    std::vector<int32_t> encode(std::string_view text, std::size_t max_tokens = 256) const;

    std::size_t vocab_size() const { return vocab_.size(); }
    int32_t id(const std::string& token) const;  // throws when the token is not in the vocabulary

private:
    // Appends the WordPiece ids of one pre-tokenized word (UTF-8).
    void word_pieces(const std::string& word, std::size_t chars, std::vector<int32_t>& out) const;

    std::unordered_map<std::string, int32_t> vocab_;
    std::vector<std::pair<std::string, int32_t>> specials_;  // matched in the raw text
    int32_t cls_ = 0, sep_ = 0, unk_ = 0;
    std::size_t max_word_chars_ = 100;
};

}  // namespace voltedge::rag
