#include "serving/redis_client.h"

#include <hiredis/hiredis.h>

#include "core/error.h"
#include "core/log.h"

namespace voltedge::serving {
namespace {
constexpr timeval kTimeout{0, 50'000};  // 50 ms: a slow cache is worse than none
constexpr auto kRetryEvery = std::chrono::seconds(1);

struct Reply {
    redisReply* r;
    ~Reply() {
        if (r) freeReplyObject(r);
    }
};
}  // namespace

RedisClient::RedisClient(const std::string& url, std::size_t connections) {
    const std::string scheme = "redis://";
    if (url.rfind(scheme, 0) != 0) throw Error("REDIS_URL must start with redis:// (got '" + url + "')");
    std::string rest = url.substr(scheme.size());
    if (auto at = rest.find('@'); at != std::string::npos) {
        const std::string auth = rest.substr(0, at);
        password_ = auth.substr(auth.find(':') == std::string::npos ? 0 : auth.find(':') + 1);
        rest = rest.substr(at + 1);
    }
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        if (slash + 1 < rest.size()) db_ = std::stoi(rest.substr(slash + 1));
        rest = rest.substr(0, slash);
    }
    if (auto colon = rest.find(':'); colon != std::string::npos) {
        port_ = std::stoi(rest.substr(colon + 1));
        rest = rest.substr(0, colon);
    }
    host_ = rest.empty() ? "127.0.0.1" : rest;
    for (std::size_t i = 0; i < connections; ++i)
        if (auto* ctx = connect()) idle_.push_back(ctx);
    up_ = !idle_.empty();
}

RedisClient::~RedisClient() {
    for (auto* ctx : idle_) redisFree(ctx);
}

redisContext* RedisClient::connect() {
    redisContext* ctx = redisConnectWithTimeout(host_.c_str(), port_, kTimeout);
    if (!ctx || ctx->err) {
        if (ctx) redisFree(ctx);
        return nullptr;
    }
    redisSetTimeout(ctx, kTimeout);
    bool ok = true;
    if (!password_.empty()) {
        Reply r{static_cast<redisReply*>(redisCommand(ctx, "AUTH %s", password_.c_str()))};
        ok = r.r && r.r->type != REDIS_REPLY_ERROR;
    }
    if (ok && db_ != 0) {
        Reply r{static_cast<redisReply*>(redisCommand(ctx, "SELECT %d", db_))};
        ok = r.r && r.r->type != REDIS_REPLY_ERROR;
    }
    if (!ok) {
        redisFree(ctx);
        return nullptr;
    }
    return ctx;
}

redisContext* RedisClient::take() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto* ctx = idle_.back();
            idle_.pop_back();
            return ctx;
        }
        // All pooled connections are busy or gone: connect another, unless Redis was just found down.
        if (!up_ && std::chrono::steady_clock::now() < retry_after_) return nullptr;
    }
    auto* ctx = connect();
    std::lock_guard lock(mutex_);
    if (!ctx) {
        if (up_.exchange(false)) log_event("warn", "redis_down", {{"host", host_}, {"port", port_}});
        retry_after_ = std::chrono::steady_clock::now() + kRetryEvery;
    } else if (!up_.exchange(true)) {
        log_info("redis_up", {{"host", host_}, {"port", port_}});
    }
    return ctx;
}

void RedisClient::give_back(redisContext* ctx, bool healthy) {
    if (!healthy) {
        redisFree(ctx);
        std::lock_guard lock(mutex_);
        // Drop the idle connections too: they point at the same broken server.
        for (auto* c : idle_) redisFree(c);
        idle_.clear();
        if (up_.exchange(false)) log_event("warn", "redis_down", {{"host", host_}, {"port", port_}});
        retry_after_ = std::chrono::steady_clock::now() + kRetryEvery;
        return;
    }
    std::lock_guard lock(mutex_);
    if (idle_.size() < 16) idle_.push_back(ctx);
    else redisFree(ctx);
}

std::vector<std::optional<std::string>> RedisClient::mget(const std::vector<std::string>& keys) {
    std::vector<std::optional<std::string>> values(keys.size());
    if (keys.empty()) return values;
    redisContext* ctx = take();
    if (!ctx) return values;
    std::vector<const char*> argv{"MGET"};
    std::vector<size_t> lens{4};
    for (const auto& k : keys) {
        argv.push_back(k.data());
        lens.push_back(k.size());
    }
    Reply r{static_cast<redisReply*>(redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()))};
    const bool healthy = r.r != nullptr;
    if (healthy && r.r->type == REDIS_REPLY_ARRAY && r.r->elements == keys.size())
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (r.r->element[i]->type == REDIS_REPLY_STRING) values[i].emplace(r.r->element[i]->str, r.r->element[i]->len);
    give_back(ctx, healthy);
    return values;
}

void RedisClient::set_all(const std::vector<std::pair<std::string, std::string>>& items, int ttl_seconds) {
    if (items.empty()) return;
    redisContext* ctx = take();
    if (!ctx) return;
    const std::string ttl = std::to_string(ttl_seconds);
    for (const auto& [key, value] : items) {
        const char* argv[] = {"SET", key.data(), value.data(), "EX", ttl.data()};
        const size_t lens[] = {3, key.size(), value.size(), 2, ttl.size()};
        redisAppendCommandArgv(ctx, 5, argv, lens);
    }
    bool healthy = true;
    for (std::size_t i = 0; i < items.size() && healthy; ++i) {
        void* reply = nullptr;
        healthy = redisGetReply(ctx, &reply) == REDIS_OK;
        if (reply) freeReplyObject(reply);
    }
    give_back(ctx, healthy);
}

bool RedisClient::ping() {
    redisContext* ctx = take();
    if (!ctx) return false;
    Reply r{static_cast<redisReply*>(redisCommand(ctx, "PING"))};
    const bool healthy = r.r != nullptr;
    give_back(ctx, healthy);
    return healthy;
}

}  // namespace voltedge::serving
