#pragma once
// The models the API serves: per tenant, the version the registry's `production` alias points to.
//
// The registry is never on a request's path. A request for a model that is not in memory gets "loading"
// at once and the model is fetched by a loader thread: one load per model however many requests ask
// (single flight), each bounded by a timeout, and a model that has no production version or failed to
// load is not asked for again for a few seconds (negative cache). So a frozen registry costs the tenants
// whose models are not loaded a 503 "loading", and costs every other tenant nothing.
//
// Request threads take a shared_ptr to the current bundle and keep it for the whole request, so a reload
// (which swaps the pointer under a lock) never changes the model under a request in flight.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "models/bundle.h"
#include "registry/model_registry.h"

namespace voltedge::serving {

struct ModelStoreOptions {
    std::chrono::milliseconds load_timeout{30'000};     // one model's registry calls and downloads
    std::chrono::milliseconds missing_recheck{5'000};   // a tenant without a production version is asked again after this
    std::chrono::milliseconds failure_backoff{10'000};  // a load that failed is tried again after this
    int loader_threads = 2;
};

class ModelStore {
public:
    // `registry` must outlive the store and be safe to call from several threads.
    explicit ModelStore(registry::ModelRegistry& registry, ModelStoreOptions options = {});
    ~ModelStore();  // waits for loads in progress (each at most load_timeout)

    // Queues the production version of every tenant with a registered forecaster; returns at once.
    void load_all_in_background();

    enum class State {
        ready,    // bundle is set
        loading,  // queued or being fetched
        none,     // the tenant has no such version (or no production alias)
        failed,   // the last load failed; retried after failure_backoff
    };
    struct Lookup {
        std::shared_ptr<const models::ModelBundle> bundle;
        State state = State::loading;
    };
    // Never waits for the registry: a model not in memory is queued and reported as loading.
    Lookup production(const std::string& tenant);
    // A specific version (for explaining older predictions), the same way.
    Lookup version(const std::string& tenant, const std::string& version);

    struct ReloadResult {
        std::string tenant, name, previous_version, version;  // version empty: the tenant has no production model
        bool changed = false;
    };
    // Re-reads the production alias of one tenant (or of every tenant with a registered forecaster) and
    // swaps in the version it names, on the calling thread (bounded by its deadline). Throws Error when the
    // registry cannot be reached or a model does not load; the models being served stay as they were.
    std::vector<ReloadResult> reload(const std::optional<std::string>& tenant);

    std::vector<std::shared_ptr<const models::ModelBundle>> loaded() const;
    std::size_t loads_pending() const;

private:
    using Clock = std::chrono::steady_clock;
    using Key = std::pair<std::string, std::string>;  // tenant, version ("" = the production alias)
    struct Miss {
        Clock::time_point until;
        State state;
    };
    Lookup lookup(const Key& key);
    void loader_loop();
    void load(const Key& key);
    ReloadResult reload_tenant(const std::string& tenant);
    std::shared_ptr<const models::ModelBundle> load_version(const std::string& tenant, const registry::ModelVersion& v);

    registry::ModelRegistry& registry_;
    ModelStoreOptions options_;
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<const models::ModelBundle>> production_;
    std::map<Key, std::shared_ptr<const models::ModelBundle>> versions_;
    std::map<Key, Miss> misses_;
    // The loader's queue; `queued_` holds every key queued or being loaded (the single flight).
    std::deque<Key> queue_;
    std::set<Key> queued_;
    bool load_all_queued_ = false;
    bool stopping_ = false;
    std::condition_variable_any work_;
    std::vector<std::thread> loaders_;
};

}  // namespace voltedge::serving
