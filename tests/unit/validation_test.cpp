#include <gtest/gtest.h>

#include "ingestion/validation.h"

using namespace voltedge::ingestion;

namespace {

MinuteSeries series_of(std::size_t n) {
    MinuteSeries s;
    for (auto& v : s.value) v.assign(n, 0);
    s.value[kGlobalActivePower].assign(n, 1200);  // 1.2 kW = 20 Wh a minute
    s.value[kVoltage].assign(n, 240000);
    s.flags.assign(n, 0);
    return s;
}

const CheckResult& check(const std::vector<CheckResult>& all, const std::string& name) {
    for (const auto& c : all)
        if (c.name == name) return c;
    throw std::runtime_error("no check " + name);
}

}  // namespace

TEST(Validate, CleanSeriesPassesEveryCheck) {
    auto s = series_of(100);
    const auto checks = validate(s, TimestampStats{100, 0, 0, 0});
    for (const auto& c : checks) EXPECT_TRUE(c.passed) << c.name;
    EXPECT_EQ(checks.size(), 9u);
}

TEST(Validate, OutOfRangeValuesFailAndBecomeMissing) {
    auto s = series_of(10);
    s.value[kVoltage][2] = 120000;
    s.value[kSubMetering1][3] = -1000;
    const auto checks = validate(s, TimestampStats{10, 0, 0, 0});
    EXPECT_FALSE(check(checks, "range_voltage").passed);
    EXPECT_EQ(check(checks, "range_voltage").observed, 1);
    EXPECT_EQ(check(checks, "range_non_negative").observed, 1);
    EXPECT_EQ(s.value[kVoltage][2], kMissing);
    EXPECT_EQ(s.value[kSubMetering1][3], kMissing);
}

TEST(Validate, EnergyIdentityWithinTolerance) {
    auto s = series_of(1000);
    s.value[kSubMetering3].assign(1000, 22000);  // 22 Wh against 20 Wh: within the 3 Wh tolerance
    EXPECT_TRUE(check(validate(s, TimestampStats{1000, 0, 0, 0}), "energy_identity").passed);
    s.value[kSubMetering3][0] = 24000;  // 4 Wh over, in 1 of 1000 minutes: share 0.001, at the threshold
    EXPECT_TRUE(check(validate(s, TimestampStats{1000, 0, 0, 0}), "energy_identity").passed);
    s.value[kSubMetering3][1] = 24000;  // 2 of 1000: over the threshold
    const auto c = check(validate(s, TimestampStats{1000, 0, 0, 0}), "energy_identity");
    EXPECT_FALSE(c.passed);
    EXPECT_DOUBLE_EQ(c.observed, 0.002);
}

TEST(Validate, MissingShareAndTimestampChecks) {
    auto s = series_of(20);
    s.value[kGlobalActivePower][0] = kMissing;
    s.value[kVoltage][1] = kMissing;
    const auto checks = validate(s, TimestampStats{21, 1, 2, 0});
    EXPECT_DOUBLE_EQ(check(checks, "missing_share").observed, 0.1);
    EXPECT_FALSE(check(checks, "missing_share").passed);
    EXPECT_FALSE(check(checks, "duplicate_timestamps").passed);
    EXPECT_EQ(check(checks, "timestamp_order").observed, 2);
    EXPECT_TRUE(check(checks, "missing_timestamps").passed);
}
