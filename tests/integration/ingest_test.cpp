#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "db/connection.h"
#include "ingestion/ingest.h"
#include "support.h"

using namespace voltedge;
using namespace voltedge::ingestion;
using voltedge::test::count_as_app;
using voltedge::test::data_file;

namespace {

class IngestTest : public ::testing::Test {
protected:
    pqxx::connection conn = db::connect(test::config().database_url);
    std::string tenant = test::new_tenant("ingest");
    std::filesystem::path tmp = std::filesystem::temp_directory_path() / ("voltedge-test-" + tenant);

    void SetUp() override { std::filesystem::create_directories(tmp); }
    void TearDown() override { std::filesystem::remove_all(tmp); }

    IngestReport run(const std::string& source, bool force = false) {
        IngestOptions o;
        o.tenant = tenant;
        o.source = source;
        o.force = force;
        o.download_dir = (tmp / "downloads").string();
        return ingest(conn, o);
    }
    long count(const std::string& sql) { return count_as_app(conn, tenant, sql); }
    // A fingerprint of everything loaded for the tenant, to prove a failed run changed nothing.
    std::string fingerprint() {
        pqxx::work tx(conn);
        db::set_tenant(tx, tenant);
        return tx.exec("SELECT md5(string_agg(m::text, ',' ORDER BY ts)) FROM usage_minute m")[0][0].c_str() + std::string("/") +
               tx.exec("SELECT md5(string_agg(h::text, ',' ORDER BY hour)) FROM usage_hourly h")[0][0].c_str();
    }
    std::string error_of(const std::string& source) {
        try {
            run(source);
        } catch (const Error& e) {
            return e.what();
        }
        return "no error";
    }
};

}  // namespace

TEST_F(IngestTest, LoadsTheExcerptWithExactCounts) {
    const auto r = run(data_file("excerpt-2006-12-16_18.txt"));
    EXPECT_EQ(r.status, "succeeded");
    EXPECT_EQ(r.rows_read, 2203u);
    EXPECT_EQ(count("SELECT * FROM usage_minute"), 2203);
    // 16/12 17:24 .. 18/12 06:06: hours 17-23, 24 hours, 00-06 = 7 + 24 + 7
    EXPECT_EQ(count("SELECT * FROM usage_hourly"), 38);
    EXPECT_EQ(count("SELECT * FROM usage_hourly WHERE minutes_present + minutes_imputed = 60"), 36);
    EXPECT_EQ(count("SELECT * FROM data_quality WHERE run_id = " + std::to_string(r.run_id)), 9);
    EXPECT_EQ(count("SELECT * FROM data_quality WHERE passed"), 9);
    EXPECT_EQ(count("SELECT * FROM ingest_runs WHERE status = 'succeeded' AND rows_loaded = 2203 AND length(sha256) = 64"), 1);
    // the first row, exactly as in the file
    EXPECT_EQ(count("SELECT * FROM usage_minute WHERE ts = '2006-12-16 17:24' AND global_active_power = 4.216::real "
                    "AND voltage = 234.84::real AND sub_metering_3 = 17 AND NOT imputed"),
              1);
    // hourly arithmetic agrees with the minutes it came from
    EXPECT_EQ(count("SELECT * FROM usage_hourly h JOIN (SELECT date_trunc('hour', ts) AS hour, avg(global_active_power::float8) "
                    "AS mean FROM usage_minute GROUP BY 1) m USING (hour) WHERE abs(h.mean_kw - m.mean) > 1e-6"),
              0);
}

TEST_F(IngestTest, SecondExcerptAndMissingValuesAreImputed) {
    // Blank out 3 minutes of the 1-2 Feb excerpt as '?' rows, as in the real file.
    std::ifstream in(data_file("excerpt-2007-02-01_02.txt"));
    std::ofstream out(tmp / "with-gaps.txt");
    std::string line;
    for (int n = 0; std::getline(in, line); ++n)
        out << (n >= 101 && n <= 103 ? line.substr(0, line.find(';', line.find(';') + 1)) + ";?;?;?;?;?;?;" : line) << '\n';
    out.close();
    const auto r = run((tmp / "with-gaps.txt").string());
    EXPECT_EQ(r.minutes_missing, 3u);
    EXPECT_EQ(count("SELECT * FROM usage_minute"), 2880);
    EXPECT_EQ(count("SELECT * FROM usage_minute WHERE imputed"), 3);
    EXPECT_EQ(count("SELECT * FROM usage_hourly"), 48);
    EXPECT_EQ(count("SELECT * FROM usage_hourly WHERE minutes_imputed = 3 AND minutes_present = 57"), 1);
    EXPECT_EQ(count("SELECT * FROM data_quality WHERE check_name = 'missing_share' AND observed = 3.0 / 2880"), 1);
}

