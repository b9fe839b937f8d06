#include "rag/encoder.h"

#include <chrono>
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#ifdef VOLTEDGE_RAG_F16C
#include <immintrin.h>
#endif

#include <atomic>
#include <barrier>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <thread>

#include "core/error.h"
#include "observability/metrics.h"
#include "observability/tracing.h"
#include "rag/safetensors.h"

// CMake adds -mavx2 -mfma when this machine has them; then Eigen must really use them, or the speed is lost.
#if defined(VOLTEDGE_RAG_AVX2) && !(defined(EIGEN_VECTORIZE_AVX2) && defined(EIGEN_VECTORIZE_FMA))
#error "voltedge_rag is compiled with -mavx2 -mfma but Eigen does not vectorise with AVX2 and FMA"
#endif

namespace voltedge::rag {

namespace {

constexpr int kHidden = kEmbeddingDim, kLayers = 6, kHeads = 12, kHeadDim = 32, kFfn = 1536;
constexpr int kVocab = 30522, kPositions = 512;
constexpr float kLayerNormEps = 1e-12f;

using Index = Eigen::Index;
// Activations, tokens x features, are column-major: each feature's values over the tokens are contiguous, which
// is the layout the GEMM kernel below wants for its token-side operand; per-token reductions (LayerNorm) then
// vectorise across tokens.
using Matrix = Eigen::MatrixXf;
using Weights = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;  // as stored: [out, in]
using WeightsMap = Eigen::Map<const Weights>;
using VectorMap = Eigen::Map<const Eigen::RowVectorXf>;

#ifdef VOLTEDGE_RAG_F16C
// The projections y = x W^T read W in half precision (IEEE binary16, converted by F16C; products and sums in
// single precision). A query is not limited by arithmetic but by reading the weights: in a server the database's
// work between two queries takes the caches, and reading the 43 MB of single-precision weights from memory was
// half of a cold 16-token query (embed_bench: 9.5 ms cold against 4.2 warm; 6.0 cold in half precision, 4.2 warm).
// Rounding each weight to 11 significant bits moves an embedding far less than the exactness the tests require
// (cosine >= 0.99999 to the reference: 1 - 1.8e-7 at worst). The kernel below is as fast as Eigen's gebp on
// single-precision weights for long inputs too (26 against 25 chunks/s of 128 tokens on one core), so it serves
// every input. Embeddings, biases and LayerNorm parameters stay mapped from the file.
constexpr Index kPanel = 16;  // outputs per panel: two AVX registers
constexpr Index kTile = 6;    // rows per pass over a panel: 6 x 2 sums, the weights and a row's value fill 15 registers

// y[r][16 outputs] += x[r][in] W^T for R <= 6 rows of x (column-major, leading dimension ldx) and one panel of
// W^T: for each input feature, its 16 weights. The twelve sums are named variables, not an array, so that they
// stay in registers (GCC kept an array's copy in memory, a store per product).
template <int R>
void panel_rows(const float* x, Index ldx, const std::uint16_t* w, Index in, float* y, Index ldy) {
    static_assert(R >= 1 && R <= kTile);
    __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0, a4 = a0, b4 = a0, a5 = a0,
           b5 = a0;
    const auto step = [](const float* xr, __m256 w0, __m256 w1, __m256& a, __m256& b) {
        const __m256 v = _mm256_broadcast_ss(xr);
        a = _mm256_fmadd_ps(v, w0, a);
        b = _mm256_fmadd_ps(v, w1, b);
    };
    for (Index k = 0; k < in; ++k) {
        const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + kPanel * k)));
        const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + kPanel * k + 8)));
        const float* xk = x + k * ldx;
        step(xk, w0, w1, a0, b0);
        if constexpr (R > 1) step(xk + 1, w0, w1, a1, b1);
        if constexpr (R > 2) step(xk + 2, w0, w1, a2, b2);
        if constexpr (R > 3) step(xk + 3, w0, w1, a3, b3);
        if constexpr (R > 4) step(xk + 4, w0, w1, a4, b4);
        if constexpr (R > 5) step(xk + 5, w0, w1, a5, b5);
    }
    const __m256 sums[kTile][2] = {{a0, b0}, {a1, b1}, {a2, b2}, {a3, b3}, {a4, b4}, {a5, b5}};
    alignas(32) float out[kPanel];
    for (int r = 0; r < R; ++r) {
        _mm256_store_ps(out, sums[r][0]);
        _mm256_store_ps(out + 8, sums[r][1]);
        for (Index j = 0; j < kPanel; ++j) y[r + j * ldy] += out[j];
    }
}

