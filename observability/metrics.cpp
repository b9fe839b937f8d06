#include "observability/metrics.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

namespace voltedge::observability {

// The hot path promises no locks; a platform without these would silently fall back to a mutex per atomic.
static_assert(std::atomic<double>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

namespace {

using detail::Kind;

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name) {
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (!(is_letter(c) || c == '_' || c == ':' || (i > 0 && is_digit(c)))) return false;
    }
    return !name.empty();
}

// [a-zA-Z_][a-zA-Z0-9_]*, and names starting with "__" are Prometheus' own.
bool valid_label_name(std::string_view name) {
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (!(is_letter(c) || c == '_' || (i > 0 && is_digit(c)))) return false;
    }
    return !name.empty() && !name.starts_with("__");
}

std::string_view kind_name(Kind kind) {
    switch (kind) {
        case Kind::counter: return "counter";
        case Kind::gauge: return "gauge";
        case Kind::histogram: return "histogram";
        case Kind::gauge_callback: return "callback gauge";
    }
    return "?";
}

std::string_view type_line_name(Kind kind) { return kind == Kind::gauge_callback ? "gauge" : kind_name(kind); }

// Help text escapes backslash and newline; label values also escape the double quote that would end them.
std::string escaped(std::string_view text, bool quote) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && quote)
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

// `{a="x",b="y"}`, with le="..." last for a histogram bucket; empty when there is no label at all.
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values, std::string_view le = {}) {
    if (names.empty() && le.empty()) return "";
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i)
        fmt::format_to(std::back_inserter(out), "{}{}=\"{}\"", i ? "," : "", names[i], escaped(values[i], true));
    if (!le.empty()) fmt::format_to(std::back_inserter(out), "{}le=\"{}\"", names.empty() ? "" : ",", le);
    return out + "}";
}

// Whole numbers print as integers ("3", never "3.0" or "3e+00"); others in the shortest form that parses back to
// the same double; infinities and NaN in Prometheus' spelling.
std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::trunc(v) && std::fabs(v) < 9.2e18) return fmt::format("{}", static_cast<std::int64_t>(v));
    return fmt::format("{}", v);
}

void sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
    fmt::format_to(std::back_inserter(out), "{}{} {}\n", name, labels, value);
}

std::vector<double> checked_bounds(const std::string& name, std::vector<double> bounds) {
    if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) bounds.pop_back();
    for (std::size_t i = 0; i < bounds.size(); ++i)
        if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            throw std::invalid_argument(
                fmt::format("histogram '{}': bucket bounds must be finite and strictly increasing", name));
    return bounds;
}

class GaugeCallbackFamily final : public detail::Family {
public:
    GaugeCallbackFamily(std::string name, std::string help, std::vector<std::string> label_names)
        : Family(Kind::gauge_callback, std::move(name), std::move(help), std::move(label_names)) {}

    void set(std::function<GaugeSamples()> samples) {
        std::lock_guard lock(mutex_);
        samples_ = std::move(samples);
    }

    void render_samples(std::string& out) const override {
        GaugeSamples samples;
        {
            // Held while the callback runs, so that set(nullptr) waits for it: after remove() nothing it
            // captured is in use.
            std::lock_guard lock(mutex_);
            if (!samples_) return;
            samples = samples_();
        }
        for (const auto& s : samples) check_label_count(s.first);
        std::sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [values, value] : samples) sample(out, name(), label_set(label_names(), values), number(value));
    }

private:
    mutable std::mutex mutex_;
    std::function<GaugeSamples()> samples_;
};

}  // namespace

const std::vector<double>& latency_buckets() {
    static const std::vector<double> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
    return buckets;
}

// ---- series ----

