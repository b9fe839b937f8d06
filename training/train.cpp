#include "training/train.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "features/feature_store.h"
#include "models/families.h"
#include "models/model_io.h"
#include "registry/model_registry.h"
#include "models/intervals.h"
#include "training/plots.h"

namespace voltedge::training {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Rows of a design whose target hours fall in [begin, end): target hours are sorted, so a range.
struct Rows {
    Eigen::Index first, count;
};
Rows rows_between(const Design& d, Minute begin, Minute end) {
    const auto lo = std::lower_bound(d.target_hour.begin(), d.target_hour.end(), begin);
    const auto hi = std::lower_bound(d.target_hour.begin(), d.target_hour.end(), end);
    return {lo - d.target_hour.begin(), hi - lo};
}

// One model's leads: training rows (leads_per_target_default leads per target), test rows (every lead of every
// target), and the splits, cut for the bucket's longest lead so no training target is later than any forecast
// origin of a fold.
struct BucketData {
    Design train, test;
    std::map<int, Design> train_by_leads;  // for families configured with another number of leads per target
    std::vector<Split> splits;
    int last_lead() const { return train.bucket.last_lead; }
    // A bucket cannot give a target more leads than it has: lead 1's bucket has one for every setting.
    int leads_used(int leads_per_target) const { return std::min(leads_per_target, train.bucket.width()); }
    const Design& train_with(int leads_per_target) const {
        const auto it = train_by_leads.find(leads_used(leads_per_target));
        return it == train_by_leads.end() ? train : it->second;
    }
};

// Peak hour = load in the top decile of the training targets.
double peak_threshold(const Vector& y) {
    std::vector<double> v(y.data(), y.data() + y.size());
    const std::size_t k = static_cast<std::size_t>(0.9 * (v.size() - 1));
    std::nth_element(v.begin(), v.begin() + k, v.end());
    return v[k];
}

Vector peak_labels(const Vector& y, double threshold) { return (y.array() >= threshold).cast<double>(); }

std::vector<double> to_std(const Vector& v) { return {v.data(), v.data() + v.size()}; }

// Interval coverage summarised over the leads: mean and range.
struct CoverageOverLeads {
    double mean_80 = 0, low_80 = 1, high_80 = 0, mean_95 = 0, low_95 = 1, high_95 = 0;
};
CoverageOverLeads coverage_over_leads(const std::map<int, IntervalMetrics>& by_lead) {
    CoverageOverLeads c;
    for (const auto& [lead, m] : by_lead) {
        c.mean_80 += m.coverage_80 / static_cast<double>(by_lead.size());
        c.mean_95 += m.coverage_95 / static_cast<double>(by_lead.size());
        c.low_80 = std::min(c.low_80, m.coverage_80), c.high_80 = std::max(c.high_80, m.coverage_80);
        c.low_95 = std::min(c.low_95, m.coverage_95), c.high_95 = std::max(c.high_95, m.coverage_95);
    }
    return c;
}

constexpr std::array<const char*, 3> kBaselines = {"persistence", "seasonal_naive_24", "seasonal_naive_168"};

// Scored on load (MAE, RMSE, ...): the regressor families, and the baselines, which are no family at all.
// The manifest's and the run's record of where the meter is (none without daylight inputs).
Json location_json(const std::optional<features::Location>& at) {
    if (!at) return Json();
    return {{"latitude", at->latitude}, {"longitude", at->longitude}, {"utc_offset_hours", at->utc_offset_hours}};
}

bool scored_on_load(std::string_view model) {
    return models::is_regressor(model) ||
           std::any_of(kBaselines.begin(), kBaselines.end(), [&](const char* b) { return model == b; });
}

class Trainer {
public:
    // Without a tracker and registry (null) only backtest_only() may be called.
    Trainer(registry::ExperimentTracker* tracker, registry::ModelRegistry* registry, std::string tenant,
            const TrainConfig& config, const std::vector<features::FeatureRow>& rows)
        : tracker_(tracker), registry_(registry), tenant_(std::move(tenant)), config_(config) {
        static_assert(features::kLags[0] == 1);
        for (const auto& r : rows) {
            // The baselines repeat loads as they were known at the forecast origin (features/point_in_time.h),
            // as the models' inputs do: the hour before each row, its lag_1.
            if (!std::isnan(r.value[0])) known_load_[r.hour - 60] = r.value[0];
            layout_.with_weather = layout_.with_weather || !std::isnan(r.temperature_lag_1);
        }
        layout_.groups = config_.input_groups;
        layout_.location = config_.location;
        feature_specs_ = models::model_features(layout_);
        int previous = 0;
        for (int h : config_.horizons) {
            const LeadBucket bucket{previous + 1, h};
            previous = h;
            BucketData bd{build_design(rows, bucket, config_.leads_per_target_default, layout_),
                          build_design(rows, bucket, kEveryLead, layout_),
                          {},
                          {}};
            for (const auto& family : config_.families)
                if (const int k = bd.leads_used(config_.leads_per_target_of(family));
                    k != bd.leads_used(config_.leads_per_target_default) && !bd.train_by_leads.count(k))
                    bd.train_by_leads.emplace(k, build_design(rows, bucket, k, layout_));
            if (bd.train.y.size() == 0)
                throw Error(fmt::format("tenant {} has no complete feature rows for leads {}..{} h (a week of history is "
                                        "needed for the 168 h lag; features built before {} lack the inputs of {})",
                                        tenant_, bucket.first_lead, bucket.last_lead, features::kFeatureSetVersion,
                                        fmt::join(config_.input_groups, ", ")),
                            "ingest more data, then rerun 'voltedge features --tenant " + tenant_ + "'");
            bd.splits = make_splits(bd.train.target_hour.front(), bd.train.target_hour.back(), h, config_.backtest);
            buckets_.push_back(std::move(bd));
        }
    }

