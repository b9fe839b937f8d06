#include "db/staged_copy.h"

namespace voltedge::db {
namespace {

template <class Fn>
std::string joined(const std::vector<StagedColumn>& columns, Fn&& part) {
    std::string out;
    for (const auto& c : columns) out += (out.empty() ? "" : ", ") + part(c);
    return out;
}

std::string create_staging(pqxx::transaction_base& tx, const std::string& table, const std::vector<StagedColumn>& columns) {
    const std::string staging = table + "_staging";
    tx.exec("DROP TABLE IF EXISTS pg_temp." + staging);
    // Plain columns take the table's types; converted ones their own.
    const std::string select = joined(columns, [](const StagedColumn& c) {
        return c.type.empty() ? c.name : "NULL::" + c.type + " AS " + c.name;
    });
    tx.exec("CREATE TEMP TABLE " + staging + " ON COMMIT DROP AS SELECT " + select + " FROM " + table + " WITH NO DATA");
    return staging;
}

std::vector<std::string> names(const std::vector<StagedColumn>& columns) {
    std::vector<std::string> out;
    for (const auto& c : columns) out.push_back(c.name);
    return out;
}

}  // namespace

StagedCopy::StagedCopy(pqxx::transaction_base& tx, const std::string& table, std::vector<StagedColumn> columns)
    : tx_(tx),
      table_(table),
      staging_(create_staging(tx, table, columns)),
      columns_(std::move(columns)),
      copy_(tx, staging_, names(columns_)) {}

void StagedCopy::finish(const std::vector<std::pair<std::string, std::string>>& constants) {
    copy_.finish();
    std::string target, values;
    for (const auto& [column, value] : constants) {
        target += column + ", ";
        values += value + ", ";
    }
    target += joined(columns_, [](const StagedColumn& c) { return c.target.empty() ? c.name : c.target; });
    values += joined(columns_, [](const StagedColumn& c) { return c.expression.empty() ? c.name : c.expression; });
    tx_.exec("INSERT INTO " + table_ + " (" + target + ") SELECT " + values + " FROM " + staging_);
}

}  // namespace voltedge::db