void Counter::inc(double amount) {
    if (!(amount >= 0)) throw std::invalid_argument(fmt::format("counter increment {} is negative or NaN", amount));
    if (amount == std::trunc(amount) && amount < 9.0e15)  // exactly representable as both double and integer
        whole_.fetch_add(static_cast<std::uint64_t>(amount), std::memory_order_relaxed);
    else
        fraction_.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::value() const {
    return static_cast<double>(whole_.load(std::memory_order_relaxed)) + fraction_.load(std::memory_order_relaxed);
}

std::string Counter::text() const {
    if (fraction_.load(std::memory_order_relaxed) == 0) return fmt::format("{}", whole_.load(std::memory_order_relaxed));
    return number(value());
}

Histogram::Histogram(const std::vector<double>& bounds) : bounds_(bounds), counts_(bounds.size() + 1) {}

void Histogram::observe(double value) {
    // The first bound at or above the value (buckets are "le"). NaN compares false with every bound, so
    // lower_bound would put it in the first bucket; it belongs only in +Inf.
    std::size_t bucket = bounds_.size();
    if (!std::isnan(value))
        bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
    std::vector<std::uint64_t> out;
    out.reserve(counts_.size());
    std::uint64_t total = 0;
    for (const auto& c : counts_) out.push_back(total += c.load(std::memory_order_relaxed));
    return out;
}

std::uint64_t Histogram::count() const { return cumulative_counts().back(); }

// ---- families ----

namespace detail {

Family::Family(Kind kind, std::string name, std::string help, std::vector<std::string> label_names)
    : kind_(kind), name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {
    if (!valid_metric_name(name_))
        throw std::invalid_argument(fmt::format("invalid metric name '{}': use [a-zA-Z_:][a-zA-Z0-9_:]*", name_));
    for (std::size_t i = 0; i < label_names_.size(); ++i) {
        const std::string& label = label_names_[i];
        if (!valid_label_name(label))
            throw std::invalid_argument(
                fmt::format("metric '{}': invalid label name '{}': use [a-zA-Z_][a-zA-Z0-9_]*, not starting with __", name_,
                            label));
        if (std::find(label_names_.begin(), label_names_.begin() + static_cast<std::ptrdiff_t>(i), label) !=
            label_names_.begin() + static_cast<std::ptrdiff_t>(i))
            throw std::invalid_argument(fmt::format("metric '{}': label '{}' appears twice", name_, label));
    }
}

bool Family::same_definition(const Family& other) const { return kind_ == other.kind_ && label_names_ == other.label_names_; }

void Family::check_label_count(const std::vector<std::string>& label_values) const {
    if (label_values.size() != label_names_.size())
        throw std::invalid_argument(fmt::format("metric '{}' has {} label(s) ({}); got {} value(s)", name_, label_names_.size(),
                                                fmt::join(label_names_, ", "), label_values.size()));
}

}  // namespace detail

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : Family(Kind::counter, std::move(name), std::move(help), std::move(label_names)) {}

Counter& CounterFamily::with(const std::vector<std::string>& label_values) {
    check_label_count(label_values);
    return series_.get(label_values, [] { return std::make_unique<Counter>(); });
}

void CounterFamily::render_samples(std::string& out) const {
    series_.each([&](const auto& values, const Counter& c) { sample(out, name(), label_set(label_names(), values), c.text()); });
}

GaugeFamily::GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : Family(Kind::gauge, std::move(name), std::move(help), std::move(label_names)) {}

Gauge& GaugeFamily::with(const std::vector<std::string>& label_values) {
    check_label_count(label_values);
    return series_.get(label_values, [] { return std::make_unique<Gauge>(); });
}

void GaugeFamily::render_samples(std::string& out) const {
    series_.each(
        [&](const auto& values, const Gauge& g) { sample(out, name(), label_set(label_names(), values), number(g.value())); });
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> bounds)
    : Family(Kind::histogram, std::move(name), std::move(help), std::move(label_names)),
      bounds_(checked_bounds(this->name(), std::move(bounds))) {
    if (std::find(this->label_names().begin(), this->label_names().end(), "le") != this->label_names().end())
        throw std::invalid_argument(fmt::format("histogram '{}': the label name 'le' is reserved for buckets", this->name()));
}

Histogram& HistogramFamily::with(const std::vector<std::string>& label_values) {
    check_label_count(label_values);
    return series_.get(label_values, [this] { return std::make_unique<Histogram>(bounds_); });
}

bool HistogramFamily::same_definition(const detail::Family& other) const {
    return Family::same_definition(other) && bounds_ == static_cast<const HistogramFamily&>(other).bounds_;
}

void HistogramFamily::render_samples(std::string& out) const {
    const std::string bucket = name() + "_bucket";
    series_.each([&](const auto& values, const Histogram& h) {
        const auto counts = h.cumulative_counts();
        for (std::size_t i = 0; i < bounds_.size(); ++i)
            sample(out, bucket, label_set(label_names(), values, number(bounds_[i])), fmt::format("{}", counts[i]));
        // The sample count is the +Inf bucket, so the two always agree even while observations arrive.
        const std::string total = fmt::format("{}", counts.back());
        sample(out, bucket, label_set(label_names(), values, "+Inf"), total);
        sample(out, name() + "_sum", label_set(label_names(), values), number(h.sum()));
        sample(out, name() + "_count", label_set(label_names(), values), total);
    });
}

// ---- registry ----

std::shared_ptr<detail::Family> Registry::add(std::shared_ptr<detail::Family> candidate) {
    std::unique_lock lock(mutex_);
    const auto [it, inserted] = families_.try_emplace(candidate->name(), candidate);
    if (!inserted && !it->second->same_definition(*candidate)) {
        const detail::Family& had = *it->second;
        throw std::logic_error(fmt::format("metric '{}' is already registered as a {} with labels ({}); now asked for a {} "
                                           "with labels ({})",
                                           had.name(), kind_name(had.kind()), fmt::join(had.label_names(), ", "),
                                           kind_name(candidate->kind()), fmt::join(candidate->label_names(), ", ")));
    }
    return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help) { return counter_family(name, help, {}).with({}); }

CounterFamily& Registry::counter_family(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
    return static_cast<CounterFamily&>(*add(std::make_shared<CounterFamily>(name, help, std::move(label_names))));
}

Gauge& Registry::gauge(const std::string& name, const std::string& help) { return gauge_family(name, help, {}).with({}); }

GaugeFamily& Registry::gauge_family(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
    return static_cast<GaugeFamily&>(*add(std::make_shared<GaugeFamily>(name, help, std::move(label_names))));
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, std::vector<double> buckets) {
    return histogram_family(name, help, {}, std::move(buckets)).with({});
}

HistogramFamily& Registry::histogram_family(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names, std::vector<double> buckets) {
    return static_cast<HistogramFamily&>(
        *add(std::make_shared<HistogramFamily>(name, help, std::move(label_names), std::move(buckets))));
}

void Registry::gauge_callback(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                              std::function<GaugeSamples()> samples) {
    auto family = add(std::make_shared<GaugeCallbackFamily>(name, help, std::move(label_names)));
    static_cast<GaugeCallbackFamily&>(*family).set(std::move(samples));
}

void Registry::gauge_callback(const std::string& name, const std::string& help, std::function<double()> value) {
    gauge_callback(name, help, {}, [value = std::move(value)] { return GaugeSamples{{{}, value()}}; });
}

bool Registry::remove(const std::string& name) {
    std::shared_ptr<detail::Family> family;
    {
        std::unique_lock lock(mutex_);
        const auto it = families_.find(name);
        if (it == families_.end()) return false;
        if (it->second->kind() != Kind::gauge_callback)
            throw std::logic_error(
                fmt::format("metric '{}' is a {}; only callback gauges can be removed", name, kind_name(it->second->kind())));
        family = std::move(it->second);
        families_.erase(it);
    }
    // Outside the registry lock: this waits for a render() that is running the callback right now.
    static_cast<GaugeCallbackFamily&>(*family).set(nullptr);
    return true;
}

std::string Registry::render() const {
    std::vector<std::shared_ptr<detail::Family>> families;
    {
        std::shared_lock lock(mutex_);
        families.reserve(families_.size());
        for (const auto& [name, family] : families_) families.push_back(family);  // the map keeps them sorted
    }
    std::string out, samples;
    for (const auto& family : families) {
        samples.clear();
        family->render_samples(samples);
        if (samples.empty()) continue;
        if (!family->help().empty())
            fmt::format_to(std::back_inserter(out), "# HELP {} {}\n", family->name(), escaped(family->help(), false));
        fmt::format_to(std::back_inserter(out), "# TYPE {} {}\n", family->name(), type_line_name(family->kind()));
        out += samples;
    }
    return out;
}

Registry& metrics() {
    // Never destroyed: threads still counting during exit must not find it gone.
    static Registry* registry = new Registry;
    return *registry;
}

}  // namespace voltedge::observability
