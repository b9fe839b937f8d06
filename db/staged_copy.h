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

// A column of the COPY rows. A plain name is copied into the table column of that name, with its type. A
// conversion stages the value under its own name and type, and `expression` (SQL over the staged columns)
// computes the table column `target`: e.g. integers that the server parses far faster than text floats.
struct StagedColumn {
    StagedColumn(std::string plain) : name(std::move(plain)) {}  // NOLINT: plain names convert implicitly
    StagedColumn(std::string staged, std::string staged_type, std::string target_column, std::string sql)
        : name(std::move(staged)), type(std::move(staged_type)), target(std::move(target_column)), expression(std::move(sql)) {}
    std::string name, type, target, expression;  // type, target, expression empty for a plain column
};

class StagedCopy {
public:
    // `columns` are the ones the COPY rows carry, in order.
    StagedCopy(pqxx::transaction_base& tx, const std::string& table, std::vector<StagedColumn> columns);
    StagedCopy(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& plain_columns)
        : StagedCopy(tx, table, std::vector<StagedColumn>(plain_columns.begin(), plain_columns.end())) {}
    std::string& buffer() { return copy_.buffer(); }
    void maybe_flush() { copy_.maybe_flush(); }
    // Ends the COPY and moves the rows into the table, adding `constants` to every row: (column, SQL
    // expression), e.g. {"tenant_id", tx.quote(tenant)}.
    void finish(const std::vector<std::pair<std::string, std::string>>& constants);

private:
    pqxx::transaction_base& tx_;
    std::string table_, staging_;
    std::vector<StagedColumn> columns_;
    CopyIn copy_;
};

}  // namespace voltedge::db