    TrainReport run() {
        const auto start = Clock::now();
        experiment_ = tracker_->experiment(experiment_name(tenant_));  // fails fast if the tracker is down
        fail_abandoned_runs();
        score_baselines();
        TrainReport report;
        registry::Run champion_run;
        double champion_mae = INFINITY;
        for (const auto& family : config_.families) {
            if (family == "ensemble") resolve_ensemble_members();
            const auto family_start = Clock::now();
            const registry::Run run = run_family(family);
            const double seconds = seconds_since(family_start);
            report.families.push_back({family, run.run_id, seconds});
            log_info("family_trained",
                     {{"tenant_id", tenant_}, {"family", family}, {"run_id", run.run_id}, {"seconds", seconds}});
            if (!models::is_regressor(family)) continue;
            const double mae = lead_weighted_mae(family);
            if (mae < champion_mae) {
                champion_mae = mae;
                report.champion = family;
                champion_run = run;
            }
        }
        log_baselines_run();
        report.model_name = registry_->model_name(tenant_);
        if (!report.champion.empty()) {
            tracker_->mark_champion(champion_run);
            report.registered_version =
                registry::register_champion(*registry_, champion_run, tenant_, report.champion, source_commit()).version;
        }
        report.scores = scores_;
        for (const auto& family : config_.families)
            if (models::is_regressor(family)) report.lead_weighted_mae[family] = lead_weighted_mae(family);
        for (const char* name : kBaselines) report.lead_weighted_mae[name] = lead_weighted_mae(name);
        report.intervals = interval_scores_;
        report.seconds = seconds_since(start);
        return report;
    }

    // One family's backtest, nothing tracked: pooled MAE by lead and the champion criterion.
    BacktestSummary backtest_only(const std::string& family) {
        const auto start = Clock::now();
        if (!models::is_regressor(family) || family == "ensemble")
            throw Error(family + " cannot be backtested on its own",
                        "compare single regression families; 'voltedge train' builds the ensemble from them");
        for (const auto& bd : buckets_) backtest(family, bd, nullptr);
        BacktestSummary summary;
        for (int lead = 1; lead <= config_.horizons.back(); ++lead)
            summary.mae_by_lead[lead] = pooled(family, lead).regression.mae;
        summary.lead_weighted_mae = lead_weighted_mae(family);
        if (const auto it = interval_scores_.find(family); it != interval_scores_.end() && !it->second.empty()) {
            const CoverageOverLeads c = coverage_over_leads(it->second);
            summary.coverage_80 = c.mean_80;
            summary.coverage_95 = c.mean_95;
        }
        summary.seconds = seconds_since(start);
        return summary;
    }

private:
    std::size_t bucket_index(const BucketData& bd) const { return static_cast<std::size_t>(&bd - buckets_.data()); }

    // The configured hyperparameters; for the ensemble, its members as resolved for this run.
    Json params_for(const std::string& family) const {
        if (family != "ensemble") return config_.params_of(family);
        return {{"members", ensemble_members_}};
    }

    // The ensemble's members: the ones listed, or the N best regressors trained before it in this run (N from
    // "members": N, 2 by default), by the champion criterion.
    void resolve_ensemble_members() {
        const Json p = config_.params_of("ensemble");
        const Json members = p.is_object() && p.contains("members") ? p["members"] : Json(2);
        ensemble_members_.clear();
        if (members.is_array()) {
            for (const auto& m : members) ensemble_members_.push_back(m.get<std::string>());
            return;
        }
        std::vector<std::string> trained;
        for (const auto& f : config_.families)
            if (backtest_predictions_.count(f)) trained.push_back(f);
        std::sort(trained.begin(), trained.end(),
                  [&](const auto& a, const auto& b) { return lead_weighted_mae(a) < lead_weighted_mae(b); });
        trained.resize(std::min(trained.size(), members.get<std::size_t>()));
        ensemble_members_ = trained;
    }

    // Mean of the members' backtest predictions of one split.
    std::vector<double> member_mean(const BucketData& bd, int split) const {
        std::vector<double> mean;
        for (const auto& member : ensemble_members_) {
            const auto& p = backtest_predictions_.at(member).at(bucket_index(bd)).at(static_cast<std::size_t>(split));
            if (mean.empty()) mean.assign(p.size(), 0.0);
            for (std::size_t i = 0; i < p.size(); ++i) mean[i] += p[i] / static_cast<double>(ensemble_members_.size());
        }
        return mean;
    }

    // Runs left RUNNING by a training process that died (kill -9, a crash). The caller holds the tenant's
    // training lock, so no live process owns them.
    void fail_abandoned_runs() {
        for (const auto& run : tracker_->unfinished_runs(experiment_)) {
            tracker_->fail(run, "abandoned: the training process ended without finishing this run (found by a later run)");
            log_event("warn", "abandoned_run_failed", {{"tenant_id", tenant_}, {"run_id", run.run_id}});
        }
    }

    // The champion criterion: MAE averaged over every lead 1..max with weight 1/lead. Near leads weigh most
    // (they drive dispatch and are forecast most often) without the far ones counting for nothing.
    double lead_weighted_mae(const std::string& model) const {
        double sum = 0, weights = 0;
        for (int lead = 1; lead <= config_.horizons.back(); ++lead) {
            sum += pooled(model, lead).regression.mae / lead;
            weights += 1.0 / lead;
        }
        return sum / weights;
    }

    const SplitScore& pooled(const std::string& model, int horizon) const {
        for (const auto& s : scores_)
            if (s.model == model && s.horizon == horizon && s.split < 0) return s;
        throw Error("no pooled score for " + model);
    }

    double known_load_at(Minute hour) const {
        const auto it = known_load_.find(hour);
        return it == known_load_.end() ? NAN : it->second;
    }

    // Persistence repeats the last known hour; seasonal-naive repeats the same hour one season (or as many
    // seasons as the horizon needs) earlier, falling back to persistence where that hour is missing.
    double baseline(const std::string& name, Minute target, int h) const {
        const double persistence = known_load_at(target - 60 * h);
        if (name == "persistence") return persistence;
        const int season = name == "seasonal_naive_24" ? 24 : 168;
        const double v = known_load_at(target - 60 * season * ((h + season - 1) / season));
        return std::isnan(v) ? persistence : v;
    }

    bool scored(const Design& d, Eigen::Index row) const { return config_.score_imputed_targets || d.imputed_minutes[row] == 0; }