// A block [out x in] of a PyTorch Linear weight (row-major [out, in], leading dimension ld), its transpose in
// half precision, in panels of kPanel outputs: for each input feature, the panel's weights.
class PackedWeight {
public:
    PackedWeight(const float* w, Index ld, Index out, Index in) : out_(out), in_(in), half_(static_cast<std::size_t>(out * in)) {
        if (out % kPanel != 0)
            throw Error("embedder: a weight block of " + std::to_string(out) + " outputs is not in panels of 16");
        for (Index p = 0; p < out / kPanel; ++p)
            for (Index k = 0; k < in; ++k)
                for (Index j = 0; j < kPanel; ++j) {
                    const float v = w[(p * kPanel + j) * ld + k];
                    if (!(std::abs(v) <= 65504.0f)) throw Error("embedder: a weight beyond half precision's range");
                    half_[static_cast<std::size_t>((p * in + k) * kPanel + j)] = _cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT);
                }
    }

    // y[n x out] += x[n x in] W^T; x and y column-major with leading dimensions ldx, ldy.
    void multiply_add(const float* x, Index ldx, Index n, float* y, Index ldy) const {
        for (Index p = 0; p < out_ / kPanel; ++p) {
            const std::uint16_t* w = half_.data() + p * in_ * kPanel;
            float* yp = y + p * kPanel * ldy;
            for (Index r = 0; r < n; r += kTile) {
                switch (std::min(kTile, n - r)) {
                    case 6: panel_rows<6>(x + r, ldx, w, in_, yp + r, ldy); break;
                    case 5: panel_rows<5>(x + r, ldx, w, in_, yp + r, ldy); break;
                    case 4: panel_rows<4>(x + r, ldx, w, in_, yp + r, ldy); break;
                    case 3: panel_rows<3>(x + r, ldx, w, in_, yp + r, ldy); break;
                    case 2: panel_rows<2>(x + r, ldx, w, in_, yp + r, ldy); break;
                    default: panel_rows<1>(x + r, ldx, w, in_, yp + r, ldy); break;
                }
            }
        }
    }

private:
    Index out_, in_;
    std::vector<std::uint16_t> half_;
};

// Any number of rows runs at full speed.
constexpr Index kRowMultiple = 1;
#else
// Without AVX2, FMA and F16C the projections run on Eigen's GEMM micro-kernel (gebp), with W^T packed for it once,
// at load (through the public API, y = x * W.transpose(), Eigen repacks W on every call, which was half of a
// 16-token query's time). Embeddings, biases and LayerNorm parameters stay mapped from the file.
namespace ei = Eigen::internal;
using Traits = ei::gebp_traits<float, float>;
using ColMajorMapper = ei::const_blas_data_mapper<float, Index, Eigen::ColMajor>;
using OutputMapper = ei::blas_data_mapper<float, Index, Eigen::ColMajor>;
constexpr Index kDepthBlock = 384;  // input features per packed block (measured best of 192, 256, 384)
using Buffer = std::vector<float, Eigen::aligned_allocator<float>>;

class PackedWeight {
public:
    PackedWeight(const float* w, Index ld, Index out, Index in) : out_(out), in_(in), packed_(out * in) {
        ei::gemm_pack_rhs<float, Index, ColMajorMapper, Traits::nr, Eigen::ColMajor> pack;
        const ColMajorMapper transposed(w, ld);  // W^T [in x out], column-major, is W as stored
        for (Index k = 0; k < in_; k += kDepthBlock)
            pack(packed_.data() + k * out_, transposed.getSubMapper(k, 0), std::min(kDepthBlock, in_ - k), out_);
    }

