// rag/: the safetensors reader, the WordPiece tokenizer and the MiniLM embedder against the reference token ids
// and embeddings of tests/data/embeddings/minilm-reference.jsonl (all-MiniLM-L6-v2 run by ONNX Runtime). The
// model itself is not in the repository: `make bootstrap` fetches it; without it these tests fail, not skip.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.h"
#include "rag/encoder.h"
#include "rag/safetensors.h"
#include "rag/snippet.h"
#include "rag/tokenizer.h"

using namespace voltedge;
namespace fs = std::filesystem;

namespace {

struct Loaded {
    std::optional<rag::Embedder> embedder;
    std::string error;
};

// Loaded once for the whole test binary (about 0.1 s).
const Loaded& loaded() {
    static const Loaded l = [] {
        Loaded l;
        try {
            l.embedder = rag::Embedder::load(rag::default_model_dir());
        } catch (const Error& e) {
            l.error = e.what();
        }
        return l;
    }();
    return l;
}

#define REQUIRE_MODEL()                                                                                              \
    ASSERT_TRUE(loaded().embedder) << "the embedding model is missing or unreadable in " << rag::default_model_dir() \
                                   << ": run `make bootstrap` (it fetches all-MiniLM-L6-v2)\n"                       \
                                   << loaded().error;                                                                \
    const rag::Embedder& embedder = *loaded().embedder;                                                              \
    const rag::Tokenizer& tokenizer = embedder.tokenizer();                                                          \
    (void)tokenizer

struct Reference {
    std::string text;
    std::vector<int32_t> ids;
    std::vector<float> embedding;
};

std::vector<Reference> references() {
    std::ifstream in(VOLTEDGE_MINILM_REFERENCE);
    std::vector<Reference> out;
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line);
        out.push_back({j["text"], j["token_ids"], j["embedding"]});
    }
    return out;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
    return ab / std::sqrt(aa * bb);
}

std::string shown(const std::string& text) { return text.size() > 60 ? text.substr(0, 60) + "..." : text; }