    // `predicted_by_split` holds a prediction for every test row of each split; only the scored ones count.
    // Scores: pooled over the splits for every lead of the bucket, and per split for its longest lead.
    void add_regression_scores(const std::string& model, const BucketData& bd,
                               const std::vector<std::vector<double>>& predicted_by_split) {
        struct Pairs {
            std::vector<double> actual, predicted;
            std::size_t excluded = 0;
        };
        std::map<int, Pairs> by_lead;
        for (const Split& s : bd.splits) {
            const Rows r = rows_between(bd.test, s.test_begin, s.test_end);
            Pairs split;
            for (Eigen::Index i = 0; i < r.count; ++i) {
                const Eigen::Index row = r.first + i;
                const int lead = bd.test.lead[row];
                Pairs& pooled = by_lead[lead];
                Pairs* targets[] = {&pooled, lead == bd.last_lead() ? &split : nullptr};
                for (Pairs* t : targets) {
                    if (!t) continue;
                    if (!scored(bd.test, row)) {
                        ++t->excluded;
                        continue;
                    }
                    t->actual.push_back(bd.test.y[row]);
                    t->predicted.push_back(predicted_by_split[s.index][i]);
                }
            }
            scores_.push_back(
                {model, bd.last_lead(), s.index, s, split.excluded, regression_metrics(split.actual, split.predicted), {}});
        }
        for (const auto& [lead, pairs] : by_lead)
            scores_.push_back({model, lead, -1, {}, pairs.excluded, regression_metrics(pairs.actual, pairs.predicted), {}});
    }

    void score_baselines() {
        for (const auto& bd : buckets_)
            for (const char* name : kBaselines) {
                std::vector<std::vector<double>> predicted;
                for (const Split& s : bd.splits) {
                    const Rows r = rows_between(bd.test, s.test_begin, s.test_end);
                    std::vector<double> p;
                    for (Eigen::Index i = r.first; i < r.first + r.count; ++i)
                        p.push_back(baseline(name, bd.test.target_hour[i], bd.test.lead[i]));
                    predicted.push_back(std::move(p));
                }
                add_regression_scores(name, bd, predicted);
            }
    }

    // Backtests one family on every horizon's splits; returns the predictions of the last split of the
    // first horizon (for the plot) through `last`.
    struct LastSplit {
        std::vector<Minute> hours;
        std::vector<double> actual, predicted;
        std::vector<std::array<double, 4>> bands;  // 80 % and 95 % intervals calibrated on the earlier folds
        Matrix X;
        std::unique_ptr<models::Model> model;
    };

    void backtest(const std::string& family, const BucketData& bd, LastSplit* last) {
        const bool regressor = models::is_regressor(family);
        std::vector<std::vector<double>> predicted_by_split;
        std::vector<int> all_labels;
        std::vector<double> all_probabilities;
        std::vector<double> all_decisions;  // per row: the threshold its split chose on its training data
        std::size_t all_excluded = 0;
        const Design& design = bd.train_with(config_.leads_per_target_of(family));
        for (const Split& s : bd.splits) {
            const Rows train = rows_between(design, s.train_begin, s.train_end);
            const Rows test = rows_between(bd.test, s.test_begin, s.test_end);
            const Matrix X_train = design.X.middleRows(train.first, train.count);
            const Vector y_train = design.y.segment(train.first, train.count);
            const Matrix X_test = bd.test.X.middleRows(test.first, test.count);
            const double threshold = peak_threshold(y_train);
            std::unique_ptr<models::Model> model;
            std::vector<double> predicted;
            if (family == "ensemble") {  // the members' predictions of this very split, averaged: nothing to fit
                predicted = member_mean(bd, s.index);
            } else {
                model = models::make_model(family, config_.seed, params_for(family));
                model->fit(X_train, regressor ? y_train : peak_labels(y_train, threshold));
                predicted = to_std(model->predict(X_test));
            }
            if (regressor) {
                predicted_by_split.push_back(predicted);
            } else {
                std::vector<int> labels;
                std::vector<double> probabilities;
                std::size_t excluded = 0;
                for (Eigen::Index i = 0; i < test.count; ++i) {
                    if (!scored(bd.test, test.first + i)) {
                        ++excluded;
                        continue;
                    }
                    labels.push_back(bd.test.y[test.first + i] >= threshold);
                    probabilities.push_back(predicted[i]);
                }
                std::vector<int> train_labels;
                for (double v : to_std(peak_labels(y_train, threshold))) train_labels.push_back(static_cast<int>(v));
                const double decision = best_f1_threshold(train_labels, to_std(model->predict(X_train)));
                scores_.push_back(
                    {family, bd.last_lead(), s.index, s, excluded, {}, classification_metrics(labels, probabilities, decision)});
                all_decisions.insert(all_decisions.end(), labels.size(), decision);
                all_labels.insert(all_labels.end(), labels.begin(), labels.end());
                all_probabilities.insert(all_probabilities.end(), probabilities.begin(), probabilities.end());
                all_excluded += excluded;
            }
            if (last && s.index + 1 == static_cast<int>(bd.splits.size())) {  // the bucket's first lead, for the plots
                std::vector<Eigen::Index> rows;
                for (Eigen::Index i = 0; i < test.count; ++i)
                    if (bd.test.lead[test.first + i] == bd.test.bucket.first_lead) rows.push_back(i);
                last->X.resize(static_cast<Eigen::Index>(rows.size()), X_test.cols());
                for (std::size_t k = 0; k < rows.size(); ++k) {
                    last->hours.push_back(bd.test.target_hour[test.first + rows[k]]);
                    last->actual.push_back(bd.test.y[test.first + rows[k]]);
                    last->predicted.push_back(predicted[rows[k]]);
                    last->X.row(static_cast<Eigen::Index>(k)) = X_test.row(rows[k]);
                }
                last->model = std::move(model);
            }
        }
        if (regressor) {
            backtest_predictions_[family][bucket_index(bd)] = predicted_by_split;
            add_regression_scores(family, bd, predicted_by_split);
            const models::ConformalIntervals last_calibration = score_intervals(family, bd, predicted_by_split);
            for (std::size_t k = 0; last && k < last->hours.size(); ++k) {
                const auto iv = last_calibration.around(last->predicted[k], bd.test.bucket.first_lead,
                                                        features::calendar_of(last->hours[k]).daypart,
                                                        models::ConformalIntervals::level_of(last->X.row(k).data()));
                if (!iv) break;  // a single fold: nothing earlier to calibrate on
                last->bands.push_back({iv->lower_80, iv->upper_80, iv->lower_95, iv->upper_95});
            }
        } else
            scores_.push_back({family,
                               bd.last_lead(),
                               -1,
                               {},
                               all_excluded,
                               {},
                               classification_metrics(all_labels, all_probabilities, all_decisions)});
    }

