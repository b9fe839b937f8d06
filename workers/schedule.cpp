#include "workers/schedule.h"

#include <fmt/format.h>

#include <fstream>

#include "core/error.h"
#include "core/log.h"

namespace voltedge::workers {
namespace {

long parse_duration(const nlohmann::json& v, const std::string& what) {
    if (v.is_number_integer() && v.get<long>() > 0) return v.get<long>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        std::size_t used = 0;
        long n = 0;
        try {
            n = std::stol(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        const std::string unit = s.substr(used);
        const long scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
        if (used > 0 && scale > 0 && n >= 0) return n * scale;
    }
    throw Error(what + " must be a duration such as 90s, 15m, 6h or 1d (got " + v.dump() + ")");
}

}  // namespace

std::vector<ScheduleEntry> parse_schedule(const nlohmann::json& j) {
    if (!j.is_array()) throw Error("a schedule is a JSON list of entries");
    std::vector<ScheduleEntry> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        const auto& e = j[i];
        const std::string where = fmt::format("schedule entry {}", i + 1);
        if (!e.is_object()) throw Error(where + " is not an object");
        ScheduleEntry s;
        for (auto [field, target] : {std::pair{"name", &s.name}, std::pair{"kind", &s.kind}, std::pair{"tenant", &s.tenant}}) {
            if (!e.contains(field) || !e[field].is_string() || e[field].get<std::string>().empty())
                throw Error(fmt::format("{}: \"{}\" must be a non-empty string", where, field));
            *target = e[field];
        }
        if (!e.contains("every")) throw Error(where + " (" + s.name + "): \"every\" is missing");
        s.every_seconds = parse_duration(e["every"], where + " (" + s.name + "): \"every\"");
        if (s.every_seconds < 1) throw Error(where + " (" + s.name + "): \"every\" must be at least 1s");
        if (e.contains("offset")) s.offset_seconds = parse_duration(e["offset"], where + " (" + s.name + "): \"offset\"");
        if (e.contains("payload")) {
            if (!e["payload"].is_object()) throw Error(where + " (" + s.name + "): \"payload\" must be an object");
            s.payload = e["payload"];
        }
        for (const auto& other : out)
            if (other.name == s.name) throw Error(where + ": the name \"" + s.name + "\" is used twice");
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<ScheduleEntry> load_schedule(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error("cannot read the schedule " + path, "set VOLTEDGE_SCHEDULE to a JSON schedule file, or leave it empty");
    const auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) throw Error(path + " is not valid JSON");
    try {
        return parse_schedule(j);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what(), e.hint());
    }
}

std::vector<std::string> run_due(StreamQueue& queue, const std::vector<ScheduleEntry>& schedule, const std::string& worker,
                                 long long now_seconds) {
    std::vector<std::string> enqueued;
    for (const auto& s : schedule) {
        const long long period = (now_seconds - s.offset_seconds) / s.every_seconds;
        const std::string lease = fmt::format("{}:schedule:{}:{}", queue.prefix(), s.name, period);
        try {
            // The lease outlives its period, so a worker whose clock lags cannot take the same period again.
            const auto taken = queue.redis().command(
                {"SET", lease, worker, "NX", "EX", std::to_string(2 * s.every_seconds + 60)});
            if (taken.nil()) continue;
            const std::string id = queue.enqueue({s.kind, s.tenant, s.payload, fmt::format("schedule:{}:{}", s.name, period)});
            log_info("scheduled_job_queued", {{"schedule", s.name}, {"period", period}, {"job_id", id}});
            enqueued.push_back(id);
        } catch (const std::exception& e) {
            // Give the period back in a minute, so a worker (this one or another) tries again without a line a second.
            try {
                queue.redis().command({"SET", lease, worker, "EX", "60"});
            } catch (const std::exception&) {
            }
            log_event("error", "scheduled_job_failed", {{"schedule", s.name}, {"period", period}, {"error", e.what()}});
        }
    }
    return enqueued;
}

}  // namespace voltedge::workers
