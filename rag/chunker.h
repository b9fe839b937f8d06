#pragma once
// Splitting documents into chunks for retrieval. A chunk is what one search hit shows and what one embedding
// stands for, so it follows the document's own structure: Markdown by section (a heading and what is under
// it), code along top-level blocks (a function, a class, an SQL statement, a shell function) with the comment
// above each block kept with it. A part longer than the limits is split at blank lines, then at line ends.
// The embedder reads at most 256 tokens; the limits keep most chunks under that (code tokens are dense).
#include <string>
#include <string_view>
#include <vector>

namespace voltedge::rag {

struct Chunk {
    int line_start = 0, line_end = 0;  // 1-based, inclusive
    std::string section;               // heading path ("Prediction API > Cache") or the block's first line
    std::string content;
};

enum class Format { markdown, cpp, sql, shell, text };

// By file name: .md → markdown; .h/.cpp/.cc/.hpp → cpp; .sql → sql; .sh, CMake files, Makefile and scripts
// without an extension → shell (blocks separated by blank lines or functions); anything else text.
Format format_of(std::string_view path);

struct ChunkLimits {
    std::size_t max_chars = 1200;  // ~ 200-300 word pieces of prose, fewer of code
    std::size_t max_lines = 60;
};

std::vector<Chunk> chunk_document(std::string_view text, Format format, const ChunkLimits& limits = {});

}  // namespace voltedge::rag