    // y[n x out] += x[n x in] W^T; x and y column-major with leading dimensions ldx, ldy.
    void multiply_add(const float* x, Index ldx, Index n, float* y, Index ldy) const {
        ei::gemm_pack_lhs<float, Index, ColMajorMapper, Traits::mr, Traits::LhsProgress, Traits::LhsPacket4Packing,
                          Eigen::ColMajor>
            pack;
        ei::gebp_kernel<float, float, Index, OutputMapper, Traits::mr, Traits::nr, false, false> gebp;
        const ColMajorMapper input(x, ldx);
        thread_local Buffer scratch;  // x packed as the kernel's left-hand side
        scratch.resize(static_cast<std::size_t>(kDepthBlock * n));
        for (Index k = 0; k < in_; k += kDepthBlock) {
            const Index depth = std::min(kDepthBlock, in_ - k);
            pack(scratch.data(), input.getSubMapper(0, k), depth, n);
            gebp(OutputMapper(y, ldy), scratch.data(), packed_.data() + k * out_, n, depth, out_, 1.0f);
        }
    }

private:
    Index out_, in_;
    Buffer packed_;
};

// gebp handles the tokens 8 at a time and falls back to a slow path for a remainder (13 tokens took 40% longer
// than 16), so the rows are padded with zero tokens to a multiple of 8.
constexpr Index kRowMultiple = 8;
#endif

// Layers are cut in `slices` for threads working on one sequence: slice s has heads [12s/S, 12(s+1)/S), i.e.
// those rows of Q, K, V and columns of the attention output, and feed-forward units [1536s/S, 1536(s+1)/S).
struct Slice {
    Index c0, nc;  // attention features (heads x 32)
    Index f0, nf;  // feed-forward units
};

Slice slice_of(int s, int slices) {
    const int h0 = kHeads * s / slices, h1 = kHeads * (s + 1) / slices;
    const Index f0 = Index{kFfn} * s / slices, f1 = Index{kFfn} * (s + 1) / slices;
    return {h0 * kHeadDim, (h1 - h0) * kHeadDim, f0, f1 - f0};
}

struct LayerSlice {
    PackedWeight q, k, v, out, up, down;
};

struct Layer {
    std::vector<LayerSlice> slices;
    VectorMap bq, bk, bv, bo, ln1_g, ln1_b, b1, b2, ln2_g, ln2_b;
};

// PyTorch's Linear stores weight as [out, in], row-major: y = x W^T + b.
const float* weight(const SafeTensors& w, const std::string& name, int rows, int cols) { return w.f32(name, {rows, cols}); }
VectorMap vector(const SafeTensors& w, const std::string& name, int n) { return VectorMap(w.f32(name, {n}), n); }

Layer layer(const SafeTensors& w, int i, int slices) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    const float* wq = weight(w, p + "attention.self.query.weight", kHidden, kHidden);
    const float* wk = weight(w, p + "attention.self.key.weight", kHidden, kHidden);
    const float* wv = weight(w, p + "attention.self.value.weight", kHidden, kHidden);
    const float* wo = weight(w, p + "attention.output.dense.weight", kHidden, kHidden);
    const float* w1 = weight(w, p + "intermediate.dense.weight", kFfn, kHidden);
    const float* w2 = weight(w, p + "output.dense.weight", kHidden, kFfn);
    Layer l{{},
            vector(w, p + "attention.self.query.bias", kHidden),
            vector(w, p + "attention.self.key.bias", kHidden),
            vector(w, p + "attention.self.value.bias", kHidden),
            vector(w, p + "attention.output.dense.bias", kHidden),
            vector(w, p + "attention.output.LayerNorm.weight", kHidden),
            vector(w, p + "attention.output.LayerNorm.bias", kHidden),
            vector(w, p + "intermediate.dense.bias", kFfn),
            vector(w, p + "output.dense.bias", kHidden),
            vector(w, p + "output.LayerNorm.weight", kHidden),
            vector(w, p + "output.LayerNorm.bias", kHidden)};
    for (int s = 0; s < slices; ++s) {
        const auto [c0, nc, f0, nf] = slice_of(s, slices);
        l.slices.push_back({PackedWeight(wq + c0 * kHidden, kHidden, nc, kHidden),
                            PackedWeight(wk + c0 * kHidden, kHidden, nc, kHidden),
                            PackedWeight(wv + c0 * kHidden, kHidden, nc, kHidden),
                            PackedWeight(wo + c0, kHidden, kHidden, nc),  // columns: a partial sum over these heads
                            PackedWeight(w1 + f0 * kHidden, kHidden, nf, kHidden),
                            PackedWeight(w2 + f0, kFfn, kHidden, nf)});  // columns: a partial sum over these units
    }
    return l;
}

