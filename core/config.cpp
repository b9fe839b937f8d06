#include "core/config.h"

#include <cstdlib>

namespace voltedge {
namespace {

// Must match scripts/devstack.
constexpr const char* kLocalDatabaseUrl = "postgresql://voltedge_app:voltedge_app@127.0.0.1:55432/voltedge";
constexpr const char* kLocalAdminUrl = "postgresql://postgres:voltedge_admin@127.0.0.1:55432/voltedge";
constexpr const char* kLocalRedisUrl = "redis://127.0.0.1:56379/0";
constexpr const char* kLocalMlflowUri = "http://127.0.0.1:55000";

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

}  // namespace

std::string normalize_postgres_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return url;  // libpq key=value form
    const auto plus = url.find('+');
    if (plus != std::string::npos && plus < scheme_end) return url.substr(0, plus) + url.substr(scheme_end);
    return url;
}

Config Config::from_env() {
    Config c;
    c.database_url = normalize_postgres_url(env_or("DATABASE_URL", kLocalDatabaseUrl));
    c.database_admin_url = normalize_postgres_url(env_or("DATABASE_ADMIN_URL", kLocalAdminUrl));
    c.redis_url = env_or("REDIS_URL", kLocalRedisUrl);
    c.mlflow_tracking_uri = env_or("MLFLOW_TRACKING_URI", kLocalMlflowUri);
    return c;
}

const char* source_commit() { return VOLTEDGE_GIT_COMMIT; }

}  // namespace voltedge
