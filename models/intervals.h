#pragma once
// Prediction intervals by split-conformal calibration: the signed out-of-sample errors (actual - forecast) of
// the backtest, relative to the load level at the origin (its 24-hour mean: errors grow with the load, from
// summer to winter, so absolute errors calibrated on earlier months under-cover later ones), grouped by lead
// and daypart (night, morning, afternoon, evening: load spreads differ), give the offsets that, times the
// level, are added to a point forecast for the central 80 % and 95 % intervals. Asymmetric, because load
// spikes upward far more than it drops. A group with fewer than kMinResiduals errors borrows its lead's
// errors over all dayparts. Lower bounds never go below zero (a load is not negative).
#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace voltedge::models {

inline constexpr std::array<double, 2> kIntervalLevels = {0.80, 0.95};
inline constexpr std::size_t kMinResiduals = 30;

struct Interval {
    double lower_80, upper_80, lower_95, upper_95;
};

class ConformalIntervals {
public:
    void add(int lead, int daypart, double residual, double level);  // residual = actual - forecast
    bool empty() const { return by_lead_.empty() && lead_offsets_.empty(); }

    // The interval around `forecast`; nothing when the lead was never calibrated.
    std::optional<Interval> around(double forecast, int lead, int daypart, double level) const;

    // The level of an input row: its roll_mean_24 (the origin's mean load over the last day), at least 0.1 kW.
    static double level_of(const double* input_row);

    nlohmann::json to_json() const;  // the offsets only (the bundle does not carry the residuals)
    static ConformalIntervals from_json(const nlohmann::json& j);

private:
    struct Offsets {
        double lower_80, upper_80, lower_95, upper_95;
    };
    static Offsets offsets_of(std::vector<double> residuals);
    std::optional<Offsets> lookup(int lead, int daypart) const;

    std::map<int, std::vector<double>> by_lead_;
    std::map<std::pair<int, int>, std::vector<double>> by_cell_;
    std::map<int, Offsets> lead_offsets_;                  // filled by from_json
    std::map<std::pair<int, int>, Offsets> cell_offsets_;  // filled by from_json
};

}  // namespace voltedge::models
