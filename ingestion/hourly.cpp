#include "ingestion/hourly.h"

#include <algorithm>

namespace voltedge::ingestion {

std::vector<HourlyRow> resample_hourly(const MinuteSeries& s) {
    std::vector<HourlyRow> out;
    if (s.size() == 0) return out;
    out.reserve(s.size() / 60 + 2);
    auto floor_hour = [](Minute m) { return m >= 0 ? m - m % 60 : m - ((m % 60) + 60) % 60; };
    std::size_t i = 0;
    while (i < s.size()) {
        const Minute hour = floor_hour(s.start + static_cast<Minute>(i));
        const std::size_t end = std::min(s.size(), static_cast<std::size_t>(hour + 60 - s.start));
        std::int64_t gap_sum = 0, reactive_sum = 0, voltage_sum = 0, sub_sum[3] = {0, 0, 0};
        Milli lo = s.value[kGlobalActivePower][i], hi = lo;
        int imputed = 0;
        for (std::size_t k = i; k < end; ++k) {
            const Milli gap = s.value[kGlobalActivePower][k];
            gap_sum += gap;
            lo = std::min(lo, gap);
            hi = std::max(hi, gap);
            reactive_sum += s.value[kGlobalReactivePower][k];
            voltage_sum += s.value[kVoltage][k];
            for (int j = 0; j < 3; ++j) sub_sum[j] += s.value[kSubMetering1 + j][k];
            imputed += (s.flags[k] & MinuteSeries::kImputed) != 0;
        }
        const double minutes = static_cast<double>(end - i);
        HourlyRow row;
        row.hour = hour;
        row.mean_kw = gap_sum / 1000.0 / minutes;
        row.energy_kwh = gap_sum / 1000.0 / 60.0;  // each minute at P kW contributes P/60 kWh
        row.min_kw = to_units(lo);
        row.max_kw = to_units(hi);
        row.mean_reactive_kw = reactive_sum / 1000.0 / minutes;
        row.mean_voltage = voltage_sum / 1000.0 / minutes;
        for (int j = 0; j < 3; ++j) row.sub_metering_wh[j] = sub_sum[j] / 1000.0;
        row.minutes_imputed = imputed;
        row.minutes_present = static_cast<int>(end - i) - imputed;
        out.push_back(row);
        i = end;
    }
    return out;
}

}  // namespace voltedge::ingestion
