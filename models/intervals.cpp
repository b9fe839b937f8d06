#include "models/intervals.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/feature_spec.h"

namespace voltedge::models {

namespace {
constexpr double kMinLevel = features::kMinLevelKw;
}  // namespace

double ConformalIntervals::level_of(const double* input_row) {
    // Every input layout starts with the lags and windows in their FeatureRow::value order (feature_spec.h).
    constexpr int column = features::roll_mean_index(24);
    static_assert(column >= 0);
    const double v = input_row[column];
    return std::isnan(v) ? kMinLevel : std::max(kMinLevel, v);
}

void ConformalIntervals::add(int lead, int daypart, double residual, double level) {
    const Residual e{residual, std::max(kMinLevel, level)};
    by_lead_[lead].push_back(e);
    by_cell_[{lead, daypart}].push_back(e);
}

// The least-squares slope of log |error| on log level over every error, clamped to [0, 1]: 1 when errors grow
// in proportion to the load, 0 when they do not grow at all. Fitted on the calibration errors alone.
double ConformalIntervals::fitted_exponent() const {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const auto& [lead, errors] : by_lead_)
        for (const Residual& e : errors) {
            const double x = std::log(e.level), y = std::log(std::abs(e.residual) + 1e-3);
            n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
        }
    const double denominator = n * sxx - sx * sx;
    if (n < 2 || denominator <= 0) return 1;
    return std::clamp((n * sxy - sx * sy) / denominator, 0.0, 1.0);
}

std::vector<double> ConformalIntervals::relative(const std::vector<Residual>& errors, double exponent) {
    std::vector<double> r;
    r.reserve(errors.size());
    for (const Residual& e : errors) r.push_back(e.residual / std::pow(e.level, exponent));
    return r;
}

// The split-conformal order statistics: with n errors the upper bound of a level-(1 - a) interval is the
// ceil((n + 1)(1 - a/2))-th smallest error, the lower bound the floor((n + 1) a/2)-th; past the ends, the
// extreme error (too few errors to promise more).
ConformalIntervals::Offsets ConformalIntervals::offsets_of(std::vector<double> r) {
    std::sort(r.begin(), r.end());
    const double n = static_cast<double>(r.size());
    const auto at = [&](double rank) {  // 1-based rank, clamped
        return r[static_cast<std::size_t>(std::clamp(rank, 1.0, n)) - 1];
    };
    Offsets o{};
    double* out[2][2] = {{&o.lower_80, &o.upper_80}, {&o.lower_95, &o.upper_95}};
    for (std::size_t i = 0; i < kIntervalLevels.size(); ++i) {
        const double tail = (1 - kIntervalLevels[i]) / 2;
        *out[i][0] = at(std::floor((n + 1) * tail));
        *out[i][1] = at(std::ceil((n + 1) * (1 - tail)));
    }
    return o;
}

std::optional<ConformalIntervals::Offsets> ConformalIntervals::lookup(int lead, int daypart) const {
    if (const auto c = cell_offsets_.find({lead, daypart}); c != cell_offsets_.end()) return c->second;
    if (const auto c = by_cell_.find({lead, daypart}); c != by_cell_.end() && c->second.size() >= kMinResiduals)
        return offsets_of(relative(c->second, exponent()));
    if (const auto l = lead_offsets_.find(lead); l != lead_offsets_.end()) return l->second;
    if (const auto l = by_lead_.find(lead); l != by_lead_.end() && !l->second.empty())
        return offsets_of(relative(l->second, exponent()));
    return std::nullopt;
}

std::optional<Interval> ConformalIntervals::around(double forecast, int lead, int daypart, double level) const {
    const auto o = lookup(lead, daypart);
    if (!o) return std::nullopt;
    const double l = std::pow(std::max(kMinLevel, level), exponent());
    const auto floor0 = [](double v) { return std::max(0.0, v); };
    return Interval{floor0(forecast + l * o->lower_80), forecast + l * o->upper_80, floor0(forecast + l * o->lower_95),
                    forecast + l * o->upper_95};
}

nlohmann::json ConformalIntervals::to_json() const {
    const auto offsets = [](const Offsets& o) { return nlohmann::json::array({o.lower_80, o.upper_80, o.lower_95, o.upper_95}); };
    nlohmann::json leads = nlohmann::json::object(), cells = nlohmann::json::object();
    const double b = exponent();
    for (const auto& [lead, r] : by_lead_) leads[std::to_string(lead)] = offsets(offsets_of(relative(r, b)));
    for (const auto& [key, r] : by_cell_)
        if (r.size() >= kMinResiduals)
            cells[std::to_string(key.first) + "/" + std::to_string(key.second)] = offsets(offsets_of(relative(r, b)));
    return {{"method", "split-conformal on backtest errors by lead and daypart, scaled by level^scale_exponent"},
            {"scale_exponent", b},
            {"by_lead", leads},
            {"by_lead_daypart", cells}};
}

ConformalIntervals ConformalIntervals::from_json(const nlohmann::json& j) {
    ConformalIntervals out;
    out.exponent_ = j.value("scale_exponent", 1.0);  // bundles before it was fitted scaled by the level itself
    const auto offsets = [](const nlohmann::json& a) {
        return Offsets{a.at(0).get<double>(), a.at(1).get<double>(), a.at(2).get<double>(), a.at(3).get<double>()};
    };
    const nlohmann::json leads = j.value("by_lead", nlohmann::json::object()),
                         cells = j.value("by_lead_daypart", nlohmann::json::object());
    for (const auto& [lead, a] : leads.items()) out.lead_offsets_[std::stoi(lead)] = offsets(a);
    for (const auto& [key, a] : cells.items()) {
        const auto slash = key.find('/');
        out.cell_offsets_[{std::stoi(key.substr(0, slash)), std::stoi(key.substr(slash + 1))}] = offsets(a);
    }
    return out;
}

}  // namespace voltedge::models
