#include <gtest/gtest.h>

#include "ingestion/hourly.h"

using namespace voltedge::ingestion;

TEST(ResampleHourly, FullAndPartialHours) {
    // Starts at 17:24 (a partial first hour of 36 minutes), then one full hour.
    MinuteSeries s;
    s.start = 17 * 60 + 24;
    const std::size_t n = 36 + 60;
    for (auto& v : s.value) v.assign(n, 0);
    s.flags.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) s.value[kGlobalActivePower][i] = i < 36 ? 2000 : 1000 + static_cast<Milli>(i - 36) * 100;
    s.value[kVoltage].assign(n, 240000);
    s.value[kSubMetering2].assign(n, 1000);
    s.flags[40] = MinuteSeries::kImputed;

    const auto h = resample_hourly(s);
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].hour, 17 * 60);
    EXPECT_DOUBLE_EQ(h[0].mean_kw, 2.0);
    EXPECT_DOUBLE_EQ(h[0].energy_kwh, 2.0 * 36 / 60);  // 36 minutes at 2 kW
    EXPECT_EQ(h[0].minutes_present, 36);
    EXPECT_EQ(h[0].minutes_imputed, 0);
    EXPECT_DOUBLE_EQ(h[0].sub_metering_wh[1], 36.0);

    // 1.0, 1.1, ... 6.9 kW: mean 3.95 kW, energy 3.95 kWh over the full hour
    EXPECT_EQ(h[1].hour, 18 * 60);
    EXPECT_NEAR(h[1].mean_kw, 3.95, 1e-12);
    EXPECT_NEAR(h[1].energy_kwh, 3.95, 1e-12);
    EXPECT_DOUBLE_EQ(h[1].min_kw, 1.0);
    EXPECT_DOUBLE_EQ(h[1].max_kw, 6.9);
    EXPECT_DOUBLE_EQ(h[1].mean_voltage, 240.0);
    EXPECT_EQ(h[1].minutes_present, 59);
    EXPECT_EQ(h[1].minutes_imputed, 1);
}
