#pragma once
// Request counts and latency histograms by route and status, in Prometheus' text format. Routes are the
// templates ("/explain/{id}"), never raw paths, so the label set stays small.
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

namespace voltedge::api {

class RequestMetrics {
public:
    static constexpr std::array<double, 13> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1,     2.5,  5};
    void observe(const std::string& route, int status, double seconds);
    // voltedge_http_requests_total and voltedge_http_request_duration_seconds.
    std::string render() const;

private:
    struct Series {
        std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> sum_micros{0};
    };
    Series& series(const std::string& route, int status);
    mutable std::shared_mutex mutex_;
    std::map<std::pair<std::string, int>, std::unique_ptr<Series>> series_;
};

// Escapes a Prometheus label value.
std::string label_value(const std::string& v);

}  // namespace voltedge::api
