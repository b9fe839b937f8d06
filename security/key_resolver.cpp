#include "security/key_resolver.h"

#include <mutex>

#include "security/api_keys.h"

namespace voltedge::security {

std::optional<Principal> KeyResolver::resolve(const std::string& secret) {
    const std::string hash = sha256_hex(secret);
    const auto now = Clock::now();
    {
        std::shared_lock lock(mutex_);
        if (auto it = cache_.find(hash); it != cache_.end() && now < it->second.expires) return it->second.principal;
    }
    auto conn = pool_.acquire();
    pqxx::read_transaction tx(*conn);
    const auto rows = tx.exec_params("SELECT tenant_id, key_id, is_admin FROM resolve_api_key($1)", hash);
    tx.commit();
    if (rows.empty()) {
        std::unique_lock lock(mutex_);
        cache_.erase(hash);
        return std::nullopt;
    }
    Principal p{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(), rows[0][2].as<bool>()};
    if (ttl_.count() > 0) {
        std::unique_lock lock(mutex_);
        if (cache_.size() > 10000) cache_.clear();  // bounded; only live keys come back
        cache_[hash] = {p, now + ttl_};
    }
    return p;
}

}  // namespace voltedge::security
