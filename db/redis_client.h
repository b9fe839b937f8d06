#pragma once
// A small Redis client (hiredis, synchronous, a few pooled connections), shared by the prediction cache and,
// later, the job queue. For the cache Redis is an accelerator, never a dependency: when it is down every call returns "nothing"
// quickly instead of failing, reconnection is retried at most once a second, and up() says which state it is in.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct redisContext;

namespace voltedge::db {

class RedisClient {
public:
    // url: redis://[:password@]host:port[/db]
    explicit RedisClient(const std::string& url, std::size_t connections = 4);
    ~RedisClient();

    // One value per key (nullopt: absent, or Redis unavailable).
    std::vector<std::optional<std::string>> mget(const std::vector<std::string>& keys);
    void set_all(const std::vector<std::pair<std::string, std::string>>& items, int ttl_seconds);
    bool ping();  // also re-establishes the connection when Redis is back
    bool up() const { return up_.load(); }

private:
    redisContext* take();  // null when unavailable
    void give_back(redisContext* ctx, bool healthy);
    redisContext* connect();

    std::string host_, password_;
    int port_ = 6379, db_ = 0;
    std::mutex mutex_;
    std::vector<redisContext*> idle_;
    std::atomic<bool> up_{false};
    std::chrono::steady_clock::time_point retry_after_{};
};

}  // namespace voltedge::db