    // Split-conformal intervals (models/intervals.h). Fold k is scored with intervals calibrated on the errors of
    // folds 0..k-1 only, so coverage is measured on errors the calibration never saw (fold 0 is not scored);
    // the bundle's intervals (intervals_) take every fold's errors. Imputed targets neither calibrate nor count.
    // Returns the calibration the last fold was scored with (for the forecast plot).
    models::ConformalIntervals score_intervals(const std::string& family, const BucketData& bd,
                                               const std::vector<std::vector<double>>& predicted_by_split) {
        models::ConformalIntervals earlier, last_calibration;
        std::map<int, std::vector<IntervalPoint>> points;
        for (const Split& s : bd.splits) {
            // The calibration as the bundle would carry it: its offsets computed once per fold, not per row.
            const auto calibrated = models::ConformalIntervals::from_json(earlier.to_json());
            last_calibration = calibrated;
            const Rows r = rows_between(bd.test, s.test_begin, s.test_end);
            std::vector<std::tuple<int, int, double, double>> errors;
            for (Eigen::Index i = 0; i < r.count; ++i) {
                const Eigen::Index row = r.first + i;
                if (!scored(bd.test, row)) continue;
                const int lead = bd.test.lead[row], daypart = features::calendar_of(bd.test.target_hour[row]).daypart;
                const double forecast = predicted_by_split[s.index][i], actual = bd.test.y[row];
                const double level = models::ConformalIntervals::level_of(bd.test.X.row(row).data());
                if (const auto iv = calibrated.around(forecast, lead, daypart, level))
                    points[lead].push_back({actual, iv->lower_80, iv->upper_80, iv->lower_95, iv->upper_95});
                errors.emplace_back(lead, daypart, actual - forecast, level);
            }
            for (const auto& [lead, daypart, error, level] : errors) {
                earlier.add(lead, daypart, error, level);
                intervals_.add(lead, daypart, error, level);
            }
        }
        for (const auto& [lead, p] : points) interval_scores_[family][lead] = interval_metrics(p);
        return last_calibration;
    }

    // Fits on every row of the horizon, saves the model and returns its global importance (mean |contribution|
    // over the last 200 rows: enough to rank the inputs; the sampled-permutation and ensemble explanations cost per row) by
    // feature name.
    Json fit_final(const std::string& family, const BucketData& bd, const fs::path& file) {
        const Design& d = bd.train_with(config_.leads_per_target_of(family));
        const bool regressor = models::is_regressor(family);
        const double threshold = peak_threshold(d.y);
        std::unique_ptr<models::Model> model;
        if (family == "ensemble") {  // the members' final models as they were fitted and saved
            std::vector<std::unique_ptr<models::Model>> members;
            for (const auto& member : ensemble_members_) {
                const fs::path member_file = file.parent_path() / ("member-" + member + ".json");
                models::write_file(member_file.string(), final_models_.at(member).at(bucket_index(bd)));
                members.push_back(models::load_model(member_file.string()));
                fs::remove(member_file);
            }
            model = models::ensemble_of(std::move(members));
        } else {
            model = models::make_model(family, config_.seed, params_for(family));
            model->fit(d.X, regressor ? d.y : peak_labels(d.y, threshold));
        }
        model->save(file.string());
        if (regressor) final_models_[family][bucket_index(bd)] = models::read_file(file.string());
        const Eigen::Index n = std::min<Eigen::Index>(200, d.X.rows());
        const auto explanations = model->explain(d.X.bottomRows(n));
        Json importance = Json::object();
        for (std::size_t j = 0; j < feature_specs_.size(); ++j) {
            double sum = 0;
            for (const auto& e : explanations) sum += std::abs(e.contributions[j]);
            importance[feature_specs_[j].name] = sum / n;
        }
        Json entry = {{"file", file.filename().string()}, {"global_importance", importance}};
        if (!regressor) {
            std::vector<int> labels;
            for (double v : to_std(peak_labels(d.y, threshold))) labels.push_back(static_cast<int>(v));
            entry["peak_threshold_kw"] = threshold;
            entry["decision_threshold"] = best_f1_threshold(labels, to_std(model->predict(d.X)));
        }
        return entry;
    }

    std::string backtest_csv(const std::string& family) const {
        std::string csv =
            "model,lead_h,split,train_begin,train_end,test_begin,test_end,n,imputed_excluded,mae,rmse,mape_pct,wape_pct,auc,f1,"
            "log_loss,coverage_80,width_80,coverage_95,width_95,pinball\n";
        for (const auto& s : scores_) {
            const bool baseline = s.model == "persistence" || s.model.starts_with("seasonal_naive");
            if (s.model != family && !(baseline && models::is_regressor(family))) continue;
            const bool whole = s.split < 0;
            const auto when = [&](Minute m) { return whole ? std::string() : format_minute(m); };
            const bool cls = !scored_on_load(s.model);
            csv += fmt::format("{},{},{},{},{},{},{},{},{},", s.model, s.horizon, whole ? "all" : std::to_string(s.split),
                               when(s.bounds.train_begin), when(s.bounds.train_end), when(s.bounds.test_begin),
                               when(s.bounds.test_end), cls ? s.classification.n : s.regression.n, s.imputed_excluded);
            csv += cls ? fmt::format(",,,,{},{},{},,,,,\n", s.classification.auc, s.classification.f1, s.classification.log_loss)
                       : fmt::format("{},{},{},{},,,,{}\n", s.regression.mae, s.regression.rmse, s.regression.mape,
                                     s.regression.wape, whole ? interval_cells(s.model, s.horizon) : ",,,,");
        }
        return csv;
    }

    // The test windows of the splits, "[begin, end) …" (the same target hours at every horizon).
    std::string test_windows() const {
        std::string out;
        for (const Split& s : buckets_.front().splits)
            out += fmt::format("{}[{}, {})", out.empty() ? "" : " ", format_minute(s.test_begin), format_minute(s.test_end));
        return out;
    }

