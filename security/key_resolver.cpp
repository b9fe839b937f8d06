#include "security/key_resolver.h"

#include <mutex>
#include <vector>

#include "core/sha256.h"
#include "db/connection.h"
#include "security/api_keys.h"

namespace voltedge::security {

std::optional<Principal> KeyResolver::resolve(const std::string& secret) {
    const std::string hash = sha256_hex(secret);
    const auto now = Clock::now();
    std::optional<Principal> expired;  // confirmed before, in case the database cannot confirm it again
    {
        std::shared_lock lock(mutex_);
        if (auto it = cache_.find(hash); it != cache_.end()) {
            if (now < it->second.expires) {
                it->second.last_used->store(now.time_since_epoch().count(), std::memory_order_relaxed);
                return it->second.principal;
            }
            if (now < it->second.expires + stale_grace_) expired = it->second.principal;
        }
    }
    pqxx::result rows;
    try {
        rows = pool_.read([&](pqxx::connection& conn) {
            db::QuerySpan span(conn, "resolve_key");
            pqxx::read_transaction tx(conn);
            db::bound_by_deadline(tx);
            auto r = tx.exec_params("SELECT tenant_id, key_id, scope FROM resolve_key($1)", hash);
            tx.commit();
            return r;
        });
    } catch (const pqxx::sql_error&) {
        throw;  // the database answered: this is not an outage
    } catch (const std::exception&) {
        if (expired) return expired;
        throw;
    }
    if (rows.empty()) {
        std::unique_lock lock(mutex_);
        cache_.erase(hash);
        return std::nullopt;
    }
    const std::string scope = rows[0][2].as<std::string>();
    Principal p{rows[0][0].as<std::string>(""), rows[0][1].as<std::string>(),
                scope == "operator"       ? Scope::operator_
                : scope == "tenant_admin" ? Scope::tenant_admin
                                          : Scope::tenant};
    if (ttl_.count() > 0) remember(hash, p, now);
    return p;
}

void KeyResolver::remember(const std::string& hash, const Principal& p, Clock::time_point now) {
    std::unique_lock lock(mutex_);
    if (cache_.size() >= capacity_ && !cache_.count(hash)) {
        // Forget the least recently used tenth in one pass, so a full cache does not pay a scan per miss.
        std::vector<std::pair<Clock::rep, const std::string*>> by_use;
        by_use.reserve(cache_.size());
        for (const auto& [key, entry] : cache_) by_use.emplace_back(entry.last_used->load(std::memory_order_relaxed), &key);
        const std::size_t drop = std::max<std::size_t>(1, cache_.size() / 10);
        std::nth_element(by_use.begin(), by_use.begin() + static_cast<std::ptrdiff_t>(drop), by_use.end());
        std::vector<std::string> victims;
        for (std::size_t i = 0; i < drop; ++i) victims.push_back(*by_use[i].second);
        for (const auto& key : victims) cache_.erase(key);
    }
    cache_[hash] = {p, now + ttl_, std::make_unique<std::atomic<Clock::rep>>(now.time_since_epoch().count())};
}

std::size_t KeyResolver::cached() const {
    std::shared_lock lock(mutex_);
    return cache_.size();
}

}  // namespace voltedge::security
