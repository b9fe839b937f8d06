#include "registry/model_registry.h"

namespace voltedge::registry {

std::optional<ModelVersion> find_version(ModelRegistry& registry, const std::string& tenant,
                                         const std::string& version_or_alias) {
    const bool numeric = !version_or_alias.empty() && version_or_alias.find_first_not_of("0123456789") == std::string::npos;
    return numeric ? registry.version(tenant, version_or_alias) : registry.alias(tenant, version_or_alias);
}

ModelVersion register_champion(ModelRegistry& registry, const Run& run, const std::string& tenant, const std::string& family,
                               const std::string& commit) {
    ModelVersion version = registry.create_version(tenant, run, "model",
                                                   {{"tenant", tenant}, {"family", family}, {"source_commit", commit}});
    try {
        registry.set_alias(tenant, "staging", version.version);
    } catch (...) {
        try {
            registry.delete_version(tenant, version.version);
        } catch (...) {  // the registry itself may be what failed; the first error is the one to report
        }
        throw;
    }
    return version;
}

}  // namespace voltedge::registry
