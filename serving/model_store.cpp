#include "serving/model_store.h"

#include "core/deadline.h"
#include "core/error.h"
#include "core/log.h"

namespace voltedge::serving {
namespace {
constexpr std::size_t kMaxKeptVersions = 32;
const std::string kProduction;  // the key's version for "whatever production points to"
}  // namespace

ModelStore::ModelStore(registry::ModelRegistry& registry, ModelStoreOptions options) : registry_(registry), options_(options) {
    for (int i = 0; i < std::max(1, options_.loader_threads); ++i) loaders_.emplace_back([this] { loader_loop(); });
}

ModelStore::~ModelStore() {
    {
        std::unique_lock lock(mutex_);
        stopping_ = true;
    }
    work_.notify_all();
    for (auto& t : loaders_) t.join();
}

void ModelStore::load_all_in_background() {
    {
        std::unique_lock lock(mutex_);
        load_all_queued_ = true;
    }
    work_.notify_one();
}

ModelStore::Lookup ModelStore::production(const std::string& tenant) { return lookup({tenant, kProduction}); }

ModelStore::Lookup ModelStore::version(const std::string& tenant, const std::string& version) {
    {
        std::shared_lock lock(mutex_);
        if (auto it = production_.find(tenant); it != production_.end() && it->second->version == version)
            return {it->second, State::ready};
    }
    return lookup({tenant, version});
}

ModelStore::Lookup ModelStore::lookup(const Key& key) {
    const auto find = [&]() -> std::optional<Lookup> {
        if (key.second == kProduction) {
            if (auto it = production_.find(key.first); it != production_.end()) return Lookup{it->second, State::ready};
        } else if (auto it = versions_.find(key); it != versions_.end()) {
            return Lookup{it->second, State::ready};
        }
        if (auto it = misses_.find(key); it != misses_.end() && Clock::now() < it->second.until)
            return Lookup{nullptr, it->second.state};
        if (queued_.count(key)) return Lookup{nullptr, State::loading};
        return std::nullopt;
    };
    {
        std::shared_lock lock(mutex_);
        if (auto found = find()) return *found;
    }
    {
        std::unique_lock lock(mutex_);
        if (auto found = find()) return *found;
        queued_.insert(key);
        queue_.push_back(key);
    }
    work_.notify_one();
    return {nullptr, State::loading};
}

void ModelStore::loader_loop() {
    for (;;) {
        Key key;
        bool load_all = false;
        {
            std::unique_lock lock(mutex_);
            work_.wait(lock, [&] { return stopping_ || load_all_queued_ || !queue_.empty(); });
            if (stopping_) return;
            if (load_all_queued_) {
                load_all = true;
                load_all_queued_ = false;
            } else {
                key = queue_.front();
                queue_.pop_front();
            }
        }
        if (load_all) {
            try {
                ScopedDeadline deadline(Clock::now() + options_.load_timeout);
                for (const auto& tenant : registry_.tenants()) lookup({tenant, kProduction});
            } catch (const std::exception& e) {
                log_event("error", "model_list_failed", {{"error", e.what()}});
            }
            continue;
        }
        load(key);
        std::unique_lock lock(mutex_);
        queued_.erase(key);
    }
}

void ModelStore::load(const Key& key) {
    const auto& [tenant, version] = key;
    State outcome = State::ready;
    try {
        ScopedDeadline deadline(Clock::now() + options_.load_timeout);
        if (version == kProduction) {
            if (reload_tenant(tenant).version.empty()) outcome = State::none;
        } else if (const auto v = registry_.version(tenant, version)) {
            load_version(tenant, *v);
        } else {
            outcome = State::none;
        }
    } catch (const std::exception& e) {
        outcome = State::failed;
        log_event("error", "model_load_failed", {{"tenant_id", tenant}, {"version", version}, {"error", e.what()}});
    }
    if (outcome == State::ready) return;
    std::unique_lock lock(mutex_);
    const auto wait = outcome == State::none ? options_.missing_recheck : options_.failure_backoff;
    misses_[key] = {Clock::now() + wait, outcome};
}

std::shared_ptr<const models::ModelBundle> ModelStore::load_version(const std::string& tenant, const registry::ModelVersion& v) {
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
    misses_.erase({tenant, v.version});
    return bundle;
}

ModelStore::ReloadResult ModelStore::reload_tenant(const std::string& tenant) {
    ReloadResult result{tenant, registry_.model_name(tenant), "", "", false};
    {
        std::shared_lock lock(mutex_);
        if (auto it = production_.find(tenant); it != production_.end()) result.previous_version = it->second->version;
    }
    const auto v = registry_.alias(tenant, "production");
    if (!v) return result;  // keeps serving what it had, if anything: an alias removed by mistake should not stop the API
    auto bundle = load_version(tenant, *v);
    result.version = bundle->version;
    result.changed = result.version != result.previous_version;
    {
        std::unique_lock lock(mutex_);
        production_[tenant] = bundle;
        misses_.erase({tenant, kProduction});
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

std::size_t ModelStore::loads_pending() const {
    std::shared_lock lock(mutex_);
    return queued_.size() + (load_all_queued_ ? 1 : 0);
}

}  // namespace voltedge::serving
