#pragma once
// Helpers for tests against the real local stack (Postgres with pgvector, started by `make test`).
#include <pqxx/pqxx>
#include <string>

#include "core/config.h"

namespace voltedge::test {

// The environment's configuration, on the test database (its name + "_test").
const Config& config();
// Creates a tenant "test-<prefix>-<n>" with a fresh unique id (tests never share tenants). Its MLflow
// experiment and registered model are deleted when the test process ends.
std::string new_tenant(const std::string& prefix);
// Counts rows of `sql` as the application role with `tenant` set for one transaction ("" = none set).
long count_as_app(pqxx::connection& conn, const std::string& tenant, const std::string& sql);
std::string data_file(const std::string& name);
// `days` of synthetic hourly usage from 2009-01-01 with a daily pattern, written as the application role.
void insert_hourly_usage(const std::string& tenant, int days);

}  // namespace voltedge::test
