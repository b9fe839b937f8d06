#pragma once
// Prediction intervals by split-conformal calibration: the signed out-of-sample errors (actual - forecast) of
// the backtest, divided by a scale that grows with the load level at the origin (its 24-hour mean: errors grow
// with the load, from summer to winter, so absolute errors calibrated on earlier months under-cover later
// ones), grouped by lead and daypart (night, morning, afternoon, evening: load spreads differ), give the
// offsets that, times the scale, are added to a point forecast for the central 80 % and 95 % intervals. The
// scale is level^b, b fitted on the calibration errors (log |error| against log level): errors grow more
// slowly than the load, so dividing by the level itself over-covered (0.85 for 80 %) and absolute errors
// under-covered (0.67). Asymmetric, because load
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

    nlohmann::json to_json() const;  // the exponent and offsets only (the bundle does not carry the residuals)
    static ConformalIntervals from_json(const nlohmann::json& j);

    double exponent() const { return exponent_ ? *exponent_ : fitted_exponent(); }

private:
    struct Residual {
        double residual, level;  // level at least kMinLevel
    };
    double fitted_exponent() const;
    static std::vector<double> relative(const std::vector<Residual>& errors, double exponent);
    struct Offsets {
        double lower_80, upper_80, lower_95, upper_95;
    };
    static Offsets offsets_of(std::vector<double> residuals);
    std::optional<Offsets> lookup(int lead, int daypart) const;

    std::map<int, std::vector<Residual>> by_lead_;
    std::map<std::pair<int, int>, std::vector<Residual>> by_cell_;
    std::optional<double> exponent_;                       // set by from_json
    std::map<int, Offsets> lead_offsets_;                  // filled by from_json
    std::map<std::pair<int, int>, Offsets> cell_offsets_;  // filled by from_json
};

}  // namespace voltedge::models
