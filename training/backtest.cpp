#include "training/backtest.h"

#include <fmt/format.h>

#include "core/error.h"

namespace voltedge::training {

std::string BacktestOptions::describe() const {
    if (windows.empty())
        return fmt::format("{} fold{} of {} hours at the end of the data", folds, folds == 1 ? "" : "s", fold_hours);
    std::string out = fmt::format("{} fold{} by date:", windows.size(), windows.size() == 1 ? "" : "s");
    for (const auto& w : windows) out += fmt::format(" [{}, {})", format_minute(w.begin), format_minute(w.end));
    return out;
}

std::vector<TestWindow> windows_between(Minute start, Minute end, int folds) {
    if (folds < 1) throw Error("folds must be positive");
    const Minute hours = (end - start) / 60;
    if (hours < folds)
        throw Error(fmt::format("the test window [{}, {}) has {} hours, fewer than its {} folds", format_minute(start),
                                format_minute(end), std::max<Minute>(hours, 0), folds),
                    "widen test_start .. test_end or ask for fewer folds");
    std::vector<TestWindow> out;
    for (int k = 0; k < folds; ++k)
        out.push_back({start + hours / folds * k * 60, k + 1 == folds ? end : start + hours / folds * (k + 1) * 60});
    return out;
}

void check_windows(const std::vector<TestWindow>& windows) {
    for (std::size_t k = 0; k < windows.size(); ++k) {
        const auto& w = windows[k];
        const std::string which = fmt::format("test fold {} [{}, {})", k + 1, format_minute(w.begin), format_minute(w.end));
        if (w.begin % 60 != 0 || w.end % 60 != 0)
            throw Error(which + " does not start and end on the hour", "write times as YYYY-MM-DD HH:00");
        if (w.end <= w.begin) throw Error(which + " is empty", "its test_end must be later than its test_start");
        if (k > 0 && w.begin < windows[k - 1].end)
            throw Error(which + " overlaps or precedes the fold before it",
                        "list the folds oldest first, each starting at or after the end of the one before");
    }
}

std::vector<Split> make_splits(Minute first_hour, Minute last_hour, int horizon, const BacktestOptions& o) {
    if (o.folds < 1 || o.fold_hours < 1) throw Error("folds and fold length must be positive");
    if (o.window != "expanding" && o.window != "sliding")
        throw Error("unknown backtest window '" + o.window + "'", "use \"expanding\" or \"sliding\"");
    const Minute end = last_hour + 60;  // exclusive
    std::vector<TestWindow> windows = o.windows;
    if (windows.empty())
        for (int k = 0; k < o.folds; ++k) {
            const Minute begin = end - Minute(o.folds - k) * o.fold_hours * 60;
            windows.push_back({begin, begin + Minute(o.fold_hours) * 60});
        }
    check_windows(windows);
    std::vector<Split> splits;
    for (std::size_t k = 0; k < windows.size(); ++k) {
        Split s;
        s.index = static_cast<int>(k);
        s.test_begin = windows[k].begin;
        s.test_end = windows[k].end;
        if (s.test_begin >= end)
            throw Error(fmt::format("test fold {} [{}, {}) starts after the data at horizon {} h ({} .. {})", k + 1,
                                    format_minute(s.test_begin), format_minute(s.test_end), horizon, format_minute(first_hour),
                                    format_minute(last_hour)),
                        "move test_start/test_end (or fold_windows) inside the data");
        s.train_end = s.test_begin - Minute(horizon - 1) * 60;
        s.train_begin = o.window == "sliding" ? std::max(first_hour, s.train_end - Minute(o.train_hours) * 60) : first_hour;
        const Minute train_hours = (s.train_end - s.train_begin) / 60;
        if (train_hours < o.min_train_hours)
            throw Error(fmt::format("too little data for test fold {} [{}, {}) at horizon {} h: it would train on {} hours, at "
                                    "least {} are needed",
                                    k + 1, format_minute(s.test_begin), format_minute(s.test_end), horizon,
                                    std::max<Minute>(train_hours, 0), o.min_train_hours),
                        "ingest more data, or ask for fewer, shorter or later folds (\"folds\", \"fold_days\", "
                        "\"test_start\" in the training config)");
        splits.push_back(s);
    }
    return splits;
}

}  // namespace voltedge::training