    // Exactly which target hours were scored: per horizon and split, runs of consecutive scored hours.
    std::string scored_hours_csv() const {
        std::string csv = "lead_h,split,first_hour,last_hour,hours\n";
        for (const auto& bd : buckets_)
            for (const Split& s : bd.splits) {
                const Rows test = rows_between(bd.test, s.test_begin, s.test_end);
                std::map<int, std::vector<Minute>> hours;  // by lead
                for (Eigen::Index row = test.first; row < test.first + test.count; ++row)
                    if (scored(bd.test, row)) hours[bd.test.lead[row]].push_back(bd.test.target_hour[row]);
                for (const auto& [lead, h] : hours)
                    for (std::size_t i = 0; i < h.size();) {
                        std::size_t j = i;
                        while (j + 1 < h.size() && h[j + 1] == h[j] + 60) ++j;
                        csv += fmt::format("{},{},{},{},{}\n", lead, s.index, format_minute(h[i]), format_minute(h[j]),
                                           j - i + 1);
                        i = j + 1;
                    }
            }
        return csv;
    }

    const IntervalMetrics* interval_score(const std::string& model, int lead) const {
        const auto m = interval_scores_.find(model);
        if (m == interval_scores_.end()) return nullptr;
        const auto l = m->second.find(lead);
        return l == m->second.end() ? nullptr : &l->second;
    }

    std::string interval_cells(const std::string& model, int lead) const {
        const IntervalMetrics* m = interval_score(model, lead);
        return m ? fmt::format("{},{},{},{},{}", m->coverage_80, m->width_80, m->coverage_95, m->width_95, m->pinball) : ",,,,";
    }

    std::vector<registry::Metric> metrics_of(const std::string& model) const {
        std::vector<registry::Metric> out;
        for (const auto& s : scores_) {
            if (s.model != model) continue;
            const std::string prefix = fmt::format("h{}_", s.horizon), suffix = s.split < 0 ? "_all" : "";
            const int step = std::max(0, s.split);
            auto add = [&](const char* name, double v) {
                if (std::isfinite(v)) out.push_back({prefix + name + suffix, v, step});
            };
            add("imputed_targets_excluded", static_cast<double>(s.imputed_excluded));
            if (scored_on_load(model)) {
                add("mae", s.regression.mae);
                add("rmse", s.regression.rmse);
                add("mape", s.regression.mape);
                add("wape", s.regression.wape);
                if (s.split < 0)
                    add("skill_vs_persistence", 1 - s.regression.mae / pooled("persistence", s.horizon).regression.mae);
                if (s.split < 0 && s.horizon == 1) out.push_back({"lead_weighted_mae", lead_weighted_mae(model), 0});
                if (const IntervalMetrics* iv = s.split < 0 ? interval_score(model, s.horizon) : nullptr) {
                    add("coverage_80", iv->coverage_80);
                    add("width_80", iv->width_80);
                    add("coverage_95", iv->coverage_95);
                    add("width_95", iv->width_95);
                    add("pinball", iv->pinball);
                }
            } else {
                add("auc", s.classification.auc);
                add("f1", s.classification.f1);
                add("log_loss", s.classification.log_loss);
            }
        }
        return out;
    }

    // The target hours the final models are fitted on (each horizon's every complete row), for model cards.
    Minute first_target_hour() const {
        Minute first = buckets_.front().train.target_hour.front();
        for (const auto& bd : buckets_) first = std::min(first, bd.train.target_hour.front());
        return first;
    }
    Minute last_target_hour() const {
        Minute last = buckets_.front().train.target_hour.back();
        for (const auto& bd : buckets_) last = std::max(last, bd.train.target_hour.back());
        return last;
    }

    registry::Run start_run(const std::string& name) const {
        return tracker_->start_run(experiment_, name, "voltedge train", source_commit(),
                                   {{"tenant", tenant_},
                                    {"family", name},
                                    {"source_commit", source_commit()},
                                    {"feature_set_version", features::kFeatureSetVersion}});
    }

    registry::Tags run_params(const models::Model& model) const {
        std::string horizons;
        for (int h : config_.horizons) horizons += (horizons.empty() ? "" : ",") + std::to_string(h);
        auto params = model.params();
        const std::vector<std::pair<std::string, std::string>> general = {
            {"horizons_h", horizons},
            {"folds", std::to_string(buckets_.front().splits.size())},
            {"fold_hours", config_.backtest.windows.empty() ? std::to_string(config_.backtest.fold_hours) : "by date"},
            {"test_windows", test_windows()},
            {"window", config_.backtest.window},
            {"train_hours", config_.backtest.window == "sliding" ? std::to_string(config_.backtest.train_hours) : "all"},
            {"seed", std::to_string(config_.seed)},
            {"leads_per_target", std::to_string(config_.leads_per_target_of(model.family()))},
            {"score_imputed_targets", config_.score_imputed_targets ? "true" : "false"},
            {"n_features", std::to_string(feature_specs_.size())},
            {"input_groups", fmt::format("{}", fmt::join(layout_.groups, ","))},
            {"location", config_.location ? location_json(config_.location).dump() : "none"},
            {"train_first_hour", format_minute(first_target_hour())},
            {"train_last_hour", format_minute(last_target_hour())},
            {"feature_set_version", features::kFeatureSetVersion}};
        for (const auto& [k, v] : general)  // a family may already report one (XGBoost's seed)
            if (std::none_of(params.begin(), params.end(), [&](const auto& p) { return p.first == k; }))
                params.emplace_back(k, v);
        return params;
    }

    void upload_dir(const registry::Run& run, const fs::path& dir) {
        for (const auto& entry : fs::recursive_directory_iterator(dir))
            if (entry.is_regular_file())
                tracker_->upload(run, fs::relative(entry.path(), dir).generic_string(), models::read_file(entry.path().string()));
    }

