#pragma once
// The models the API serves: per tenant, the version the registry's `production` alias points to. Request threads
// take a shared_ptr to the current bundle and keep it for the whole request, so a reload (which swaps the
// pointer under a lock) never changes the model under a request in flight; the old bundle is freed when
// its last request finishes.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "models/bundle.h"
#include "registry/model_registry.h"

namespace voltedge::serving {

class ModelStore {
public:
    // `registry` must outlive the store and be safe to call from several threads.
    explicit ModelStore(registry::ModelRegistry& registry);

    // Loads the production version of every tenant that has a registered forecaster. Failures are logged
    // and leave that tenant without a model; returns how many loaded.
    std::size_t load_all();

    // The tenant's production bundle. A tenant not loaded yet is looked up in the registry (at most once per
    // few seconds while it has none); null if it has no production version.
    std::shared_ptr<const models::ModelBundle> production(const std::string& tenant);

    // A specific version (for explaining older predictions), loaded on first use and kept.
    std::shared_ptr<const models::ModelBundle> version(const std::string& tenant, const std::string& version);

    struct ReloadResult {
        std::string tenant, name, previous_version, version;  // version empty: the tenant has no production model
        bool changed = false;
    };
    // Re-reads the production alias of one tenant (or of every tenant with a registered forecaster) and
    // swaps in the version it names. Throws Error when the registry cannot be reached or a model does not load;
    // the models being served stay as they were.
    std::vector<ReloadResult> reload(const std::optional<std::string>& tenant);

    std::vector<std::shared_ptr<const models::ModelBundle>> loaded() const;

private:
    using Clock = std::chrono::steady_clock;
    ReloadResult reload_tenant(const std::string& tenant);
    std::shared_ptr<const models::ModelBundle> load_version(const std::string& tenant, const registry::ModelVersion& v);

    registry::ModelRegistry& registry_;
    std::mutex load_mutex_;  // one registry download at a time; never held while serving
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<const models::ModelBundle>> production_;
    std::map<std::string, Clock::time_point> missing_until_;  // tenants with no production model, rechecked later
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const models::ModelBundle>> versions_;
};

}  // namespace voltedge::serving
