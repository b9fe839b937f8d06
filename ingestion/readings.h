#pragma once
// Meter readings in memory. Values are fixed-point thousandths of the UCI units (the file has 3 decimals):
// exact, compact, and cheap to format for COPY.
#include <array>
#include <climits>
#include <cstdint>
#include <vector>

#include "core/civil_time.h"

namespace voltedge::ingestion {

enum Field : int {
    kGlobalActivePower,    // kW
    kGlobalReactivePower,  // kW
    kVoltage,              // V
    kGlobalIntensity,      // A
    kSubMetering1,         // Wh
    kSubMetering2,
    kSubMetering3,
    kFieldCount
};
inline constexpr const char* kFieldNames[kFieldCount] = {"Global_active_power", "Global_reactive_power", "Voltage",
                                                         "Global_intensity",    "Sub_metering_1",        "Sub_metering_2",
                                                         "Sub_metering_3"};

using Milli = std::int32_t;
inline constexpr Milli kMissing = INT32_MIN;
inline constexpr double to_units(Milli v) { return v / 1000.0; }

// Rows as read, in file order (row i is on line i + 2).
struct ParsedRows {
    std::vector<Minute> minute;
    std::array<std::vector<Milli>, kFieldCount> value;
    std::size_t size() const { return minute.size(); }
};

// One slot per minute from `start`, none skipped; flags say what happened to each minute.
struct MinuteSeries {
    enum Flag : std::uint8_t { kImputed = 1, kTimestampAbsent = 2 };
    Minute start = 0;
    std::array<std::vector<Milli>, kFieldCount> value;
    std::vector<std::uint8_t> flags;
    std::size_t size() const { return flags.size(); }
    Minute end() const { return start + static_cast<Minute>(size()); }  // one past the last minute
};

}  // namespace voltedge::ingestion
