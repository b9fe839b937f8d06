#pragma once
// Turns rows in file order into a dense minute series, counting what was wrong with the timestamps.
#include "ingestion/readings.h"

namespace voltedge::ingestion {

struct TimestampStats {
    std::size_t rows = 0;
    std::size_t duplicates = 0;      // rows whose minute was already seen; the first one is kept
    std::size_t out_of_order = 0;    // rows earlier than the row before them
    std::size_t absent_minutes = 0;  // minutes between first and last with no row at all
};

// Consumes rows. Absent minutes get kMissing values and the kTimestampAbsent flag, to be imputed.
MinuteSeries build_series(ParsedRows&& rows, TimestampStats& stats, const std::string& source_name);

}  // namespace voltedge::ingestion
