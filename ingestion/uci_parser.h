#pragma once
// Streaming parser for the UCI household power file: `Date;Time;` + 7 numeric columns, d/m/yyyy,
// hh:mm:ss, `?` or empty for a missing value. Any other deviation is an Error naming file and line.
#include <string>
#include <string_view>

#include "ingestion/readings.h"

namespace voltedge::ingestion {

inline constexpr std::string_view kUciHeader = "Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;"
                                               "Sub_metering_1;Sub_metering_2;Sub_metering_3";

class UciParser {
public:
    explicit UciParser(std::string source_name, std::size_t expected_rows = 0);

    // Feed the file in chunks of any size; lines may span chunks.
    void feed(std::string_view chunk);
    // Call after the last chunk; returns the rows. Throws if the file held no header or no rows.
    ParsedRows finish();

    std::size_t lines_read() const { return line_; }

private:
    void parse_line(std::string_view line);
    void parse_header(std::string_view line);
    [[noreturn]] void fail(const std::string& what) const;
    Minute parse_timestamp(std::string_view date, std::string_view time);

    std::string source_;
    std::string carry_;  // incomplete last line of the previous chunk
    std::size_t line_ = 0;
    bool header_seen_ = false;
    std::string last_date_;  // dates repeat 1440 times in a row: remember the last one parsed
    std::int64_t last_days_ = 0;
    ParsedRows rows_;
};

// Parses one numeric field to thousandths ("234.840" -> 234840, "?" or "" -> kMissing).
// Returns false if the text is not a plain decimal number.
bool parse_milli(std::string_view text, Milli& out);

}  // namespace voltedge::ingestion
