#include "db/copy_in.h"

// libpqxx 6.4 offers whole-line raw writes only on tablewriter, which it marks deprecated in favour of
// stream_to; stream_to escapes field by field, which costs more than the COPY itself here.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <pqxx/tablewriter>

namespace voltedge::db {

struct CopyIn::Writer {
    pqxx::tablewriter w;
};

CopyIn::CopyIn(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& columns)
    : writer_(new Writer{pqxx::tablewriter(tx, table, columns.begin(), columns.end())}) {
    buffer_.reserve(kFlushBytes + 4096);
}

CopyIn::~CopyIn() = default;

void CopyIn::flush() {
    if (buffer_.empty()) return;
    // write_raw_line appends the final '\n' itself; COPY data need not align rows with messages.
    buffer_.pop_back();
    writer_->w.write_raw_line(buffer_);
    buffer_.clear();
}

void CopyIn::finish() {
    flush();
    writer_->w.complete();
}

}  // namespace voltedge::db