    registry::Run run_family(const std::string& family) {
        const registry::Run run = start_run(family);
        const fs::path dir = fs::temp_directory_path() / fmt::format("voltedge-train-{}-{}", getpid(), family);
        try {
            fs::remove_all(dir);
            fs::create_directories(dir / "model");
            LastSplit last;
            Json bundle = {{"family", family},
                           {"tenant", tenant_},
                           {"feature_set_version", features::kFeatureSetVersion},
                           {"source_commit", source_commit()},
                           {"with_weather", layout_.with_weather},
                           {"input_groups", layout_.groups},
                           {"location", location_json(layout_.location)},
                           {"horizons", Json::object()}};
            Json feature_list = Json::array();
            for (const auto& f : feature_specs_) feature_list.push_back({{"name", f.name}, {"type", f.type}});
            bundle["features"] = feature_list;
            intervals_ = {};
            for (const auto& bd : buckets_) {
                backtest(family, bd, &bd == &buckets_.front() ? &last : nullptr);
                bundle["horizons"][std::to_string(bd.last_lead())] = fit_final(family, bd,
                                                                               dir / "model" /
                                                                                   fmt::format("h{}.json", bd.last_lead()));
            }
            if (!intervals_.empty()) bundle["intervals"] = intervals_.to_json();
            models::write_file((dir / "model" / "bundle.json").string(), bundle.dump(2));
            models::write_file((dir / "features.json").string(), feature_list.dump(2));
            models::write_file((dir / "backtest.csv").string(), backtest_csv(family));
            models::write_file((dir / "scored_hours.csv").string(), scored_hours_csv());
            const int h = buckets_.front().train.bucket.first_lead;
            if (models::is_regressor(family)) {
                std::vector<std::vector<double>> mae;
                for (const std::string& model : {family, std::string("persistence"), std::string("seasonal_naive_24")}) {
                    mae.emplace_back();
                    for (int lead = 1; lead <= config_.horizons.back(); ++lead)
                        mae.back().push_back(pooled(model, lead).regression.mae);
                }
                plot_mae_by_lead((dir / "mae_by_lead.png").string(),
                                 fmt::format("{} - pooled backtest MAE by lead (tenant {})", family, tenant_),
                                 {family, "persistence", "seasonal_naive_24"}, mae);
                plot_forecast_vs_actual(
                    (dir / "forecast_vs_actual.png").string(),
                    fmt::format(
                        "{} - {} h ahead with 80 % and 95 % intervals calibrated on earlier folds, last backtest fold (tenant {})",
                        family, h, tenant_),
                    last.hours, last.actual, last.predicted, last.bands);
            }
            if (family == "random_forest" || family == "xgboost") {
                const auto explanations = last.model->explain(last.X);
                Matrix shap(last.X.rows(), last.X.cols());
                for (Eigen::Index r = 0; r < shap.rows(); ++r)
                    for (Eigen::Index j = 0; j < shap.cols(); ++j) shap(r, j) = explanations[r].contributions[j];
                std::vector<std::string> names;
                for (const auto& f : feature_specs_) names.push_back(f.name);
                plot_shap_summary((dir / "shap_summary.png").string(),
                                  fmt::format("{} - TreeSHAP in kW, {} h ahead, last backtest fold", family, h), names, last.X,
                                  shap);
            }
            tracker_->log(run, metrics_of(family), run_params(*models::make_model(family, config_.seed, params_for(family))));
            upload_dir(run, dir);
            tracker_->record_model(run, "model", family);
            tracker_->finish(run);
            fs::remove_all(dir);
            return run;
        } catch (const std::exception& e) {
            fs::remove_all(dir);
            fail_quietly(run, e.what());
            throw;
        }
    }

    void log_baselines_run() {
        const registry::Run run = start_run("baselines");
        try {
            std::vector<registry::Metric> metrics;
            for (const char* name : kBaselines)
                for (auto m : metrics_of(name)) {
                    m.key = std::string(name) + "_" + m.key;
                    metrics.push_back(m);
                }
            tracker_->log(run, metrics, {{"models", "persistence,seasonal_naive_24,seasonal_naive_168"}});
            tracker_->upload(run, "backtest.csv", backtest_csv("baselines"));
            tracker_->upload(run, "scored_hours.csv", scored_hours_csv());
            tracker_->finish(run);
        } catch (const std::exception& e) {
            fail_quietly(run, e.what());
            throw;
        }
    }

    void fail_quietly(const registry::Run& run, const std::string& reason) {
        try {
            tracker_->fail(run, reason);
        } catch (...) {  // the tracker itself may be what failed; the original error is the one to report
        }
    }

    registry::ExperimentTracker* tracker_;
    registry::ModelRegistry* registry_;
    std::string tenant_;
    const TrainConfig& config_;
    models::InputLayout layout_;
    std::vector<models::FeatureSpec> feature_specs_;
    std::unordered_map<Minute, double> known_load_;
    std::vector<BucketData> buckets_;
    models::ConformalIntervals intervals_;                                   // of the family being trained
    std::map<std::string, std::map<int, IntervalMetrics>> interval_scores_;  // family -> lead -> held-out figures
    std::vector<SplitScore> scores_;
    std::string experiment_;
    // Of the regressors trained so far, by bucket: what the ensemble combines without fitting anything again.
    std::map<std::string, std::map<std::size_t, std::vector<std::vector<double>>>> backtest_predictions_;  // by split
    std::map<std::string, std::map<std::size_t, std::string>> final_models_;                               // the saved model file
    std::vector<std::string> ensemble_members_;
};

}  // namespace

namespace {

Minute hour_in_config(const Json& value, const std::string& where) {
    const auto hour = value.is_string() ? parse_minute(value.get<std::string>()) : std::nullopt;
    if (!hour) throw Error(where + " must be a time like \"2010-07-01 00:00\" (got " + value.dump() + ")");
    if (*hour % 60 != 0)
        throw Error(where + " must be on the hour (got " + value.dump() + ")", "the backtest scores whole hours");
    return *hour;
}

// Dated folds: "fold_windows": [{"test_start": …, "test_end": …}, …], each end exclusive.
std::vector<TestWindow> fold_windows_in_config(const Json& list, const std::string& origin) {
    if (!list.is_array() || list.empty()) throw Error(origin + ": \"fold_windows\" must be a non-empty list of folds");
    std::vector<TestWindow> out;
    for (std::size_t k = 0; k < list.size(); ++k) {
        const std::string where = fmt::format("{}: fold_windows[{}]", origin, k);
        const Json& w = list[k];
        if (!w.is_object() || !w.contains("test_start") || !w.contains("test_end") || w.size() != 2)
            throw Error(where + " must be {\"test_start\": …, \"test_end\": …}");
        out.push_back(
            {hour_in_config(w["test_start"], where + ".test_start"), hour_in_config(w["test_end"], where + ".test_end")});
    }
    return out;
}

// "location": {"latitude": 48.78, "longitude": 2.29, "utc_offset_hours": 1}: where the meter is, and the fixed
// offset of its clock from UTC (a clock that keeps summer time has none: give its winter offset).
features::Location location_in_config(const Json& value, const std::string& origin) {
    const std::string hint = R"(e.g. "location": {"latitude": 48.78, "longitude": 2.29, "utc_offset_hours": 1})";
    const auto number = [&](const char* key, double low, double high) {
        if (!value.contains(key) || !value[key].is_number())
            throw Error(fmt::format("{}: location.{} is missing or not a number", origin, key), hint);
        const double x = value[key].get<double>();
        if (!(x >= low && x <= high))
            throw Error(fmt::format("{}: location.{} is {}, outside {}..{}", origin, key, x, low, high), hint);
        return x;
    };
    if (!value.is_object() || value.size() != 3)
        throw Error(origin + ": \"location\" must have exactly latitude, longitude and utc_offset_hours", hint);
    return {number("latitude", -90, 90), number("longitude", -180, 180), number("utc_offset_hours", -12, 14)};
}

}  // namespace

