#pragma once
// Bulk loading into a table under row-level security. PostgreSQL refuses COPY FROM into such a table, so
// rows are COPYed into a temporary table (no RLS, not WAL-logged) and moved with one INSERT ... SELECT,
// which the tenant policy checks row by row.
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "db/copy_in.h"

namespace voltedge::db {

class StagedCopy {
public:
    // `columns` are the ones the COPY rows carry, in order.
    StagedCopy(pqxx::transaction_base& tx, const std::string& table, std::vector<std::string> columns);
    std::string& buffer() { return copy_.buffer(); }
    void maybe_flush() { copy_.maybe_flush(); }
    // Ends the COPY and moves the rows into the table, adding `constants` to every row: (column, SQL
    // expression), e.g. {"tenant_id", tx.quote(tenant)}.
    void finish(const std::vector<std::pair<std::string, std::string>>& constants);

private:
    pqxx::transaction_base& tx_;
    std::string table_, staging_;
    std::vector<std::string> columns_;
    CopyIn copy_;
};

}  // namespace voltedge::db
