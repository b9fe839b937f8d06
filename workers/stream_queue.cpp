#include "workers/stream_queue.h"

#include <fmt/format.h>

#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "jobs/job_store.h"
#include "observability/tracing.h"

namespace voltedge::workers {
namespace {

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double seconds_since_ms(long long ms) { return ms > 0 ? std::max(0.0, static_cast<double>(now_ms() - ms) / 1000) : 0; }

// XINFO GROUPS answers a flat [name, value, ...] list per group.
const db::RedisValue* field_of(const db::RedisValue& flat, const std::string& name) {
    for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2)
        if (flat.elements[i].str == name) return &flat.elements[i + 1];
    return nullptr;
}

}  // namespace

long long stream_id_ms(const std::string& id) {
    try {
        return std::stoll(id.substr(0, id.find('-')));
    } catch (const std::exception&) {
        return 0;
    }
}

Entry parse_entry(const std::string& stream, const db::RedisValue& entry) {
    Entry e;
    e.stream = stream;
    if (entry.elements.size() < 2) return e;
    e.entry_id = entry.elements[0].str;
    const auto& fields = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        const auto& name = fields[i].str;
        const auto& value = fields[i + 1].str;
        if (name == "job_id")
            e.job_id = value;
        else if (name == "tenant")
            e.tenant = value;
        else if (name == "kind")
            e.kind = value;
        else if (name == "dedupe_key")
            e.dedupe_key = value;
        else if (name == "traceparent")
            e.traceparent = value;
    }
    return e;
}

StreamQueue::StreamQueue(db::ConnectionPool& pool, db::RedisClient& redis, const jobs::HandlerRegistry& handlers,
                         QueueOptions options)
    : pool_(pool), redis_(redis), handlers_(handlers), options_(std::move(options)) {}

void StreamQueue::ensure_group(const std::string& kind) {
    {
        std::lock_guard lock(groups_mutex_);
        if (groups_made_.count(kind)) return;
    }
    // From id 0, not $: entries added before the group existed are work too.
    try {
        redis_.command({"XGROUP", "CREATE", stream_key(kind), group_, "0", "MKSTREAM"});
    } catch (const Error& e) {
        if (std::string(e.what()).find("BUSYGROUP") == std::string::npos) throw;
    }
    std::lock_guard lock(groups_mutex_);
    groups_made_.insert(kind);
}

void StreamQueue::forget_groups() {
    std::lock_guard lock(groups_mutex_);
    groups_made_.clear();
}

void StreamQueue::add(const Entry& e) {
    ensure_group(e.kind);
    redis_.command({"XADD", stream_key(e.kind), "MAXLEN", "~", std::to_string(options_.max_len), "*", "job_id", e.job_id,
                    "tenant", e.tenant, "kind", e.kind, "dedupe_key", e.dedupe_key, "traceparent", e.traceparent});
}

std::string StreamQueue::enqueue(jobs::Job job) {
    const int max_attempts = handlers_.max_attempts(job.kind);
    if (job.tenant.empty()) throw FieldError("tenant", "a job needs a tenant");
    observability::Span span("enqueue " + job.kind, observability::SpanKind::producer);
    span.set("messaging.system", "redis");
    span.set("messaging.destination.name", stream_key(job.kind));
    span.set("tenant.id", job.tenant);
    // The worker continues the submitter's trace (W3C trace context in the job's record and stream entry).
    if (job.traceparent.empty() && span.context().valid()) job.traceparent = observability::format_traceparent(span.context());
    jobs::Submission submitted;
    {
        auto lease = pool_.acquire();
        submitted = jobs::insert_job(*lease, job, max_attempts);
    }
    if (!submitted.created) {
        log_info("job_deduplicated", {{"job_id", submitted.id}, {"kind", job.kind}, {"dedupe_key", job.dedupe_key}});
        return submitted.id;
    }
    try {
        add({"", "", submitted.id, job.tenant, job.kind, job.dedupe_key, job.traceparent});
    } catch (const Error& e) {
        // Not in any stream, so nothing will run it: say so in its record, and free its dedupe key.
        auto lease = pool_.acquire();
        jobs::finish_attempt(*lease, job.tenant, submitted.id, jobs::JobState::failed, nullptr, e.what(), e.hint());
        throw;
    }
    log_info("job_queued", {{"job_id", submitted.id}, {"kind", job.kind}, {"tenant", job.tenant}});
    return submitted.id;
}

std::optional<jobs::JobStatus> StreamQueue::status(const std::string& tenant, const std::string& id) const {
    return pool_.read([&](pqxx::connection& conn) { return jobs::load_job(conn, tenant, id); });
}

