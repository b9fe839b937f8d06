#include "serving/model_store.h"

#include "core/error.h"
#include "core/log.h"

namespace voltedge::serving {
namespace {
constexpr auto kMissingRecheck = std::chrono::seconds(5);
constexpr std::size_t kMaxKeptVersions = 32;
}  // namespace

ModelStore::ModelStore(registry::ModelRegistry& registry) : registry_(registry) {}

std::size_t ModelStore::load_all() {
    std::size_t loaded = 0;
    for (const auto& tenant : registry_.tenants()) {
        try {
            loaded += !reload_tenant(tenant).version.empty();
        } catch (const std::exception& e) {
            log_event("error", "model_load_failed", {{"tenant_id", tenant}, {"error", e.what()}});
        }
    }
    return loaded;
}

std::shared_ptr<const models::ModelBundle> ModelStore::production(const std::string& tenant) {
    {
        std::shared_lock lock(mutex_);
        if (auto it = production_.find(tenant); it != production_.end()) return it->second;
        if (auto it = missing_until_.find(tenant); it != missing_until_.end() && Clock::now() < it->second) return nullptr;
    }
    reload_tenant(tenant);
    std::shared_lock lock(mutex_);
    auto it = production_.find(tenant);
    return it == production_.end() ? nullptr : it->second;
}

std::shared_ptr<const models::ModelBundle> ModelStore::version(const std::string& tenant, const std::string& version) {
    {
        std::shared_lock lock(mutex_);
        if (auto it = versions_.find({tenant, version}); it != versions_.end()) return it->second;
    }
    const auto v = registry_.version(tenant, version);
    if (!v) throw Error("version " + version + " of " + registry_.model_name(tenant) + " is no longer in the registry");
    return load_version(tenant, *v);
}

std::shared_ptr<const models::ModelBundle> ModelStore::load_version(const std::string& tenant, const registry::ModelVersion& v) {
    std::lock_guard load(load_mutex_);
    {
        std::shared_lock lock(mutex_);
        if (auto it = versions_.find({tenant, v.version}); it != versions_.end()) return it->second;
    }
    auto bundle = models::load_bundle({tenant, v.name, v.version},
                                      [&](const std::string& path) { return registry_.fetch(v, path); });
    std::unique_lock lock(mutex_);
    if (versions_.size() >= kMaxKeptVersions) {
        // Forget a version nobody serves; requests holding it keep their own pointer.
        for (auto it = versions_.begin(); it != versions_.end(); ++it) {
            auto prod = production_.find(it->first.first);
            if (prod == production_.end() || prod->second != it->second) {
                versions_.erase(it);
                break;
            }
        }
    }
    versions_[{tenant, v.version}] = bundle;
    return bundle;
}

ModelStore::ReloadResult ModelStore::reload_tenant(const std::string& tenant) {
    ReloadResult result{tenant, registry_.model_name(tenant), "", "", false};
    {
        std::shared_lock lock(mutex_);
        if (auto it = production_.find(tenant); it != production_.end()) result.previous_version = it->second->version;
    }
    const auto v = registry_.alias(tenant, "production");
    if (!v) {
        std::unique_lock lock(mutex_);
        missing_until_[tenant] = Clock::now() + kMissingRecheck;
        return result;  // keeps serving what it had, if anything: an alias removed by mistake should not stop the API
    }
    auto bundle = load_version(tenant, *v);
    result.version = bundle->version;
    result.changed = result.version != result.previous_version;
    {
        std::unique_lock lock(mutex_);
        production_[tenant] = bundle;
        missing_until_.erase(tenant);
    }
    if (result.changed)
        log_info("model_loaded", {{"tenant_id", tenant},
                                  {"model", result.name},
                                  {"version", result.version},
                                  {"previous_version", result.previous_version},
                                  {"family", bundle->family}});
    return result;
}

std::vector<ModelStore::ReloadResult> ModelStore::reload(const std::optional<std::string>& tenant) {
    if (tenant) return {reload_tenant(*tenant)};
    std::vector<ReloadResult> results;
    for (const auto& t : registry_.tenants()) results.push_back(reload_tenant(t));
    return results;
}

std::vector<std::shared_ptr<const models::ModelBundle>> ModelStore::loaded() const {
    std::shared_lock lock(mutex_);
    std::vector<std::shared_ptr<const models::ModelBundle>> out;
    for (const auto& [tenant, bundle] : production_) out.push_back(bundle);
    return out;
}

}  // namespace voltedge::serving
