// Chunking along the documents' own structure (rag/chunker.h).
#include <gtest/gtest.h>

#include "rag/chunker.h"

using namespace voltedge::rag;

namespace {

const Chunk* find(const std::vector<Chunk>& chunks, const std::string& text) {
    for (const auto& c : chunks)
        if (c.content.find(text) != std::string::npos) return &c;
    return nullptr;
}

}  // namespace

TEST(Chunker, MarkdownBySectionWithTheHeadingPath) {
    const std::string md =
        "# VoltEdge\nintro\n\n## Prediction API\nabout the API\n\n### Cache\nhow the cache works\n```sh\n# not a heading\n"
        "make serve\n```\n\n## Data\nthe data\n";
    const auto chunks = chunk_document(md, Format::markdown);
    ASSERT_EQ(chunks.size(), 4u);
    const Chunk* cache = find(chunks, "how the cache works");
    ASSERT_NE(cache, nullptr);
    EXPECT_EQ(cache->section, "VoltEdge > Prediction API > Cache");
    EXPECT_NE(cache->content.find("# not a heading"), std::string::npos);  // inside a code fence
    EXPECT_EQ(cache->line_start, 7);
    EXPECT_EQ(cache->line_end, 12);
    EXPECT_EQ(find(chunks, "the data")->section, "VoltEdge > Data");
}

TEST(Chunker, CodeAlongTopLevelBlocksInsideNamespaces) {
    // (Not R"cpp(: clang-format would reformat a raw string it recognises as C++.)
    const std::string cpp = R"src(#include "a.h"

namespace voltedge {

// Sets the tenant for one transaction.
void set_tenant(Tx& tx) {
    if (x) {
        tx.exec(R"(SELECT '}' FROM t)");
    }
    const char* s = "{";
}

int other() { return 1; }

}  // namespace voltedge
)src";
    // Limits that fit the first function alone but not both (small parts are merged when they fit).
    const auto chunks = chunk_document(cpp, Format::cpp, {170, 60});
    const Chunk* f = find(chunks, "void set_tenant");
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->content.find("// Sets the tenant for one transaction."), std::string::npos);  // its comment stays
    EXPECT_NE(f->content.find("const char* s"), std::string::npos);  // braces in strings do not end it early
    EXPECT_EQ(f->content.find("int other"), std::string::npos);
    EXPECT_EQ(f->section, "void set_tenant(Tx& tx) {");
    EXPECT_NE(find(chunks, "int other"), nullptr);
}

TEST(Chunker, SqlByStatementWithDollarQuotedBodiesWhole) {
    const std::string sql =
        "-- the tenants\nCREATE TABLE tenants (\n  id text\n);\n\nCREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  SELECT 1;\n"
        "END $$ LANGUAGE plpgsql;\n";
    const auto chunks = chunk_document(sql, Format::sql, {100, 60});
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[0].section, "CREATE TABLE tenants (");
    EXPECT_NE(chunks[0].content.find("-- the tenants"), std::string::npos);
    EXPECT_NE(chunks[1].content.find("END $$ LANGUAGE plpgsql;"), std::string::npos);
}

TEST(Chunker, LongPartsAreSplitWithinTheLimitsAndNothingIsLost) {
    std::string text;
    for (int i = 0; i < 300; ++i) text += "line " + std::to_string(i) + (i % 7 == 6 ? "\n\n" : "\n");
    const ChunkLimits limits{400, 20};
    const auto chunks = chunk_document(text, Format::text, limits);
    std::string joined;
    int previous_end = 0;
    for (const auto& c : chunks) {
        EXPECT_LE(c.content.size(), limits.max_chars);
        EXPECT_LE(c.line_end - c.line_start + 1, static_cast<int>(limits.max_lines));
        EXPECT_GT(c.line_start, previous_end);
        previous_end = c.line_end;
        joined += c.content + "\n";
    }
    for (int i = 0; i < 300; ++i) EXPECT_NE(joined.find("line " + std::to_string(i) + "\n"), std::string::npos) << i;
}

TEST(Chunker, FormatFollowsTheFileName) {
    EXPECT_EQ(format_of("README.md"), Format::markdown);
    EXPECT_EQ(format_of("serving/predictor.cpp"), Format::cpp);
    EXPECT_EQ(format_of("db/migrations/001_tenancy.sql"), Format::sql);
    EXPECT_EQ(format_of("scripts/devstack"), Format::shell);
    EXPECT_EQ(format_of("rag/CMakeLists.txt"), Format::shell);
    EXPECT_EQ(format_of("notes.txt"), Format::text);
    EXPECT_TRUE(chunk_document("", Format::markdown).empty());
    EXPECT_TRUE(chunk_document("\n\n  \n", Format::cpp).empty());
}
