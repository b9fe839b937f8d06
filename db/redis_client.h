#pragma once
// A small Redis client (hiredis, synchronous, a few pooled connections), shared by the prediction cache and the
// job queue. For the cache Redis is an accelerator, never a dependency: when it is down mget/set_all return
// "nothing" quickly instead of failing, reconnection is retried at most once a second, and up() says which
// state it is in. For the queue it is the store: command() and transaction() throw when it cannot answer.
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

// A reply, copied out of hiredis' tree.
struct RedisValue {
    enum class Type { nil, string, integer, array, status };
    Type type = Type::nil;
    std::string str;  // string and status replies
    long long integer = 0;
    std::vector<RedisValue> elements;
    bool nil() const { return type == Type::nil; }
};

class RedisClient {
public:
    // url: redis://[:password@]host:port[/db]
    explicit RedisClient(const std::string& url, std::size_t connections = 4);
    ~RedisClient();

    // One value per key (nullopt: absent, or Redis unavailable).
    std::vector<std::optional<std::string>> mget(const std::vector<std::string>& keys);
    void set_all(const std::vector<std::pair<std::string, std::string>>& items, int ttl_seconds);
    bool ping();  // also re-establishes the connection when Redis is back

    // Runs one command and returns its reply; `timeout` bounds the wait (give more than any BLOCK asked for).
    // Throws Error naming the command when Redis is unreachable or answers with an error.
    RedisValue command(const std::vector<std::string>& args, std::chrono::milliseconds timeout = std::chrono::seconds(2));
    // Runs the commands atomically (MULTI ... EXEC) and returns their replies in order; throws like command().
    std::vector<RedisValue> transaction(const std::vector<std::vector<std::string>>& commands);
    // Deletes every key that starts with `prefix` and returns how many went. Walks the key space with SCAN (never
    // KEYS, which blocks the server for as long as it takes); throws like command().
    long long delete_by_prefix(const std::string& prefix);
    bool up() const { return up_.load(); }

private:
    std::vector<RedisValue> exchange(const std::vector<std::vector<std::string>>& commands, std::chrono::milliseconds timeout);
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
