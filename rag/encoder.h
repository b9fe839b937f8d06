#pragma once
// In-process sentence embeddings with all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384, 12 heads): the text's
// tokens through the encoder, mean-pooled over all of them ([CLS] and [SEP] included), L2-normalised — what
// sentence-transformers computes for this model. Embedding tables, biases and LayerNorm parameters are read in
// place from the memory-mapped model.safetensors; the projection weights are packed once for the GEMM kernel.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rag/tokenizer.h"

namespace voltedge::rag {

inline constexpr int kEmbeddingDim = 384;
inline constexpr std::size_t kMaxTokens = 256;  // per text, [CLS] and [SEP] included; longer texts are truncated

// Where `make bootstrap` puts the model: <source tree>/.cache/models/minilm, fixed at compile time.
std::string default_model_dir();

// Immutable once loaded: calls from several threads at once are safe (each call starts its own helper threads).
class Embedder {
public:
    // Reads model_dir/{model.safetensors, tokenizer.json, config.json} and checks every tensor's name, dtype and
    // shape. `threads` = how many threads one call may use (0: one per core). Throws voltedge::Error.
    static Embedder load(const std::string& model_dir, unsigned threads = 0);

    // 384 floats of unit length. One text is spread over all threads (each takes a share of the heads and of the
    // feed-forward columns), which keeps a short query's latency low.
    std::vector<float> embed(std::string_view text) const;
    // One embedding per text, in order; the texts are shared out between the threads.
    std::vector<std::vector<float>> embed_batch(const std::vector<std::string>& texts) const;

    // The same on token ids as tokenize() makes them ([CLS] ... [SEP], at most 512, each < vocabulary size).
    std::vector<float> embed_ids(const std::vector<int32_t>& ids) const;
    std::vector<std::vector<float>> embed_ids_batch(const std::vector<std::vector<int32_t>>& batch) const;

    std::vector<int32_t> tokenize(std::string_view text) const;
    const Tokenizer& tokenizer() const;
    unsigned threads() const;

    // The SIMD instruction sets Eigen was compiled to use in this library, e.g. "SSE, SSE2, ..., AVX2, FMA".
    static std::string simd();

private:
    struct Model;
    std::shared_ptr<const Model> model_;
    unsigned threads_ = 1;
};

}  // namespace voltedge::rag
