#include "support.h"

#include <chrono>
#include <random>

#include "db/connection.h"
#include "security/tenants.h"

namespace voltedge::test {

const Config& config() {
    static const Config c = Config::from_env();
    return c;
}

std::string new_tenant(const std::string& prefix) {
    static std::mt19937_64 rng(std::random_device{}());
    const std::string id = prefix + "-" + std::to_string(rng() % 1'000'000'000);
    security::create_tenant(config().database_admin_url, id, "test");
    return id;
}

long count_as_app(pqxx::connection& conn, const std::string& tenant, const std::string& sql) {
    pqxx::work tx(conn);
    if (!tenant.empty()) db::set_tenant(tx, tenant);
    return tx.exec("SELECT count(*) FROM (" + sql + ") q")[0][0].as<long>();
}

std::string data_file(const std::string& name) { return std::string(VOLTEDGE_TEST_DATA) + "/" + name; }

}  // namespace voltedge::test