TrainConfig TrainConfig::from_json(const std::string& text, const std::string& origin) {
    const Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error(origin + " is not a JSON object", "see configs/training.json");
    TrainConfig c;
    const std::set<std::string> known = {"families",
                                         "horizons",
                                         "folds",
                                         "fold_days",
                                         "fold_hours",
                                         "test_start",
                                         "test_end",
                                         "window",
                                         "train_days",
                                         "fold_windows",
                                         "score_imputed_targets",
                                         "seed",
                                         "leads_per_target",
                                         "input_groups",
                                         "location",
                                         "params"};
    std::optional<Minute> test_start, test_end;
    for (const auto& [key, value] : j.items()) {
        if (!known.count(key)) {
            std::string names;
            for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
            throw Error(origin + ": unknown key \"" + key + "\"", "known keys: " + names);
        }
        try {
            if (key == "families") c.families = value.get<std::vector<std::string>>();
            if (key == "horizons") c.horizons = value.get<std::vector<int>>();
            if (key == "folds") c.backtest.folds = value.get<int>();
            if (key == "fold_days") c.backtest.fold_hours = 24 * value.get<int>();
            if (key == "fold_hours") c.backtest.fold_hours = value.get<int>();
            if (key == "test_start") test_start = hour_in_config(value, origin + ": test_start");
            if (key == "test_end") test_end = hour_in_config(value, origin + ": test_end");
            if (key == "fold_windows") c.backtest.windows = fold_windows_in_config(value, origin);
            if (key == "window") c.backtest.window = value.get<std::string>();
            if (key == "train_days") c.backtest.train_hours = 24 * value.get<int>();
            if (key == "seed") c.seed = value.get<std::uint64_t>();
            if (key == "leads_per_target" && value.is_object()) {
                c.leads_per_target = value.get<std::map<std::string, int>>();
                c.leads_per_target_default = 1;
            } else if (key == "leads_per_target") {
                c.leads_per_target.clear();
                c.leads_per_target_default = value.get<int>();
            }
            if (key == "input_groups") c.input_groups = value.get<std::vector<std::string>>();
            if (key == "location") c.location = location_in_config(value, origin);
            if (key == "params") {
                if (!value.is_object()) throw Json::type_error::create(302, "params", nullptr);
                for (const auto& [family, p] : value.items()) c.params[family] = p;
            }
            if (key == "score_imputed_targets") c.score_imputed_targets = value.get<bool>();
        } catch (const Json::exception&) {
            throw Error(origin + ": \"" + key + "\" has the wrong type (" + value.dump() + ")", "see configs/training.json");
        }
    }
    if (c.location && !j.contains("input_groups")) c.input_groups.push_back("daylight");
    if (j.contains("fold_days") && j.contains("fold_hours"))
        throw Error(origin + ": give the fold length once, as \"fold_days\" or \"fold_hours\"");
    if (test_start.has_value() != test_end.has_value())
        throw Error(origin + ": \"test_start\" and \"test_end\" go together", "test_end is the first hour after the test window");
    if (j.contains("fold_windows") && (test_start || j.contains("folds") || j.contains("fold_days") || j.contains("fold_hours")))
        throw Error(origin +
                    ": \"fold_windows\" lists the folds by date; drop folds, fold_days, fold_hours, test_start and test_end");
    if (test_start) {
        if (j.contains("fold_days") || j.contains("fold_hours"))
            throw Error(origin + ": with test_start and test_end the folds split that window; drop fold_days/fold_hours");
        if (*test_end <= *test_start)
            throw Error(fmt::format("{}: the test window [{}, {}) is empty", origin, format_minute(*test_start),
                                    format_minute(*test_end)),
                        "test_end must be later than test_start (it is the first hour after the window)");
        c.backtest.windows = windows_between(*test_start, *test_end, c.backtest.folds);
    }
    c.validate();
    return c;
}

void TrainConfig::validate() const {
    if (families.empty()) throw Error("no model families configured", "list some in \"families\"");
    for (const auto& f : families)
        if (!models::find_family(f))
            throw Error("unknown model family '" + f + "' in the training config", "use some of: " + models::family_names());
    if (horizons.empty()) throw Error("no horizons configured", "set \"horizons\", e.g. [1, 24]");
    for (int h : horizons)
        if (h < 1 || h > 48) throw Error(fmt::format("horizon {} h is out of range", h), "horizons must be 1..48 hours");
    if (!std::is_sorted(horizons.begin(), horizons.end()) ||
        std::adjacent_find(horizons.begin(), horizons.end()) != horizons.end())
        throw Error("horizons must be increasing without repeats", "e.g. [1, 24]");
    if (backtest.folds < 1 || backtest.folds > 24) throw Error("folds must be 1..24");
    if (leads_per_target_default < 1 || leads_per_target_default > 48) throw Error("leads_per_target must be 1..48");
    for (const auto& [family, k] : leads_per_target) {
        if (!models::find_family(family))
            throw Error("\"leads_per_target\" names unknown model family '" + family + "'",
                        "use some of: " + models::family_names());
        if (k < 1 || k > 48) throw Error(fmt::format("leads_per_target of {} must be 1..48 (got {})", family, k));
    }
    models::check_input_groups(input_groups, location);
    for (const auto& [family, p] : params) {
        if (!models::find_family(family))
            throw Error("\"params\" names unknown model family '" + family + "'", "use some of: " + models::family_names());
        if (family != "ensemble") models::make_model(family, seed, p);  // bad hyperparameters fail here, naming the key
    }
    check_ensemble();
    if (backtest.fold_hours < 1) throw Error("the fold length must be at least 1 hour");
    check_windows(backtest.windows);
    if (backtest.window != "expanding" && backtest.window != "sliding")
        throw Error("unknown backtest window '" + backtest.window + "'", "use \"expanding\" or \"sliding\"");
}