std::vector<StreamStats> StreamQueue::stats() {
    std::vector<StreamStats> out;
    for (const auto& [kind, description] : handlers_.kinds()) {
        ensure_group(kind);
        StreamStats s;
        s.kind = kind;
        const auto groups = redis_.command({"XINFO", "GROUPS", stream_key(kind)});
        for (const auto& g : groups.elements) {
            const auto* name = field_of(g, "name");
            if (!name || name->str != group_) continue;
            if (const auto* p = field_of(g, "pending")) s.pending = p->integer;
            const auto* lag = field_of(g, "lag");
            const auto* last = field_of(g, "last-delivered-id");
            if (lag && lag->type == db::RedisValue::Type::integer) s.waiting = lag->integer;
            if (last) {
                const auto next = redis_.command({"XRANGE", stream_key(kind), "(" + last->str, "+", "COUNT", "1"});
                if (!next.elements.empty())
                    s.oldest_waiting_seconds = seconds_since_ms(stream_id_ms(next.elements[0].elements[0].str));
                if (!lag || lag->type != db::RedisValue::Type::integer)
                    s.waiting = static_cast<long>(redis_.command({"XLEN", stream_key(kind)}).integer);  // lag unknown after trims
            }
        }
        const auto pending = redis_.command({"XPENDING", stream_key(kind), group_});
        if (pending.elements.size() >= 2 && !pending.elements[1].nil())
            s.oldest_pending_seconds = seconds_since_ms(stream_id_ms(pending.elements[1].str));
        out.push_back(s);
    }
    return out;
}

long StreamQueue::delayed_count() { return static_cast<long>(redis_.command({"ZCARD", delayed_key()}).integer); }
long StreamQueue::dead_count() { return static_cast<long>(redis_.command({"XLEN", dead_key()}).integer); }

std::vector<DeadLetter> StreamQueue::dead_letters(int limit) {
    std::vector<DeadLetter> out;
    const auto entries = redis_.command({"XREVRANGE", dead_key(), "+", "-", "COUNT", std::to_string(limit)});
    for (const auto& e : entries.elements) {
        if (e.elements.size() < 2) continue;
        DeadLetter d;
        d.entry_id = e.elements[0].str;
        const auto& f = e.elements[1].elements;
        for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
            if (f[i].str == "job_id")
                d.job_id = f[i + 1].str;
            else if (f[i].str == "tenant")
                d.tenant = f[i + 1].str;
            else if (f[i].str == "kind")
                d.kind = f[i + 1].str;
            else if (f[i].str == "error")
                d.error = f[i + 1].str;
            else if (f[i].str == "attempts")
                d.attempts = std::atoi(f[i + 1].str.c_str());
        }
        out.push_back(d);
    }
    return out;
}

bool StreamQueue::retry(const std::string& tenant, const std::string& job_id) {
    auto lease = pool_.acquire();
    const auto job = jobs::load_job(*lease, tenant, job_id);
    if (!job) return false;
    if (job->state == jobs::JobState::dead) {
        if (!jobs::requeue_dead(*lease, tenant, job_id)) return false;
        for (const auto& d : dead_letters(10'000))
            if (d.job_id == job_id) redis_.command({"XDEL", dead_key(), d.entry_id});
    } else if (job->state != jobs::JobState::queued) {
        return false;
    }
    // A queued job whose entry was lost (Redis flushed) runs again too; one whose entry is still there runs
    // once all the same: the first worker to start it wins, the second finds it finished and only acknowledges.
    add({"", "", job_id, tenant, job->job.kind, job->job.dedupe_key, job->job.traceparent});
    log_info("job_requeued", {{"job_id", job_id}, {"tenant", tenant}});
    return true;
}

void StreamQueue::heartbeat(const std::string& worker) {
    redis_.command({"ZADD", options_.prefix + ":workers", std::to_string(now_ms()), worker});
}

long StreamQueue::live_workers(std::chrono::milliseconds within) {
    const std::string key = options_.prefix + ":workers";
    redis_.command({"ZREMRANGEBYSCORE", key, "-inf", std::to_string(now_ms() - 86'400'000)});  // forget long-gone names
    return static_cast<long>(redis_.command({"ZCOUNT", key, std::to_string(now_ms() - within.count()), "+inf"}).integer);
}

long StreamQueue::purge_dead() {
    const long n = dead_count();
    redis_.command({"XTRIM", dead_key(), "MAXLEN", "0"});
    return n;
}

}  // namespace voltedge::workers
