#include "api/metrics.h"

#include <fmt/format.h>
#include <mutex>

namespace voltedge::api {

std::string label_value(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

RequestMetrics::Series& RequestMetrics::series(const std::string& route, int status) {
    {
        std::shared_lock lock(mutex_);
        if (auto it = series_.find({route, status}); it != series_.end()) return *it->second;
    }
    std::unique_lock lock(mutex_);
    auto& s = series_[{route, status}];
    if (!s) s = std::make_unique<Series>();
    return *s;
}

void RequestMetrics::observe(const std::string& route, int status, double seconds) {
    Series& s = series(route, status);
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
        if (seconds <= kBuckets[i]) {
            ++s.buckets[i];  // per bucket; render() accumulates
            break;
        }
    ++s.count;
    s.sum_micros += static_cast<std::uint64_t>(seconds * 1e6);
}

std::string RequestMetrics::render() const {
    std::string out =
        "# HELP voltedge_http_requests_total HTTP requests served, by route template and status.\n"
        "# TYPE voltedge_http_requests_total counter\n";
    std::string hist =
        "# HELP voltedge_http_request_duration_seconds Time from routing to response, by route template and status.\n"
        "# TYPE voltedge_http_request_duration_seconds histogram\n";
    std::shared_lock lock(mutex_);
    for (const auto& [key, s] : series_) {
        const std::string labels = fmt::format("route=\"{}\",status=\"{}\"", label_value(key.first), key.second);
        const auto count = s->count.load();
        out += fmt::format("voltedge_http_requests_total{{{}}} {}\n", labels, count);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            cumulative += s->buckets[i].load();
            hist += fmt::format("voltedge_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels, kBuckets[i], cumulative);
        }
        hist += fmt::format("voltedge_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, count);
        hist += fmt::format("voltedge_http_request_duration_seconds_sum{{{}}} {}\n", labels, s->sum_micros.load() / 1e6);
        hist += fmt::format("voltedge_http_request_duration_seconds_count{{{}}} {}\n", labels, count);
    }
    return out + hist;
}

}  // namespace voltedge::api
