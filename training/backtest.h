#pragma once
// Backtest splits over target hours: several test folds, either counted back from the end of the data or
// given by date, each trained on the targets before it (expanding window, default) or on a fixed-length
// window before it (sliding).
// Training targets of a fold end h hours before its first test target: at the first forecast origin of
// the fold (hour test_begin - h) no later load is known, so no later load may train the model either.
#include <string>
#include <vector>

#include "core/civil_time.h"

namespace voltedge::training {

// The target hours one fold forecasts: [begin, end).
struct TestWindow {
    Minute begin, end;
};

struct BacktestOptions {
    int folds = 4;
    int fold_hours = 30 * 24;          // one month
    std::vector<TestWindow> windows;   // folds by date, oldest first; when set, folds and fold_hours are unused
    std::string window = "expanding";  // or "sliding"
    int train_hours = 365 * 24;        // sliding window length
    int min_train_hours = 14 * 24;     // fewer training targets than this is an error

    // "4 folds of 720 hours at the end of the data" or the windows by date, for logs and model cards.
    std::string describe() const;
};

struct Split {
    int index;                      // 0-based, oldest first (the MLflow step)
    Minute train_begin, train_end;  // target hours [begin, end)
    Minute test_begin, test_end;    // target hours [begin, end)
};

// Splits for horizon h over data whose target hours span [first_hour, last_hour]; throws Error when the
// data is too short for the requested folds, or a dated window lies outside the data.
std::vector<Split> make_splits(Minute first_hour, Minute last_hour, int horizon, const BacktestOptions& options);

// [start, end) cut into `folds` consecutive windows of whole hours (the last takes the remainder).
std::vector<TestWindow> windows_between(Minute start, Minute end, int folds);

// Checks dated windows: each on the hour, not empty, in order and not overlapping; the error names the fold.
void check_windows(const std::vector<TestWindow>& windows);

}  // namespace voltedge::training
