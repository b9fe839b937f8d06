#pragma once
// Helpers for tests against the real local stack (Postgres with pgvector, started by `make test`).
#include <pqxx/pqxx>
#include <string>

#include "core/config.h"

namespace voltedge::test {

const Config& config();
// Creates a tenant with a fresh unique id (tests never share tenants, so reruns need no cleanup).
std::string new_tenant(const std::string& prefix);
// Counts rows of `sql` as the application role with `tenant` set for one transaction ("" = none set).
long count_as_app(pqxx::connection& conn, const std::string& tenant, const std::string& sql);
std::string data_file(const std::string& name);
// `days` of synthetic hourly usage from 2009-01-01 with a daily pattern, written as the application role.
void insert_hourly_usage(const std::string& tenant, int days);

}  // namespace voltedge::test
