#pragma once
// Process metrics in Prometheus' text exposition format (0.0.4). Every area registers its counters, gauges and
// histograms in a Registry; the API's /metrics route renders it. Updating a series already looked up is a few
// relaxed atomic operations and never locks, so it is cheap enough for per-request paths. Finding a labelled
// series takes a shared lock and registering a family an exclusive one, so hot paths look theirs up once and
// keep the reference: series and families (other than callback gauges) live as long as their registry.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace voltedge::observability {

// Upper bounds, in seconds, for request latency histograms: 0.5 ms to 5 s (+Inf is always added).
const std::vector<double>& latency_buckets();

// A value that only goes up: requests served, cache misses.
class Counter {
public:
    void inc() { whole_.fetch_add(1, std::memory_order_relaxed); }
    // Throws std::invalid_argument for a negative or NaN amount: a counter that goes down reads as a restart.
    void inc(double amount);
    double value() const;

private:
    friend class CounterFamily;
    // The exposition text of the value: exact for whole counts beyond 2^53.
    std::string text() const;

    // Whole increments go to an integer, so the common inc() is one fetch_add and counts stay exact; only
    // fractional amounts pay for the compare-and-swap loop of an atomic double.
    std::atomic<std::uint64_t> whole_{0};
    std::atomic<double> fraction_{0};
};

// A value that goes up and down: connections open, queue depth.
class Gauge {
public:
    void set(double value) { value_.store(value, std::memory_order_relaxed); }
    void inc(double amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
    void dec(double amount = 1) { value_.fetch_sub(amount, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// Observations counted into buckets by upper bound, plus their sum.
class Histogram {
public:
    // `bounds` (finite, strictly increasing) must outlive the histogram; its family owns both.
    explicit Histogram(const std::vector<double>& bounds);
    void observe(double value);
    // Per bound, how many observations were at or below it, then the +Inf bucket (which equals count()).
    // Read without a lock, so during concurrent observe() the sum may lag or lead the counts slightly.
    std::vector<std::uint64_t> cumulative_counts() const;
    std::uint64_t count() const;
    double sum() const { return sum_.load(std::memory_order_relaxed); }

private:
    const std::vector<double>& bounds_;
    std::vector<std::atomic<std::uint64_t>> counts_;  // per bucket, not cumulative; the last is +Inf
    std::atomic<double> sum_{0};
};

namespace detail {

enum class Kind { counter, gauge, histogram, gauge_callback };

// What every family has: the definition the registry compares when a name is registered again, and its samples.
class Family {
public:
    // Throws std::invalid_argument for a name or label name outside Prometheus' grammar, or a repeated label.
    Family(Kind kind, std::string name, std::string help, std::vector<std::string> label_names);
    virtual ~Family() = default;
    Family(const Family&) = delete;
    Family& operator=(const Family&) = delete;

    Kind kind() const { return kind_; }
    const std::string& name() const { return name_; }
    const std::string& help() const { return help_; }
    const std::vector<std::string>& label_names() const { return label_names_; }

    // Whether `other`, registered under the same name, describes this family, so the two may be one.
    virtual bool same_definition(const Family& other) const;
    // Appends the sample lines, series sorted by label values; nothing when there is no series yet.
    virtual void render_samples(std::string& out) const = 0;

protected:
    // Throws std::invalid_argument unless there is one value per label name.
    void check_label_count(const std::vector<std::string>& label_values) const;

private:
    Kind kind_;
    std::string name_, help_;
    std::vector<std::string> label_names_;
};

// The series of one family keyed by label values. Lookups share the lock; only a new series takes it exclusively.
template <class Series>
class SeriesMap {
public:
    template <class Make>
    Series& get(const std::vector<std::string>& label_values, Make make) {
        {
            std::shared_lock lock(mutex_);
            if (auto it = series_.find(label_values); it != series_.end()) return *it->second;
        }
        std::unique_lock lock(mutex_);
        auto& slot = series_[label_values];
        if (!slot) slot = make();
        return *slot;
    }

    // Visits (label values, series) in label order.
    template <class Visit>
    void each(Visit visit) const {
        std::shared_lock lock(mutex_);
        for (const auto& [values, series] : series_) visit(values, *series);
    }

private:
    mutable std::shared_mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;  // unique_ptr: references stay valid
};

}  // namespace detail

// Families are made by Registry; `with` takes label values in the order of the family's label names and throws
// std::invalid_argument for the wrong number of them. A series starts at zero on first use.
class CounterFamily final : public detail::Family {
public:
    CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
    Counter& with(const std::vector<std::string>& label_values);
    void render_samples(std::string& out) const override;

private:
    detail::SeriesMap<Counter> series_;
};

class GaugeFamily final : public detail::Family {
public:
    GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names);
    Gauge& with(const std::vector<std::string>& label_values);
    void render_samples(std::string& out) const override;

private:
    detail::SeriesMap<Gauge> series_;
};

class HistogramFamily final : public detail::Family {
public:
    // Throws std::invalid_argument for bounds that are not finite and strictly increasing (a trailing +Inf is
    // dropped: that bucket is always there) or for a label named "le".
    HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds);
    Histogram& with(const std::vector<std::string>& label_values);
    const std::vector<double>& bounds() const { return bounds_; }
    bool same_definition(const detail::Family& other) const override;
    void render_samples(std::string& out) const override;

private:
    std::vector<double> bounds_;
    detail::SeriesMap<Histogram> series_;
};

// (label values, value) per series.
using GaugeSamples = std::vector<std::pair<std::vector<std::string>, double>>;

class Registry {
public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Registering a name again with the same kind, label names (and buckets) returns the family already there,
    // so areas may register lazily; help text is the first registration's. A different definition throws
    // std::logic_error; an invalid name throws std::invalid_argument.
    Counter& counter(const std::string& name, const std::string& help);
    CounterFamily& counter_family(const std::string& name, const std::string& help, std::vector<std::string> label_names);
    Gauge& gauge(const std::string& name, const std::string& help);
    GaugeFamily& gauge_family(const std::string& name, const std::string& help, std::vector<std::string> label_names);
    Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> buckets = latency_buckets());
    HistogramFamily& histogram_family(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                                      std::vector<double> buckets = latency_buckets());

    // A gauge whose series `samples` returns at each render(), for values owned elsewhere (whether Redis is up,
    // which models are loaded). Registering the name again replaces the callback. Each sample must carry one
    // value per label name, else render() throws std::invalid_argument. A callback must not call render() or
    // remove() on this registry.
    void gauge_callback(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                        std::function<GaugeSamples()> samples);
    // An unlabelled callback gauge.
    void gauge_callback(const std::string& name, const std::string& help, std::function<double()> value);
    // Unregisters a callback gauge; once this returns its callback is not running and will not run again, so
    // whatever it captured may be destroyed. False when nothing has this name. Counters, gauges and histograms
    // cannot be removed (callers hold references to them): for those it throws std::logic_error.
    bool remove(const std::string& name);

    // Families sorted by name, each with # HELP (unless the help is empty) and # TYPE lines; families without
    // any series are left out.
    std::string render() const;

private:
    std::shared_ptr<detail::Family> add(std::shared_ptr<detail::Family> candidate);

    mutable std::shared_mutex mutex_;
    // shared_ptr: render() works on a snapshot outside the lock, so callbacks run without it and remove() can't
    // free a family render() is still reading.
    std::map<std::string, std::shared_ptr<detail::Family>> families_;
};

// The process-wide registry that /metrics renders.
Registry& metrics();

}  // namespace voltedge::observability
