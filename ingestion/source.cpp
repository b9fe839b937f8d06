#include "ingestion/source.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/error.h"
#include "core/hex.h"
#include "core/log.h"
#include "http/client.h"

namespace voltedge::ingestion {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kBlock = 1 << 20;

// The file as libarchive pulls it: every byte read is hashed on its way through.
struct HashingFile {
    std::FILE* file = nullptr;
    EVP_MD_CTX* sha = EVP_MD_CTX_new();
    std::vector<char> block = std::vector<char>(kBlock);
    std::uint64_t bytes = 0;
    HashingFile() { EVP_DigestInit_ex(sha, EVP_sha256(), nullptr); }
    HashingFile(const HashingFile&) = delete;
    HashingFile& operator=(const HashingFile&) = delete;
    ~HashingFile() {
        if (file) std::fclose(file);
        EVP_MD_CTX_free(sha);
    }
    std::size_t read() {
        const std::size_t n = std::fread(block.data(), 1, block.size(), file);
        EVP_DigestUpdate(sha, block.data(), n);
        bytes += n;
        return n;
    }
    std::string hex_digest() {
        while (read() > 0) {
        }  // readers that stop early (zip) still hash the whole file
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_DigestFinal_ex(sha, digest, &len);
        return to_hex(digest, len);
    }
};

la_ssize_t read_callback(struct archive*, void* data, const void** buffer) {
    auto* f = static_cast<HashingFile*>(data);
    *buffer = f->block.data();
    return static_cast<la_ssize_t>(f->read());
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string download(const std::string& url, const std::string& download_dir) {
    fs::create_directories(download_dir);
    std::string name = url.substr(url.find_last_of('/') + 1);
    if (name.empty() || name.find('?') != std::string::npos) name = "download";
    const fs::path target = fs::path(download_dir) / name;
    log_info("download_started", {{"url", url}});
    http::download_to_file(url, target.string());
    return target.string();
}

}  // namespace

bool is_url(const std::string& source) { return http::is_http_url(source); }

SourceInfo read_source(const std::string& source, const ChunkSink& sink, const std::string& download_dir) {
    const std::string path = is_url(source) ? download(source, download_dir) : source;
    if (!fs::is_regular_file(path))
        throw Error(source + ": no such file", "give a path to a UCI .txt, .zip, .gz or .xz file, or an http(s) URL");
    HashingFile file;
    file.file = std::fopen(path.c_str(), "rb");
    if (!file.file) throw Error(source + ": cannot open for reading", "check the file's permissions");

    std::unique_ptr<struct archive, int (*)(struct archive*)> ar(archive_read_new(), &archive_read_free);
    archive_read_support_filter_all(ar.get());
    archive_read_support_format_zip(ar.get());
    archive_read_support_format_raw(ar.get());
    auto fail = [&](const std::string& what) -> Error {
        return Error(source + ": " + what + ": " +
                         (archive_error_string(ar.get()) ? archive_error_string(ar.get()) : "unreadable"),
                     "the file is damaged or truncated; download it again");
    };
    if (archive_read_open(ar.get(), &file, nullptr, read_callback, nullptr) != ARCHIVE_OK)
        throw fail("truncated or corrupt archive");

    bool found = false;
    struct archive_entry* entry;
    int rc;
    while ((rc = archive_read_next_header(ar.get(), &entry)) == ARCHIVE_OK) {
        const char* name = archive_entry_pathname(entry);
        const bool raw = archive_format(ar.get()) == ARCHIVE_FORMAT_RAW;
        if (!raw && !(name && (ends_with(name, ".txt") || ends_with(name, ".csv")))) continue;
        found = true;
        std::vector<char> buf(kBlock);
        la_ssize_t n;
        while ((n = archive_read_data(ar.get(), buf.data(), buf.size())) > 0) sink(std::string_view(buf.data(), n));
        if (n < 0) throw fail("truncated or corrupt archive");
        break;
    }
    if (rc < ARCHIVE_WARN) throw fail("truncated or corrupt archive");
    if (!found) throw Error(source + ": the archive holds no .txt file", "give the UCI zip or the .txt inside it");
    SourceInfo info{source, "", 0};
    info.sha256 = file.hex_digest();
    info.bytes = file.bytes;
    return info;
}

}  // namespace voltedge::ingestion