// A scratch file under the test's temporary directory.
fs::path scratch(const std::string& name, const std::string& bytes) {
    fs::path p = fs::temp_directory_path() / ("rag_test_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
}

// A safetensors file: the 8-byte little-endian header length, the header (padded with spaces to a multiple of 8
// bytes unless `pad` is false, as writers do so the data is aligned), the data.
std::string safetensors_bytes(std::string header, const std::string& data, bool pad = true) {
    while (pad && header.size() % 8 != 0) header += ' ';
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    return out + header + data;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(RagReference, TokenIdsAndEmbeddingsMatchTheReference) {
    REQUIRE_MODEL();
    const auto refs = references();
    ASSERT_EQ(refs.size(), 22u) << "cannot read " << VOLTEDGE_MINILM_REFERENCE;
    double worst = 1.0, max_diff = 0;
    std::string worst_text;
    for (const auto& r : refs) {
        EXPECT_EQ(embedder.tokenize(r.text), r.ids) << "token ids of \"" << shown(r.text) << "\"";
        const auto e = embedder.embed(r.text);
        for (std::size_t i = 0; i < e.size(); ++i) max_diff = std::max(max_diff, std::abs(double(e[i]) - r.embedding[i]));
        const double c = cosine(e, r.embedding);
        EXPECT_GE(c, 0.99999) << "\"" << shown(r.text) << "\"";
        if (c < worst) worst = c, worst_text = r.text;
    }
    std::printf("worst cosine with the reference: %.10f (1 - cosine = %.2e) for \"%s\"; largest component difference %.2e\n",
                worst, 1 - worst, shown(worst_text).c_str(), max_diff);
}

// The three ways of running the encoder agree: one text split over two threads (each taking half of every
// layer), texts shared out whole between two threads (embed_batch), and one thread alone.
TEST(RagReference, SplitBatchAndSingleThreadAgree) {
    REQUIRE_MODEL();
    const auto refs = references();
    std::vector<std::string> texts;
    for (const auto& r : refs) texts.push_back(r.text);
    const auto two = rag::Embedder::load(rag::default_model_dir(), 2);
    const auto one = rag::Embedder::load(rag::default_model_dir(), 1);
    const auto batch = two.embed_batch(texts);
    ASSERT_EQ(batch.size(), texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const auto split = two.embed(texts[i]);
        ASSERT_EQ(split.size(), 384u);
        EXPECT_GE(cosine(batch[i], split), 0.999999) << shown(texts[i]);
        if (i % 4 == 1) {  // a few: slow under ASan
            EXPECT_GE(cosine(one.embed(texts[i]), split), 0.999999) << shown(texts[i]);
        }
        EXPECT_GE(cosine(batch[i], refs[i].embedding), 0.99999) << shown(texts[i]);
        double norm = 0;
        for (float x : split) norm += double(x) * x;
        EXPECT_NEAR(norm, 1.0, 1e-5);
    }
    const auto odd = two.embed_batch({texts[0], texts[1], texts[21]});  // two whole, the third split
    ASSERT_EQ(odd.size(), 3u);
    EXPECT_GE(cosine(odd[0], batch[0]), 0.999999);
    EXPECT_GE(cosine(odd[1], batch[1]), 0.999999);
    EXPECT_GE(cosine(odd[2], batch[21]), 0.999999);
    EXPECT_TRUE(two.embed_batch({}).empty());
    EXPECT_EQ(one.embed_batch({"x", "y"}).size(), 2u);
}

TEST(RagTokenizer, EmptyAndBlankTextAreClsSep) {
    REQUIRE_MODEL();
    const std::vector<int32_t> cls_sep{101, 102};
    EXPECT_EQ(tokenizer.encode(""), cls_sep);
    EXPECT_EQ(tokenizer.encode(" \t\n\r\u3000\u00a0 "), cls_sep);
    EXPECT_EQ(tokenizer.encode("\x01\x7f\u200b"), cls_sep);  // controls and format characters are dropped
}

TEST(RagTokenizer, LongTextIsTruncatedAt256WithSep) {
    REQUIRE_MODEL();
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "electricity load ";
    const auto ids = tokenizer.encode(text);
    ASSERT_EQ(ids.size(), rag::kMaxTokens);
    EXPECT_EQ(ids.front(), 101);
    EXPECT_EQ(ids.back(), 102);
    EXPECT_EQ(ids[1], tokenizer.id("electricity"));
    EXPECT_EQ(ids[254], tokenizer.id("load"));  // 254 content tokens
    const auto ten = tokenizer.encode(text, 10);
    ASSERT_EQ(ten.size(), 10u);
    EXPECT_EQ(ten.back(), 102);
    EXPECT_TRUE(std::equal(ten.begin(), ten.end() - 1, ids.begin()));
    EXPECT_THROW(tokenizer.encode("x", 1), Error);
}

TEST(RagTokenizer, AccentsAreStrippedAndCaseFolded) {
    REQUIRE_MODEL();
    EXPECT_EQ(tokenizer.encode("Électricité NAÏVE Café"), tokenizer.encode("electricite naive cafe"));
    EXPECT_EQ(tokenizer.encode("E\u0301"), tokenizer.encode("e"));  // already decomposed
    EXPECT_EQ(tokenizer.encode("İ"), tokenizer.encode("i"));        // NFD, drop the dot, lowercase
}

TEST(RagTokenizer, CjkIdeographsAreSeparateWords) {
    REQUIRE_MODEL();
    // 力 is in the vocabulary; 電 is not and becomes [UNK] on its own, not with its neighbour.
    EXPECT_EQ(tokenizer.encode("電力"), (std::vector<int32_t>{101, 100, 1778, 102}));
    EXPECT_EQ(tokenizer.encode("负荷预测"), (std::vector<int32_t>{101, 100, 100, 100, 100, 102}));
}

TEST(RagTokenizer, EmojiAndUnknownWordsAreUnk) {
    REQUIRE_MODEL();
    EXPECT_EQ(tokenizer.encode("😀"), (std::vector<int32_t>{101, 100, 102}));
    EXPECT_EQ(tokenizer.encode("a😀b"), (std::vector<int32_t>{101, 100, 102}));                  // one word: all of it is [UNK]
    EXPECT_EQ(tokenizer.encode(std::string(101, 'a')), (std::vector<int32_t>{101, 100, 102}));  // over 100 characters
    EXPECT_NE(tokenizer.encode(std::string(100, 'a'))[1], 100);
}

TEST(RagTokenizer, PunctuationSpecialTokensAndBadUtf8) {
    REQUIRE_MODEL();
    const int32_t a = tokenizer.id("a"), b = tokenizer.id("b");
    EXPECT_EQ(tokenizer.encode("a-b"), (std::vector<int32_t>{101, a, tokenizer.id("-"), b, 102}));
    EXPECT_EQ(tokenizer.encode("a$b"), (std::vector<int32_t>{101, a, tokenizer.id("$"), b, 102}));  // ASCII symbol
    EXPECT_EQ(tokenizer.encode("a [MASK] b[SEP]"), (std::vector<int32_t>{101, a, 103, b, 102, 102}));
    EXPECT_EQ(tokenizer.encode("a\xff\xfe b"), tokenizer.encode("a b"));  // invalid UTF-8 dropped like U+FFFD
    EXPECT_EQ(tokenizer.encode("a\vb"), tokenizer.encode("ab"));          // VT is a control: dropped, not a space
}

TEST(RagSafetensors, ReadsTensorsAndNamesWhatIsWrong) {
    const std::string header = R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}})";
    std::string data(16, '\0');
    const float two[2] = {1.5f, -2.0f};
    std::memcpy(data.data(), two, sizeof two);
    const auto path = scratch("ok.safetensors", safetensors_bytes(header, data));
    const auto st = rag::SafeTensors::open(path);
    EXPECT_EQ(st.names(), (std::vector<std::string>{"a", "i"}));
    const float* a = st.f32("a", {2});
    EXPECT_EQ(a[0], 1.5f);
    EXPECT_EQ(a[1], -2.0f);
    EXPECT_NE(error_of([&] { st.f32("b", {2}); }).find("no tensor 'b'"), std::string::npos);
    EXPECT_NE(error_of([&] { st.f32("i", {1}); }).find("'i' is I64, expected F32"), std::string::npos);
    EXPECT_NE(error_of([&] { st.f32("a", {3}); }).find("'a' has shape [2], expected [3]"), std::string::npos);
    fs::remove(path);

    const std::string odd = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";  // 8 + 54 bytes: data misaligned
    const auto unpadded = scratch("odd.safetensors", safetensors_bytes(odd, std::string(4, '\0'), false));
    EXPECT_NE(error_of([&] { rag::SafeTensors::open(unpadded).f32("a", {1}); }).find("not 4-byte aligned"), std::string::npos);
    fs::remove(unpadded);
}

