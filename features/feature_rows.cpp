#include "features/feature_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace voltedge::features {

const std::vector<std::string>& value_feature_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (int lag : kLags) n.push_back(fmt::format("lag_{}", lag));
        for (int w : kWindows) {
            n.push_back(fmt::format("roll_mean_{}", w));
            n.push_back(fmt::format("roll_std_{}", w));
        }
        for (const char* name : kRecentMinuteNames) n.push_back(name);
        for (const char* name : kChannelNames) n.push_back(name);
        return n;
    }();
    return names;
}

namespace {

// Loads on a dense hourly grid from the first hour to the last; NaN where an hour is missing.
struct DenseLoads {
    Minute first;
    std::vector<double> load;
    double at(Minute hour) const {
        const Minute i = (hour - first) / 60;
        return hour < first || i >= static_cast<Minute>(load.size()) ? NAN : load[i];
    }
};

void fill_windows(const DenseLoads& dense, Minute hour, FeatureRow& row) {
    int slot = static_cast<int>(kLags.size());
    for (int w : kWindows) {
        double sum = 0, sum_sq = 0;
        int n = 0;
        for (int k = 1; k <= w; ++k) {
            const double v = dense.at(hour - 60 * k);
            if (std::isnan(v)) continue;
            sum += v;
            sum_sq += v * v;
            ++n;
        }
        const double mean = n ? sum / n : NAN;
        row.value[slot++] = mean;
        row.value[slot++] = n >= 2 ? std::sqrt(std::max(0.0, (sum_sq - n * mean * mean) / (n - 1))) : NAN;
    }
}

}  // namespace

std::vector<FeatureRow> build_feature_rows(const std::vector<HourLoad>& targets, const std::map<Minute, double>* temperature,
                                           const std::vector<HourLoad>* inputs) {
    if (targets.empty()) return {};
    const std::vector<HourLoad>& known = inputs && !inputs->empty() ? *inputs : targets;
    const Minute first = std::min(known.front().hour, targets.front().hour);
    const Minute last = std::max(known.back().hour, targets.back().hour);
    DenseLoads dense{first, std::vector<double>((last - first) / 60 + 1, NAN)};
    for (const auto& l : known) dense.load[(l.hour - first) / 60] = l.load_kw;
    std::unordered_map<Minute, const HourLoad*> known_at;
    for (const auto& l : known) known_at[l.hour] = &l;

    std::vector<FeatureRow> rows;
    rows.reserve(targets.size() + 1);
    auto add_row = [&](Minute hour, double load_kw, int imputed_minutes) {
        FeatureRow row{hour, load_kw, imputed_minutes};
        for (std::size_t i = 0; i < kLags.size(); ++i) row.value[i] = dense.at(hour - 60 * kLags[i]);
        fill_windows(dense, hour, row);
        if (const auto previous = known_at.find(hour - 60); previous != known_at.end())
            std::copy(previous->second->end_of_hour.begin(), previous->second->end_of_hour.end(),
                      row.value.begin() + kBaseFeatureCount);
        else
            std::fill(row.value.begin() + kBaseFeatureCount, row.value.end(), NAN);
        for (int k = 1; k <= kHistoryHours; ++k) row.last_hours[k - 1] = dense.at(hour - 60 * k);
        if (temperature) {
            const auto it = temperature->find(hour - 60);
            if (it != temperature->end()) row.temperature_lag_1 = it->second;
        }
        row.calendar = calendar_of(hour);
        rows.push_back(row);
    };
    for (const auto& t : targets) add_row(t.hour, t.load_kw, t.imputed_minutes);
    add_row(last + 60, NAN, 0);
    return rows;
}

}  // namespace voltedge::features
