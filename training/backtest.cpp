#include "training/backtest.h"

#include <fmt/format.h>

#include "core/error.h"

namespace voltedge::training {

std::vector<Split> make_splits(Minute first_hour, Minute last_hour, int horizon, const BacktestOptions& o) {
    if (o.folds < 1 || o.fold_hours < 1) throw Error("folds and fold length must be positive");
    if (o.window != "expanding" && o.window != "sliding")
        throw Error("unknown backtest window '" + o.window + "'", "use \"expanding\" or \"sliding\"");
    std::vector<Split> splits;
    const Minute end = last_hour + 60;  // exclusive
    for (int k = 0; k < o.folds; ++k) {
        Split s;
        s.index = k;
        s.test_begin = end - Minute(o.folds - k) * o.fold_hours * 60;
        s.test_end = s.test_begin + Minute(o.fold_hours) * 60;
        s.train_end = s.test_begin - Minute(horizon - 1) * 60;
        s.train_begin = o.window == "sliding" ? std::max(first_hour, s.train_end - Minute(o.train_hours) * 60) : first_hour;
        const Minute train_hours = (s.train_end - s.train_begin) / 60;
        if (train_hours < o.min_train_hours)
            throw Error(fmt::format("too little data for {} test folds of {} hours at horizon {} h: fold {} would train on "
                                    "{} hours, at least {} are needed",
                                    o.folds, o.fold_hours, horizon, k + 1, std::max<Minute>(train_hours, 0), o.min_train_hours),
                        "ingest more data, or ask for fewer or shorter folds (\"folds\", \"fold_days\" in the training config)");
        splits.push_back(s);
    }
    return splits;
}

}  // namespace voltedge::training