TEST(RagSafetensors, RejectsTruncatedAndMalformedFiles) {
    auto open_error = [](const std::string& name, const std::string& bytes) {
        const auto path = scratch(name, bytes);
        auto e = error_of([&] { rag::SafeTensors::open(path); });
        fs::remove(path);
        return e;
    };
    const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    EXPECT_NE(open_error("empty", "").find("truncated"), std::string::npos);
    EXPECT_NE(open_error("short", "\x10\0\0").find("truncated"), std::string::npos);
    EXPECT_NE(open_error("long_header", safetensors_bytes(header, std::string(8, '\0')).substr(0, 30)).find("exceeds"),
              std::string::npos);
    EXPECT_NE(open_error("data_cut", safetensors_bytes(header, std::string(4, '\0'))).find("outside the data section"),
              std::string::npos);
    EXPECT_NE(open_error("not_json", safetensors_bytes("{\"a\": [", "")).find("not JSON"), std::string::npos);
    EXPECT_NE(open_error("not_object", safetensors_bytes("[1, 2]", "")).find("not a JSON object"), std::string::npos);
    EXPECT_NE(open_error("bad_entry", safetensors_bytes(R"({"a":{"dtype":"F32"}})", "")).find("tensor 'a'"), std::string::npos);
    EXPECT_NE(open_error("size_mismatch",
                         safetensors_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')))
                  .find("needs 12"),
              std::string::npos);
    EXPECT_NE(error_of([] { rag::SafeTensors::open("/nonexistent/model.safetensors"); }).find("cannot open"), std::string::npos);
}

TEST(RagSafetensors, TruncatedModelFileNamesATensor) {
    REQUIRE_MODEL();
    std::ifstream in(rag::default_model_dir() + "/model.safetensors", std::ios::binary);
    std::string head(1 << 20, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    const auto path = scratch("cut.safetensors", head);
    const auto e = error_of([&] { rag::SafeTensors::open(path); });
    fs::remove(path);
    EXPECT_NE(e.find("bad header entry for tensor '"), std::string::npos) << e;
    EXPECT_NE(e.find("truncated file?"), std::string::npos) << e;
}

TEST(RagEmbedder, LoadErrorsSayWhatToDo) {
    const auto e = error_of([] { rag::Embedder::load("/nonexistent/minilm"); });
    EXPECT_NE(e.find("/nonexistent/minilm/config.json"), std::string::npos) << e;
    try {
        rag::Embedder::load("/nonexistent/minilm");
    } catch (const Error& err) {
        EXPECT_NE(err.hint().find("make bootstrap"), std::string::npos);
    }
}

TEST(RagSnippet, MarksTheQuerysWordsAndTheirFormsButNotStopWords) {
    const rag::SnippetQuery q("How is the tenant set for transactions?");
    EXPECT_EQ(rag::snippet("Each transaction sets the tenant: SELECT set_config('app.tenant_id', $1, true).", q),
              "Each «transaction» «sets» the «tenant»: SELECT «set»_config('app.«tenant»_id', $1, true).");
    EXPECT_EQ(rag::snippet("Setting tenants is transactional.", q), "«Setting» «tenants» is «transactional».");
    EXPECT_EQ(rag::snippet("nothing here matches", q), "nothing here matches");
    EXPECT_EQ(rag::snippet("", q), "");
    EXPECT_EQ(rag::snippet("Only the words the and is.", rag::SnippetQuery("the is")), "Only the words the and is.");
}

TEST(RagSnippet, ShowsAtMostTwoPassagesWhereTheWordsAreDensest) {
    std::string text;  // w0 … w99, with "canary" after w10, w80 and w82
    for (int i = 0; i < 100; ++i) text += "w" + std::to_string(i) + (i == 10 || i == 80 || i == 82 ? " canary " : " ");
    const std::string s = rag::snippet(text, rag::SnippetQuery("canary rollout"));
    // Each passage starts three words before a match and has at most 35 words; they are shown in text order.
    const auto joint = s.find(" … ");
    ASSERT_NE(joint, std::string::npos) << s;
    EXPECT_EQ(s.substr(0, joint), "w8 w9 w10 «canary» w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 w21 w22 w23 w24 w25 w26 w27 "
                                  "w28 w29 w30 w31 w32 w33 w34 w35 w36 w37 w38 w39 w40 w41");
    EXPECT_EQ(s.substr(joint + std::string(" … ").size()),
              "w78 w79 w80 «canary» w81 w82 «canary» w83 w84 w85 w86 w87 w88 w89 w90 w91 w92 w93 w94 w95 w96 w97 w98 w99");
    // Without a match: the first 35 words, unmarked.
    const std::string plain = rag::snippet(text, rag::SnippetQuery("zanzibar"));
    EXPECT_EQ(plain.find("w0 w1 "), 0u);
    EXPECT_EQ(plain.find("«"), std::string::npos);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), ' '), 34) << plain;
}

TEST(RagSnippet, KeepsTextThatIsNotAsciiWhole) {
    EXPECT_EQ(rag::snippet("Die Zählerstände, kWh — Größe", rag::SnippetQuery("zählerstände")),
              "Die «Zählerstände», kWh — Größe");
}
