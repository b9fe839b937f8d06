#include "ingestion/uci_parser.h"

#include <cstring>

#include "core/error.h"

namespace voltedge::ingestion {
namespace {

constexpr int kColumns = 9;

bool parse_uint(std::string_view s, unsigned& out) {
    if (s.empty() || s.size() > 4) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    out = v;
    return true;
}

std::string printable(std::string_view s) {
    std::string out(s.substr(0, 80));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) c = '?';
    return s.size() > 80 ? out + "..." : out;
}

}  // namespace

bool parse_milli(std::string_view s, Milli& out) {
    if (s.empty() || s == "?") {
        out = kMissing;
        return true;
    }
    std::size_t i = 0;
    const bool negative = s[0] == '-';
    if (negative || s[0] == '+') ++i;
    std::int64_t whole = 0;
    std::size_t int_digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++int_digits) {
        whole = whole * 10 + (s[i] - '0');
        if (whole > 2'000'000) return false;  // far beyond any meter value; also guards the int32 below
    }
    std::int64_t frac = 0;
    std::size_t frac_digits = 0;
    if (i < s.size() && s[i] == '.') {
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++frac_digits) {
            if (frac_digits < 4) frac = frac * 10 + (s[i] - '0');  // 4th digit kept for rounding
        }
    }
    if (i != s.size() || int_digits + frac_digits == 0) return false;
    for (std::size_t d = frac_digits; d < 4; ++d) frac *= 10;
    const std::int64_t milli = whole * 1000 + (frac + 5) / 10;  // round half up at the 4th decimal
    out = static_cast<Milli>(negative ? -milli : milli);
    return true;
}

UciParser::UciParser(std::string source_name, std::size_t expected_rows) : source_(std::move(source_name)) {
    rows_.minute.reserve(expected_rows);
    for (auto& v : rows_.value) v.reserve(expected_rows);
}

void UciParser::fail(const std::string& what) const {
    throw Error(source_ + ":" + std::to_string(line_) + ": " + what, "fix or replace the file; nothing from it was loaded");
}

void UciParser::feed(std::string_view chunk) {
    if (!carry_.empty()) {
        const auto nl = chunk.find('\n');
        if (nl == std::string_view::npos) {
            carry_.append(chunk);
            return;
        }
        carry_.append(chunk.substr(0, nl));
        parse_line(carry_);
        carry_.clear();
        chunk.remove_prefix(nl + 1);
    }
    for (;;) {
        const auto nl = chunk.find('\n');
        if (nl == std::string_view::npos) break;
        parse_line(chunk.substr(0, nl));
        chunk.remove_prefix(nl + 1);
    }
    carry_.assign(chunk);
}

ParsedRows UciParser::finish() {
    if (!carry_.empty()) {
        parse_line(carry_);
        carry_.clear();
    }
    if (!header_seen_) fail("empty file: expected the UCI header '" + std::string(kUciHeader) + "'");
    if (rows_.size() == 0) fail("no data rows after the header");
    return std::move(rows_);
}

void UciParser::parse_header(std::string_view line) {
    header_seen_ = true;
    if (line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0) line.remove_prefix(3);  // BOM
    if (line != kUciHeader)
        fail("not a UCI household power file: header is '" + printable(line) + "', expected '" + std::string(kUciHeader) + "'");
}

void UciParser::parse_line(std::string_view line) {
    ++line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!header_seen_) return parse_header(line);
    if (line.empty()) return;  // blank lines (e.g. a trailing one) carry nothing

    std::string_view fields[kColumns];
    int n = 0;
    std::size_t begin = 0;
    for (std::size_t i = 0; i <= line.size(); ++i) {
        if (i == line.size() || line[i] == ';') {
            if (n == kColumns) fail("expected 9 fields separated by ';', found more: '" + printable(line) + "'");
            fields[n++] = line.substr(begin, i - begin);
            begin = i + 1;
        }
    }
    if (n != kColumns) fail("expected 9 fields separated by ';', found " + std::to_string(n) + ": '" + printable(line) + "'");

    rows_.minute.push_back(parse_timestamp(fields[0], fields[1]));
    for (int f = 0; f < kFieldCount; ++f) {
        Milli v;
        if (!parse_milli(fields[2 + f], v))
            fail(std::string(kFieldNames[f]) + ": '" + printable(fields[2 + f]) + "' is not a number (or '?' for missing)");
        rows_.value[f].push_back(v);
    }
}

Minute UciParser::parse_timestamp(std::string_view date, std::string_view time) {
    if (date != last_date_) {
        const auto s1 = date.find('/'), s2 = date.rfind('/');
        unsigned d, m, y;
        if (s1 == std::string_view::npos || s1 == s2 || !parse_uint(date.substr(0, s1), d) ||
            !parse_uint(date.substr(s1 + 1, s2 - s1 - 1), m) || !parse_uint(date.substr(s2 + 1), y) ||
            date.size() - s2 - 1 != 4 || !is_valid_date(static_cast<int>(y), m, d))
            fail("Date: '" + printable(date) + "' is not a date in d/m/yyyy form");
        last_days_ = days_from_civil(static_cast<int>(y), m, d);
        last_date_.assign(date);
    }
    unsigned hh, mm, ss;
    if (time.size() < 7 || time.size() > 8 || time[time.size() - 3] != ':' || time[time.size() - 6] != ':' ||
        !parse_uint(time.substr(0, time.size() - 6), hh) || !parse_uint(time.substr(time.size() - 5, 2), mm) ||
        !parse_uint(time.substr(time.size() - 2), ss) || hh > 23 || mm > 59 || ss > 59)
        fail("Time: '" + printable(time) + "' is not a time in hh:mm:ss form");
    if (ss != 0) fail("Time: '" + printable(time) + "' is not on a whole minute; the UCI file has one row a minute");
    return last_days_ * 1440 + hh * 60 + mm;
}

}  // namespace voltedge::ingestion
