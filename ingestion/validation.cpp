#include "ingestion/validation.h"

#include <fmt/format.h>

namespace voltedge::ingestion {
namespace {

CheckResult count_check(std::string name, std::size_t observed, std::string details) {
    return {std::move(name), observed == 0, static_cast<double>(observed), 0.0, std::move(details)};
}

// Sets values outside [lo, hi] to kMissing; returns how many.
std::size_t blank_out_of_range(std::vector<Milli>& values, Milli lo, Milli hi) {
    std::size_t n = 0;
    for (Milli& v : values) {
        if (v != kMissing && (v < lo || v > hi)) {
            v = kMissing;
            ++n;
        }
    }
    return n;
}

CheckResult energy_identity(const MinuteSeries& s, const ValidationOptions& o) {
    std::size_t checked = 0, violations = 0;
    const auto& gap = s.value[kGlobalActivePower];
    for (std::size_t i = 0; i < s.size(); ++i) {
        const Milli s1 = s.value[kSubMetering1][i], s2 = s.value[kSubMetering2][i], s3 = s.value[kSubMetering3][i];
        if (gap[i] == kMissing || s1 == kMissing || s2 == kMissing || s3 == kMissing) continue;
        ++checked;
        const double total_wh = gap[i] / 60.0;  // milli-kW = W; over one minute: W/60 Wh
        const double sub_wh = (static_cast<double>(s1) + s2 + s3) / 1000.0;
        violations += sub_wh > total_wh + o.energy_tolerance_wh;
    }
    const double share = checked ? static_cast<double>(violations) / checked : 0.0;
    return {"energy_identity", share <= o.max_energy_violation_share, share, o.max_energy_violation_share,
            fmt::format("{} of {} minutes have Sub_metering_1+2+3 > Global_active_power*1000/60 + {} Wh", violations, checked,
                        o.energy_tolerance_wh)};
}

}  // namespace

std::size_t minutes_with_missing_value(const MinuteSeries& s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool missing = false;
        for (int f = 0; f < kFieldCount; ++f) missing |= s.value[f][i] == kMissing;
        n += missing;
    }
    return n;
}

std::vector<CheckResult> validate(MinuteSeries& s, const TimestampStats& ts, const ValidationOptions& o) {
    std::vector<CheckResult> out;
    out.push_back({"schema", true, 9, 9, "header and 9 ';'-separated fields on every row"});
    out.push_back({"numeric_parse", true, 0, 0, "every value is a decimal number or '?'"});
    out.push_back(count_check("duplicate_timestamps", ts.duplicates, "rows repeating an earlier minute (first kept)"));
    out.push_back(count_check("missing_timestamps", ts.absent_minutes, "minutes between first and last with no row"));
    out.push_back(count_check("timestamp_order", ts.out_of_order, "rows earlier than the row before them"));

    const std::size_t missing = minutes_with_missing_value(s);
    const double share = s.size() ? static_cast<double>(missing) / s.size() : 0.0;
    out.push_back({"missing_share", share <= o.max_missing_share, share, o.max_missing_share,
                   fmt::format("{} of {} minutes have a missing value ('?' or no row)", missing, s.size())});

    const std::size_t bad_voltage = blank_out_of_range(s.value[kVoltage], o.voltage_min, o.voltage_max);
    out.push_back(count_check("range_voltage", bad_voltage,
                              fmt::format("readings outside {}-{} V, treated as missing", to_units(o.voltage_min),
                                          to_units(o.voltage_max))));
    std::size_t negative = 0;
    for (int f : {kGlobalActivePower, kGlobalReactivePower, kGlobalIntensity, kSubMetering1, kSubMetering2, kSubMetering3})
        negative += blank_out_of_range(s.value[f], 0, INT32_MAX);
    out.push_back(
        count_check("range_non_negative", negative, "negative powers, intensities or sub-meterings, treated as missing"));
    out.push_back(energy_identity(s, o));
    return out;
}

}  // namespace voltedge::ingestion
