#include "db/staged_copy.h"

namespace voltedge::db {
namespace {

std::string joined(const std::vector<std::string>& columns) {
    std::string out;
    for (const auto& c : columns) out += (out.empty() ? "" : ", ") + c;
    return out;
}

std::string create_staging(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& columns) {
    const std::string staging = table + "_staging";
    tx.exec("DROP TABLE IF EXISTS pg_temp." + staging);
    tx.exec("CREATE TEMP TABLE " + staging + " ON COMMIT DROP AS SELECT " + joined(columns) + " FROM " + table +
            " WITH NO DATA");
    return staging;
}

}  // namespace

StagedCopy::StagedCopy(pqxx::transaction_base& tx, const std::string& table, std::vector<std::string> columns)
    : tx_(tx), table_(table), staging_(create_staging(tx, table, columns)), columns_(std::move(columns)),
      copy_(tx, staging_, columns_) {}

void StagedCopy::finish(const std::vector<std::pair<std::string, std::string>>& constants) {
    copy_.finish();
    std::string target, values;
    for (const auto& [column, value] : constants) {
        target += column + ", ";
        values += value + ", ";
    }
    tx_.exec("INSERT INTO " + table_ + " (" + target + joined(columns_) + ") SELECT " + values + joined(columns_) +
             " FROM " + staging_);
}

}  // namespace voltedge::db