// The ensemble averages regressors trained before it in the same run: "members" is a count of the best of
// them (2 by default) or a list of them.
void TrainConfig::check_ensemble() const {
    const auto at = std::find(families.begin(), families.end(), "ensemble");
    if (at == families.end()) return;
    std::vector<std::string> before;
    for (auto f = families.begin(); f != at; ++f)
        if (models::is_regressor(*f)) before.push_back(*f);
    const Json p = params_of("ensemble");
    if (!p.is_null() && (!p.is_object() || p.size() != 1 || !p.contains("members")))
        throw Error("\"params\": {\"ensemble\": ...} takes only \"members\" (got " + p.dump() + ")",
                    "a count of the best regressors trained before it, or a list of them");
    const Json members = p.is_null() ? Json(2) : p["members"];
    const std::string hint =
        "list the ensemble after at least two regression families, e.g. [\"xgboost\", \"mlp\", \"ensemble\"]";
    if (members.is_number_integer()) {
        if (members.get<int>() < 2 || members.get<std::size_t>() > before.size())
            throw Error(fmt::format("the ensemble needs 2..{} members (the regressors listed before it); got {}", before.size(),
                                    members.dump()),
                        hint);
        return;
    }
    if (!members.is_array() || members.size() < 2)
        throw Error("\"members\" of the ensemble must be a count or a list of at least two families", hint);
    for (const auto& m : members)
        if (!m.is_string() || std::find(before.begin(), before.end(), m.get<std::string>()) == before.end())
            throw Error("ensemble member " + m.dump() + " is not a regression family listed before the ensemble", hint);
}

std::string experiment_name(const std::string& tenant) { return "voltedge/" + tenant; }

TrainReport train(pqxx::connection& conn, registry::ExperimentTracker& tracker, registry::ModelRegistry& registry,
                  const std::string& tenant, const TrainConfig& config, std::chrono::seconds lock_wait) {
    config.validate();
    const auto rows = load_training_rows(conn, tenant);
    // One training run per tenant at a time. The lock is the connection's, so a killed process releases it,
    // and whoever takes it next may treat runs still marked running as abandoned.
    const db::SessionLock lock(conn, "voltedge.train." + tenant, lock_wait);
    if (!lock.held()) throw Error("tenant " + tenant + " is already being trained by another process", "wait for it to finish");
    return Trainer(&tracker, &registry, tenant, config, rows).run();
}

std::vector<features::FeatureRow> load_training_rows(pqxx::connection& conn, const std::string& tenant) {
    auto rows = db::with_tenant(conn, tenant, [](pqxx::transaction_base& tx) { return features::load_feature_rows(tx); });
    if (rows.empty())
        throw Error("tenant " + tenant + " has no features yet", "run 'voltedge features --tenant " + tenant + "' first");
    return rows;
}

BacktestSummary backtest_family(const std::vector<features::FeatureRow>& rows, const std::string& tenant,
                                const TrainConfig& config, const std::string& family) {
    config.validate();
    return Trainer(nullptr, nullptr, tenant, config, rows).backtest_only(family);
}

std::string format_backtest_table(const TrainReport& report) {
    // The leads that end a model's bucket (the configured horizons) are shown; backtest.csv has every lead.
    std::set<int> shown;
    for (const auto& s : report.scores)
        if (s.split >= 0) shown.insert(s.horizon);
    std::string out = fmt::format("{:<20} {:>4} {:>8} {:>8} {:>9} {:>8} {:>9}\n", "model", "lead", "MAE kW", "RMSE kW", "MAPE %",
                                  "WAPE %", "skill");
    for (const auto& s : report.scores) {
        if (s.split >= 0 || !shown.count(s.horizon) || !scored_on_load(s.model)) continue;
        double persistence = NAN;
        for (const auto& p : report.scores)
            if (p.model == "persistence" && p.horizon == s.horizon && p.split < 0) persistence = p.regression.mae;
        out += fmt::format("{:<20} {:>4} {:>8.4f} {:>8.4f} {:>9.1f} {:>8.1f} {:>+8.1f}%\n", s.model, s.horizon, s.regression.mae,
                           s.regression.rmse, s.regression.mape, s.regression.wape, 100 * (1 - s.regression.mae / persistence));
    }
    if (!report.lead_weighted_mae.empty()) {
        out += "MAE over every lead weighted 1/lead (the champion criterion):";
        for (const auto& [model, mae] : report.lead_weighted_mae) out += fmt::format(" {} {:.4f};", model, mae);
        out.back() = '\n';
    }
    for (const auto& [model, by_lead] : report.intervals) {
        if (by_lead.empty()) continue;
        const CoverageOverLeads c = coverage_over_leads(by_lead);
        out += fmt::format(
            "{:<20} intervals on later folds, calibrated on earlier ones: 80 % covers {:.3f} ({:.3f}..{:.3f} by lead), "
            "95 % covers {:.3f} ({:.3f}..{:.3f})\n",
            model, c.mean_80, c.low_80, c.high_80, c.mean_95, c.low_95, c.high_95);
    }
    for (const auto& s : report.scores)
        if (s.split < 0 && s.model == "persistence" && shown.count(s.horizon))
            out += fmt::format("{:<20} {:>4} {} test hours scored; {} with minutes filled in by ingestion left out{}\n",
                               "(every model)", s.horizon, s.regression.n, s.imputed_excluded,
                               s.imputed_excluded ? " (score_imputed_targets: true counts them)" : "");
    for (const auto& s : report.scores)
        if (s.split < 0 && !scored_on_load(s.model))
            out += fmt::format(
                "{:<20} {:>4} peak-hour classifier: AUC {:.3f}  F1 {:.3f} (threshold tuned on training data)  log-loss {:.4f}\n",
                s.model, s.horizon, s.classification.auc, s.classification.f1, s.classification.log_loss);
    return out;
}

}  // namespace voltedge::training
