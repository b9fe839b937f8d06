#pragma once
// Reads a meter file as a stream of text chunks: a local .txt/.csv, .zip (the first .txt inside), .gz or
// .xz, or an http(s) URL (downloaded first, then read the same way). Hashes the bytes as they pass.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace voltedge::ingestion {

struct SourceInfo {
    std::string name;    // what the user gave
    std::string sha256;  // of the file's bytes as stored (compressed, if it is)
    std::uint64_t bytes = 0;
};

using ChunkSink = std::function<void(std::string_view)>;

// download_dir holds URL downloads. Throws Error naming the source for anything unreadable.
SourceInfo read_source(const std::string& path_or_url, const ChunkSink& sink, const std::string& download_dir);

bool is_url(const std::string& source);

}  // namespace voltedge::ingestion