// Over each token's features (a row of x), for all tokens at once.
void layer_norm(Matrix& x, const VectorMap& gamma, const VectorMap& beta) {
    const Eigen::VectorXf mean = x.rowwise().mean();
    x.colwise() -= mean;
    const Eigen::ArrayXf inv_std = (x.array().square().rowwise().mean() + kLayerNormEps).sqrt().inverse();
    x.array().colwise() *= inv_std;
    x.array().rowwise() *= gamma.array();
    x.rowwise() += beta;
}

// What the threads working on one sequence exchange. Each writes its share of an output projection (a partial sum
// over its heads or its feed-forward units); then every thread adds all shares up in the same order, so all hold
// the same hidden state without copying it around. Attention and feed-forward shares have their own buffers: a
// thread may start writing the next attention share while another still reads this layer's feed-forward ones,
// never the reverse (the barrier in between orders them).
struct Exchange {
    explicit Exchange(int parts) : attn(parts), ffn(parts), sync(parts) {}
    std::vector<Matrix> attn, ffn;
    std::barrier<> sync;
};

void config_check(const std::string& path) {
    const std::string hint = "the model files come from `make bootstrap` (scripts/bootstrap, install_model)";
    std::ifstream in(path);
    if (!in) throw Error("model config " + path + ": cannot open", hint);
    nlohmann::json c;
    try {
        c = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& ex) {
        throw Error("model config " + path + ": not JSON (" + ex.what() + ")", hint);
    }
    // The architecture is compiled in; the config must describe exactly it.
    const std::vector<std::pair<std::string, nlohmann::json>> expected = {{"model_type", "bert"},
                                                                          {"hidden_size", kHidden},
                                                                          {"num_hidden_layers", kLayers},
                                                                          {"num_attention_heads", kHeads},
                                                                          {"intermediate_size", kFfn},
                                                                          {"vocab_size", kVocab},
                                                                          {"max_position_embeddings", kPositions},
                                                                          {"hidden_act", "gelu"},
                                                                          {"layer_norm_eps", 1e-12},
                                                                          {"position_embedding_type", "absolute"}};
    for (const auto& [key, value] : expected)
        if (!c.contains(key) || c[key] != value)
            throw Error("model config " + path + ": " + key + " is " + (c.contains(key) ? c[key].dump() : "missing") +
                            ", expected " + value.dump() + " (all-MiniLM-L6-v2)",
                        hint);
}

}  // namespace

struct Embedder::Model {
    SafeTensors weights;  // owns the mapping the maps below point into
    Tokenizer tokenizer;
    WeightsMap word, position;
    VectorMap token_type0, ln_g, ln_b;  // token type 0 only: the first row of token_type_embeddings
    std::vector<Layer> layers;
    int slices;  // = threads; each thread of a split sequence takes one slice of every layer