TEST_F(IngestTest, SameFileAgainIsANoOpUnlessForced) {
    run(data_file("excerpt-2006-12-16_18.txt"));
    const auto before = fingerprint();
    EXPECT_EQ(run(data_file("excerpt-2006-12-16_18.txt")).status, "skipped");
    EXPECT_EQ(fingerprint(), before);
    const auto forced = run(data_file("excerpt-2006-12-16_18.txt"), true);
    EXPECT_EQ(forced.status, "succeeded");
    EXPECT_EQ(count("SELECT * FROM usage_minute"), 2203);  // replaced, not duplicated
    EXPECT_EQ(count("SELECT * FROM usage_minute WHERE run_id = " + std::to_string(forced.run_id)), 2203);
}

TEST_F(IngestTest, CompressedSourcesLoadTheSameRows) {
    const std::string txt = data_file("excerpt-2006-12-16_18.txt");
    ASSERT_EQ(std::system(("xz -c " + txt + " > " + (tmp / "e.txt.xz").string()).c_str()), 0);
    ASSERT_EQ(std::system(("gzip -c " + txt + " > " + (tmp / "e.txt.gz").string()).c_str()), 0);
    ASSERT_EQ(std::system(("cd " + tmp.string() + " && cp " + txt +
                           " household_power_consumption.txt && "
                           "python3 -m zipfile -c e.zip household_power_consumption.txt")
                              .c_str()),
              0);
    for (const char* f : {"e.txt.xz", "e.txt.gz", "e.zip"}) {
        const auto r = run((tmp / f).string(), true);
        EXPECT_EQ(r.rows_read, 2203u) << f;
        EXPECT_EQ(count("SELECT * FROM usage_minute"), 2203) << f;
    }
}

TEST_F(IngestTest, BadInputFailsCleanlyAndLeavesEarlierDataAsItWas) {
    run(data_file("excerpt-2006-12-16_18.txt"));
    const auto before = fingerprint();

    // a row with the wrong column count, late in the file
    std::ifstream in(data_file("excerpt-2006-12-16_18.txt"));
    std::ofstream bad(tmp / "bad.txt");
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) bad << (n == 2000 ? "17/12/2006;01:00:00;1.0;2.0" : line) << '\n';
    bad.close();
    EXPECT_NE(error_of((tmp / "bad.txt").string()).find("bad.txt:2000: expected 9 fields"), std::string::npos);

    // truncated archives: cut in half
    for (const std::string tool : {"xz", "gzip"}) {
        const auto cut = (tmp / ("cut." + tool)).string();
        ASSERT_EQ(std::system((tool + " -c " + data_file("excerpt-2006-12-16_18.txt") + " > " + cut +
                               ".full && head -c "
                               "$(( $(stat -c %s " +
                               cut + ".full) / 2 )) " + cut + ".full > " + cut)
                                  .c_str()),
                  0);
        const auto msg = error_of(cut);
        EXPECT_NE(msg.find(cut + ": truncated or corrupt archive"), std::string::npos) << msg;
    }

    // not the UCI format, a missing path, an unreachable URL
    EXPECT_NE(error_of(data_file("kaggle-head.csv")).find("kaggle-head.csv:1: not a UCI household power file"),
              std::string::npos);
    EXPECT_NE(error_of((tmp / "nope.txt").string()).find("no such file"), std::string::npos);
    EXPECT_NE(error_of("http://127.0.0.1:9/household.zip").find("cannot download http://127.0.0.1:9/household.zip"),
              std::string::npos);

    EXPECT_EQ(fingerprint(), before);
    EXPECT_EQ(count("SELECT * FROM ingest_runs WHERE status = 'failed' AND error <> ''"), 6);
    EXPECT_EQ(count("SELECT * FROM ingest_runs WHERE status = 'succeeded'"), 1);
}

TEST_F(IngestTest, UnknownTenantIsRefused) {
    IngestOptions o;
    o.tenant = "no-such-tenant";
    o.source = data_file("excerpt-2006-12-16_18.txt");
    try {
        ingest(conn, o);
        FAIL() << "ingest accepted an unknown tenant";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unknown tenant 'no-such-tenant'"), std::string::npos);
        EXPECT_NE(e.hint().find("voltedge tenant create"), std::string::npos);
    }
}
