#pragma once
// COPY ... FROM STDIN in text format, fed whole buffers of rows at a time (one libpq call per ~1 MB,
// not per row): the floor of what any loader can do.
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace voltedge::db {

class CopyIn {
public:
    CopyIn(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& columns);
    ~CopyIn();
    // The buffer used to assemble rows: append text-format rows, each ending in '\n'.
    std::string& buffer() { return buffer_; }
    // Sends the buffer if it has grown past the flush size.
    void maybe_flush() {
        if (buffer_.size() >= kFlushBytes) flush();
    }
    void finish();  // sends the rest and ends the COPY; errors surface here or at the next statement

private:
    static constexpr std::size_t kFlushBytes = 1 << 20;
    void flush();
    struct Writer;
    std::unique_ptr<Writer> writer_;
    std::string buffer_;
};

}  // namespace voltedge::db