    // The encoder over `ids`, computing slices [s0, s1) of every layer and exchanging shares as `part` of
    // ex.attn.size() parts. A thread alone takes all slices as part 0 of 1. Every part ends with the last hidden
    // state in the first ids.size() rows of x.
    //
    // The rows are padded with zero tokens to a multiple of kRowMultiple (for Eigen's kernel). Padding rows never
    // reach the real ones: attention reads only real keys and values, and pooling only real rows.
    void forward(const std::vector<int32_t>& ids, int s0, int s1, Exchange& ex, int part, Matrix& x) const {
        const auto n = static_cast<Index>(ids.size()), rows = (n + kRowMultiple - 1) / kRowMultiple * kRowMultiple;
        const bool split = ex.attn.size() > 1;
        x.setZero(rows, kHidden);
        for (Index i = 0; i < n; ++i) x.row(i) = word.row(ids[i]) + position.row(i) + token_type0;
        layer_norm(x, ln_g, ln_b);

        const float scale = 1.0f / std::sqrt(static_cast<float>(kHeadDim));
        Matrix q(rows, kHidden), k(rows, kHidden), v(rows, kHidden), scores(n, n), h(rows, kFfn);
        Matrix ctx = Matrix::Zero(rows, kHidden);  // padding rows stay zero
        Matrix& attn = ex.attn[part];
        Matrix& ffn = ex.ffn[part];
        for (const Layer& l : layers) {
            // Self-attention over this part's heads; the projections start from their biases.
            attn.setZero(rows, kHidden);
            for (int s = s0; s < s1; ++s) {
                const LayerSlice& w = l.slices[s];
                const auto [c0, nc, f0, nf] = slice_of(s, slices);
                q.middleCols(c0, nc).rowwise() = l.bq.segment(c0, nc);
                k.middleCols(c0, nc).rowwise() = l.bk.segment(c0, nc);
                v.middleCols(c0, nc).rowwise() = l.bv.segment(c0, nc);
                w.q.multiply_add(x.data(), rows, rows, q.col(c0).data(), rows);
                w.k.multiply_add(x.data(), rows, rows, k.col(c0).data(), rows);
                w.v.multiply_add(x.data(), rows, rows, v.col(c0).data(), rows);
                for (Index c = c0; c < c0 + nc; c += kHeadDim) {
                    // scores(key, query): each query's scores are one contiguous column.
                    scores.noalias() = k.block(0, c, n, kHeadDim) * (q.block(0, c, n, kHeadDim) * scale).transpose();
                    // Softmax in place, query by query, over the real keys only: max-shifted, vectorised exp.
                    for (Index i = 0; i < n; ++i) {
                        auto col = scores.col(i).array();
                        col = (col - col.maxCoeff()).exp();
                        col *= 1.0f / col.sum();
                    }
                    ctx.block(0, c, n, kHeadDim).noalias() = scores.transpose() * v.block(0, c, n, kHeadDim);
                }
                w.out.multiply_add(ctx.col(c0).data(), rows, rows, attn.data(), rows);
            }
            if (split) ex.sync.arrive_and_wait();
            for (const Matrix& share : ex.attn) x += share;
            x.rowwise() += l.bo;
            layer_norm(x, l.ln1_g, l.ln1_b);

            // Feed-forward over this part's units, GELU with erf as BERT defines it (Eigen's vectorised erf).
            ffn.setZero(rows, kHidden);
            for (int s = s0; s < s1; ++s) {
                const LayerSlice& w = l.slices[s];
                const auto [c0, nc, f0, nf] = slice_of(s, slices);
                auto hs = h.middleCols(f0, nf);
                hs.rowwise() = l.b1.segment(f0, nf);
                w.up.multiply_add(x.data(), rows, rows, h.col(f0).data(), rows);
                hs.array() = 0.5f * hs.array() * (1.0f + (hs.array() * (1.0f / std::numbers::sqrt2_v<float>)).erf());
                w.down.multiply_add(h.col(f0).data(), rows, rows, ffn.data(), rows);
            }
            if (split) ex.sync.arrive_and_wait();
            for (const Matrix& share : ex.ffn) x += share;
            x.rowwise() += l.b2;
            layer_norm(x, l.ln2_g, l.ln2_b);
        }
    }

    static std::vector<float> pooled(const Matrix& x, Index n) {
        Eigen::RowVectorXf mean = x.topRows(n).colwise().mean();  // over the real tokens
        mean /= std::max(mean.norm(), 1e-12f);                    // as torch.nn.functional.normalize
        return std::vector<float>(mean.data(), mean.data() + mean.size());
    }

    // One sequence, alone (parts = 1) or split over `parts` threads (this one and parts - 1 helpers), each
    // taking one slice of every layer.
    std::vector<float> embed_one(const std::vector<int32_t>& ids, int parts) const {
        Exchange ex(parts);
        Matrix x;
        if (parts == 1) {
            forward(ids, 0, slices, ex, 0, x);
            return pooled(x, static_cast<Index>(ids.size()));
        }
        std::vector<std::thread> helpers;
        for (int p = 1; p < parts; ++p)
            helpers.emplace_back([&, p] {
                Matrix own;
                forward(ids, p, p + 1, ex, p, own);
            });
        forward(ids, 0, 1, ex, 0, x);
        for (auto& t : helpers) t.join();
        return pooled(x, static_cast<Index>(ids.size()));
    }

    void check(const std::vector<int32_t>& ids) const {
        if (ids.empty() || ids.size() > static_cast<std::size_t>(kPositions))
            throw Error("embedder: " + std::to_string(ids.size()) + " token ids; between 1 and 512 are allowed");
        for (int32_t id : ids)
            if (id < 0 || id >= kVocab) throw Error("embedder: token id " + std::to_string(id) + " outside the vocabulary");
    }
};

