#include <gtest/gtest.h>

#include "core/error.h"
#include "ingestion/uci_parser.h"

using namespace voltedge;
using namespace voltedge::ingestion;

namespace {

const std::string kHeader = std::string(kUciHeader) + "\r\n";

ParsedRows parse(const std::string& text) {
    UciParser p("test.txt");
    p.feed(text);
    return p.finish();
}

std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(ParseMilli, ReadsFixedPointThousandths) {
    Milli v;
    ASSERT_TRUE(parse_milli("234.840", v));
    EXPECT_EQ(v, 234840);
    ASSERT_TRUE(parse_milli("243.15", v));
    EXPECT_EQ(v, 243150);
    ASSERT_TRUE(parse_milli("17", v));
    EXPECT_EQ(v, 17000);
    ASSERT_TRUE(parse_milli("0.0005", v));
    EXPECT_EQ(v, 1);  // rounds half up at the 4th decimal
    ASSERT_TRUE(parse_milli("-1.5", v));
    EXPECT_EQ(v, -1500);
    ASSERT_TRUE(parse_milli("?", v));
    EXPECT_EQ(v, kMissing);
    ASSERT_TRUE(parse_milli("", v));
    EXPECT_EQ(v, kMissing);
    EXPECT_FALSE(parse_milli("abc", v));
    EXPECT_FALSE(parse_milli("1.2.3", v));
    EXPECT_FALSE(parse_milli(".", v));
    EXPECT_FALSE(parse_milli("1e5", v));
    EXPECT_FALSE(parse_milli("99999999", v));
}

TEST(UciParser, ParsesRowsAndMissingValues) {
    const auto rows = parse(kHeader + "16/12/2006;17:24:00;4.216;0.418;234.840;18.400;0.000;1.000;17.000\r\n"
                                      "28/4/2007;00:21:00;?;?;?;?;?;?;\r\n");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(format_minute(rows.minute[0]), "2006-12-16 17:24:00");
    EXPECT_EQ(rows.value[kGlobalActivePower][0], 4216);
    EXPECT_EQ(rows.value[kVoltage][0], 234840);
    EXPECT_EQ(rows.value[kSubMetering3][0], 17000);
    EXPECT_EQ(format_minute(rows.minute[1]), "2007-04-28 00:21:00");
    for (int f = 0; f < kFieldCount; ++f) EXPECT_EQ(rows.value[f][1], kMissing);
}

TEST(UciParser, LinesSplitAcrossChunksParseTheSame) {
    const std::string text = kHeader +
                             "1/2/2007;00:00:00;0.326;0.128;243.15;1.4;0;0;0\n1/2/2007;00:01:00;0.326;0.13;243.32;1.4;0;0;0\n";
    UciParser p("chunks.txt");
    for (char c : text) p.feed(std::string_view(&c, 1));
    const auto rows = p.finish();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows.value[kGlobalReactivePower][1], 130);
    EXPECT_EQ(rows.minute[1] - rows.minute[0], 1);
}

TEST(UciParser, LastLineWithoutNewlineIsRead) { EXPECT_EQ(parse(kHeader + "1/2/2007;00:00:00;1;1;240;1;0;0;0").size(), 1u); }

TEST(UciParser, DaylightSavingDaysAreAPlainWallClock) {
    // 25/3/2007 (spring forward in France) and 28/10/2007 (fall back): the file has every minute once.
    std::string text = kHeader;
    for (int m = 0; m < 240; ++m)
        text += "25/3/2007;" + std::string(m / 60 < 10 ? "0" : "") + std::to_string(m / 60) + ":" + (m % 60 < 10 ? "0" : "") +
                std::to_string(m % 60) + ":00;1;0;240;4;0;0;0\n";
    const auto rows = parse(text);
    ASSERT_EQ(rows.size(), 240u);
    for (std::size_t i = 1; i < rows.size(); ++i) ASSERT_EQ(rows.minute[i] - rows.minute[i - 1], 1);
    EXPECT_EQ(format_minute(rows.minute[120]), "2007-03-25 02:00:00");  // would not exist in CEST
    EXPECT_EQ(format_minute(parse(kHeader + "28/10/2007;02:30:00;1;0;240;4;0;0;0\n").minute[0]), "2007-10-28 02:30:00");
}

TEST(UciParser, WrongColumnCountNamesFileAndLine) {
    const auto msg = error_of(kHeader + "16/12/2006;17:24:00;4.216;0.418;234.840;18.400;0.000;1.000;17.000\n"
                                        "16/12/2006;17:25:00;5.360;0.436;233.630\n");
    EXPECT_NE(msg.find("test.txt:3:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("found 5"), std::string::npos) << msg;
}

TEST(UciParser, NonNumericValueNamesTheField) {
    const auto msg = error_of(kHeader + "16/12/2006;17:24:00;4.216;0.418;abc;18.400;0.000;1.000;17.000\n");
    EXPECT_NE(msg.find("test.txt:2: Voltage: 'abc'"), std::string::npos) << msg;
}

TEST(UciParser, RejectsBadDatesAndTimes) {
    EXPECT_NE(error_of(kHeader + "31/2/2007;00:00:00;1;1;240;1;0;0;0\n").find("Date: '31/2/2007'"), std::string::npos);
    EXPECT_NE(error_of(kHeader + "2007-02-01;00:00:00;1;1;240;1;0;0;0\n").find("Date:"), std::string::npos);
    EXPECT_NE(error_of(kHeader + "1/2/2007;24:00:00;1;1;240;1;0;0;0\n").find("Time: '24:00:00'"), std::string::npos);
    EXPECT_NE(error_of(kHeader + "1/2/2007;00:00:30;1;1;240;1;0;0;0\n").find("whole minute"), std::string::npos);
}

TEST(UciParser, RejectsAFileThatIsNotUci) {
    const auto msg = error_of("index,Date,Time,Global_active_power\n0,1/1/07,0:00:00,2.58\n");
    EXPECT_NE(msg.find("test.txt:1: not a UCI household power file"), std::string::npos) << msg;
    EXPECT_NE(error_of("").find("empty file"), std::string::npos);
    EXPECT_NE(error_of(kHeader).find("no data rows"), std::string::npos);
}
