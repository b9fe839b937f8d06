#include "db/redis_client.h"

#include <hiredis/hiredis.h>

#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"
#include "core/url.h"
#include "observability/tracing.h"

namespace voltedge::db {
namespace {
constexpr timeval kTimeout{0, 50'000};  // 50 ms: a slow cache is worse than none
constexpr auto kRetryEvery = std::chrono::seconds(1);

struct Reply {
    redisReply* r;
    ~Reply() {
        if (r) freeReplyObject(r);
    }
};

timeval to_timeval(std::chrono::milliseconds ms) {
    return {static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

// Error replies are kept as values here; command() decides whether they are errors.
RedisValue copy_reply(const redisReply* r) {
    RedisValue v;
    switch (r->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR:
            v.type = r->type == REDIS_REPLY_STRING ? RedisValue::Type::string : RedisValue::Type::status;
            v.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_INTEGER:
            v.type = RedisValue::Type::integer;
            v.integer = r->integer;
            break;
        case REDIS_REPLY_ARRAY:
            v.type = RedisValue::Type::array;
            for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(copy_reply(r->element[i]));
            break;
        default: break;
    }
    return v;
}

bool send(redisContext* ctx, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()) == REDIS_OK;
}

std::string first_word(const std::vector<std::string>& args) { return args.empty() ? "(empty)" : args[0]; }

// The command's name only: its keys and values hold tenant ids and cached data.
void annotate(observability::Span& span, std::string_view command, const std::string& host, int port) {
    if (!span.recording()) return;
    span.set("db.system", "redis");
    span.set("db.operation.name", command);
    span.set("server.address", host);
    span.set("server.port", port);
}
}  // namespace

RedisClient::RedisClient(const std::string& url, std::size_t connections) {
    const auto parsed = parse_url(url);
    if (!parsed || parsed->scheme != "redis")
        throw Error("REDIS_URL must look like redis://[:password@]host:port[/db] (got '" + redact_url(url) + "')");
    // redis://:password@host (no user) and redis://password@host (old style) both carry a password.
    password_ = parsed->has_password ? parsed->password : parsed->user;
    if (parsed->port) port_ = parsed->port;
    const std::string db = parsed->path.size() > 1 ? parsed->path.substr(1) : "0";
    if (db.find_first_not_of("0123456789") != std::string::npos || db.size() > 4)
        throw Error("REDIS_URL names database '" + db + "'; it must be a number", "e.g. redis://127.0.0.1:6379/0");
    db_ = std::stoi(db);
    host_ = parsed->host.empty() ? "127.0.0.1" : parsed->host;
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
    if (idle_.size() < 16)
        idle_.push_back(ctx);
    else
        redisFree(ctx);
}

std::vector<std::optional<std::string>> RedisClient::mget(const std::vector<std::string>& keys) {
    std::vector<std::optional<std::string>> values(keys.size());
    if (keys.empty()) return values;
    observability::Span span("redis MGET", observability::SpanKind::client);
    annotate(span, "MGET", host_, port_);
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
    observability::Span span("redis SET", observability::SpanKind::client);
    annotate(span, "SET", host_, port_);
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

RedisValue RedisClient::command(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    auto replies = exchange({args}, timeout);
    return std::move(replies.front());
}

std::vector<RedisValue> RedisClient::transaction(const std::vector<std::vector<std::string>>& commands) {
    std::vector<std::vector<std::string>> all{{"MULTI"}};
    all.insert(all.end(), commands.begin(), commands.end());
    all.push_back({"EXEC"});
    auto replies = exchange(all, std::chrono::seconds(2));
    if (replies.back().type != RedisValue::Type::array)
        throw Error("Redis aborted a transaction (" + first_word(commands.front()) + " ...)");
    return std::move(replies.back().elements);
}

namespace {

// `prefix` as a SCAN MATCH pattern: its own glob characters escaped, then '*'.
std::string prefix_pattern(const std::string& prefix) {
    std::string pattern;
    for (char c : prefix) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern += '\\';
        pattern += c;
    }
    return pattern + '*';
}

}  // namespace

long long RedisClient::delete_by_prefix(const std::string& prefix) {
    const std::string pattern = prefix_pattern(prefix);
    long long deleted = 0;
    std::string cursor = "0";
    do {
        const RedisValue page = command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        if (page.elements.size() != 2) throw Error("Redis answered SCAN with something other than a cursor and keys");
        cursor = page.elements[0].str;
        std::vector<std::string> unlink{"UNLINK"};
        for (const auto& key : page.elements[1].elements) unlink.push_back(key.str);
        if (unlink.size() > 1) deleted += command(unlink).integer;
    } while (cursor != "0");
    return deleted;
}

// Sends the commands in one round trip and reads every reply; an error reply is thrown after all are read,
// so the connection stays in step and goes back to the pool.
std::vector<RedisValue> RedisClient::exchange(const std::vector<std::vector<std::string>>& commands,
                                              std::chrono::milliseconds timeout) {
    const std::string command = first_word(commands.front());
    observability::Span span("redis " + command, observability::SpanKind::client);
    annotate(span, command, host_, port_);
    if (commands.size() > 1) span.set("db.operation.batch.size", static_cast<std::int64_t>(commands.size()));
    redisContext* ctx = take();
    if (!ctx) span.set_error("Redis is unreachable");
    if (!ctx)
        throw Error(fmt::format("Redis at {}:{} is unreachable ({})", host_, port_, first_word(commands.front())),
                    "start it (make up) or check REDIS_URL");
    redisSetTimeout(ctx, to_timeval(timeout));
    std::vector<RedisValue> replies;
    bool healthy = true;
    for (const auto& c : commands) healthy = healthy && send(ctx, c);
    std::string error;
    for (std::size_t i = 0; i < commands.size() && healthy; ++i) {
        void* raw = nullptr;
        healthy = redisGetReply(ctx, &raw) == REDIS_OK && raw;
        if (!healthy) break;
        Reply r{static_cast<redisReply*>(raw)};
        if (r.r->type == REDIS_REPLY_ERROR && error.empty())
            error = first_word(commands[i]) + ": " + std::string(r.r->str, r.r->len);
        replies.push_back(copy_reply(r.r));
    }
    const std::string lost = healthy ? "" : (ctx->errstr[0] ? ctx->errstr : "no reply");
    if (healthy) redisSetTimeout(ctx, kTimeout);
    give_back(ctx, healthy);
    if (!healthy)
        throw Error(fmt::format("Redis at {}:{} did not answer {}: {}", host_, port_, first_word(commands.front()), lost),
                    "check that Redis is up (make up)");
    if (!error.empty()) throw Error("Redis refused " + error);
    return replies;
}

}  // namespace voltedge::db