std::string default_model_dir() { return VOLTEDGE_RAG_MODEL_DIR; }

Embedder Embedder::load(const std::string& model_dir, unsigned threads) {
    config_check(model_dir + "/config.json");
    auto w = SafeTensors::open(model_dir + "/model.safetensors");
    auto tok = Tokenizer::load(model_dir + "/tokenizer.json");
    if (tok.vocab_size() != static_cast<std::size_t>(kVocab))
        throw Error("tokenizer " + model_dir + "/tokenizer.json: " + std::to_string(tok.vocab_size()) +
                    " tokens, expected 30522 (all-MiniLM-L6-v2)");
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    // At most 4 slices: beyond that each thread's share of a layer gets small for two meetings per layer (an
    // assumption: only 2 cores were there to measure on).
    const int slices = static_cast<int>(std::min(threads, 4u));
    std::vector<Layer> layers;
    layers.reserve(kLayers);  // Layer's move may throw (Eigen::Map), so growing the vector would copy them
    for (int i = 0; i < kLayers; ++i) layers.push_back(layer(w, i, slices));
    const float* word = weight(w, "embeddings.word_embeddings.weight", kVocab, kHidden);
    const float* position = weight(w, "embeddings.position_embeddings.weight", kPositions, kHidden);
    const float* token_type = weight(w, "embeddings.token_type_embeddings.weight", 2, kHidden);
    Embedder e;
    e.model_ = std::make_shared<const Model>(Model{w, std::move(tok), WeightsMap(word, kVocab, kHidden),
                                                   WeightsMap(position, kPositions, kHidden), VectorMap(token_type, kHidden),
                                                   vector(w, "embeddings.LayerNorm.weight", kHidden),
                                                   vector(w, "embeddings.LayerNorm.bias", kHidden), std::move(layers), slices});
    e.threads_ = threads;
    return e;
}

std::vector<int32_t> Embedder::tokenize(std::string_view text) const { return model_->tokenizer.encode(text, kMaxTokens); }
const Tokenizer& Embedder::tokenizer() const { return model_->tokenizer; }
unsigned Embedder::threads() const { return threads_; }

std::string Embedder::simd() {
    std::string s = Eigen::SimdInstructionSetsInUse();  // says "AVX" for AVX2 too
#ifdef EIGEN_VECTORIZE_AVX2
    s += ", AVX2";
#endif
#ifdef EIGEN_VECTORIZE_FMA
    s += ", FMA";
#endif
    return s;
}

std::vector<float> Embedder::embed(std::string_view text) const {
    static auto& seconds = observability::metrics().histogram("voltedge_embedding_duration_seconds",
                                                              "Time to embed one text (a query) in process");
    observability::Span span("embed", observability::SpanKind::internal);
    const auto start = std::chrono::steady_clock::now();
    const auto ids = tokenize(text);
    span.set("embedding.tokens", static_cast<std::int64_t>(ids.size()));
    auto vector = embed_ids(ids);
    seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return vector;
}

std::vector<float> Embedder::embed_ids(const std::vector<int32_t>& ids) const {
    model_->check(ids);
    // Split even for a few tokens: the time then goes to streaming the weights, which the split halves.
    return model_->embed_one(ids, model_->slices);
}

std::vector<std::vector<float>> Embedder::embed_batch(const std::vector<std::string>& texts) const {
    std::vector<std::vector<int32_t>> batch;
    batch.reserve(texts.size());
    for (const auto& t : texts) batch.push_back(tokenize(t));
    return embed_ids_batch(batch);
}

std::vector<std::vector<float>> Embedder::embed_ids_batch(const std::vector<std::vector<int32_t>>& batch) const {
    for (const auto& ids : batch) model_->check(ids);
    std::vector<std::vector<float>> out(batch.size());
    // Whole texts per thread (no meeting points, and each GEMM has all the rows of its text) while there are
    // enough to go round; the last few, fewer than the threads, are each split over the threads instead.
    const std::size_t whole = batch.size() - batch.size() % threads_;
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < whole;) out[i] = model_->embed_one(batch[i], 1);
    };
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < threads_ && t < whole; ++t) helpers.emplace_back(worker);
    worker();
    for (auto& t : helpers) t.join();
    for (std::size_t i = whole; i < batch.size(); ++i) out[i] = embed_ids(batch[i]);
    return out;
}

}  // namespace voltedge::rag
