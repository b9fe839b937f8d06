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

void insert_hourly_usage(const std::string& tenant, int days) {
    auto conn = db::connect(config().database_url);
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        tx.exec_params(
            "INSERT INTO usage_hourly (tenant_id, hour, mean_kw, energy_kwh, min_kw, max_kw, mean_reactive_kw, mean_voltage, "
            "sub_metering_1_wh, sub_metering_2_wh, sub_metering_3_wh, minutes_present, minutes_imputed, run_id) "
            "SELECT $1, h, kw, kw, kw, kw, 0.1, 240, 0, 0, 0, 60, 0, 0 FROM ("
            "  SELECT timestamp '2009-01-01' + i * interval '1 hour' AS h,"
            "         1 + 0.8 * sin(2 * pi() * (i % 24) / 24) + 0.05 * ((i * 7919) % 13) AS kw"
            "  FROM generate_series(0, $2 * 24 - 1) i) s",
            tenant, days);
    });
}

}  // namespace voltedge::test
