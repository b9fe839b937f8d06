#pragma once
// Process configuration: environment variables, defaulting to the local stack `scripts/devstack up` starts.
#include <string>

namespace voltedge {

struct Config {
    std::string database_url;        // application role: subject to row-level security
    std::string database_admin_url;  // administrative login that runs migrations and tenant management
    std::string redis_url;
    std::string mlflow_tracking_uri;

    static Config from_env();
};

// Accepts the plan's SQLAlchemy form (postgresql+psycopg2://...) and returns a libpq URL.
std::string normalize_postgres_url(const std::string& url);

// The git commit compiled into this binary.
const char* source_commit();

}  // namespace voltedge
