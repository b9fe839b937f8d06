#include "training/tuning.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "models/families.h"
#include "models/feature_spec.h"
#include "models/model_io.h"

namespace voltedge::training {
namespace {

using Json = nlohmann::json;

double mae_at(const BacktestSummary& s, int lead) {
    const auto it = s.mae_by_lead.find(lead);
    return it == s.mae_by_lead.end() ? NAN : it->second;
}

// The leads a table shows: 1, 24 and the longest, where the config reaches them.
std::vector<int> shown_leads(const BacktestSummary& s) {
    std::vector<int> leads;
    for (int lead : {1, 24, s.mae_by_lead.empty() ? 1 : s.mae_by_lead.rbegin()->first})
        if (s.mae_by_lead.count(lead) && std::find(leads.begin(), leads.end(), lead) == leads.end()) leads.push_back(lead);
    return leads;
}

// One hyperparameter's range; log-scaled ones are drawn uniformly in log space.
struct Range {
    const char* name;
    double low, high;
    bool integer, log_scale;
};

const std::vector<Range>& search_space(const std::string& family) {
    static const std::vector<Range> xgboost = {{"rounds", 150, 900, true, true},
                                               {"learning_rate", 0.02, 0.15, false, true},
                                               {"max_depth", 3, 10, true, false},
                                               {"subsample", 0.5, 1.0, false, false},
                                               {"colsample_bytree", 0.4, 1.0, false, false},
                                               {"min_child_weight", 1, 60, false, true},
                                               {"reg_lambda", 0.1, 20, false, true}};
    static const std::vector<Range> random_forest = {{"num_parallel_tree", 30, 150, true, false},
                                                     {"max_depth", 6, 16, true, false},
                                                     {"min_child_weight", 1, 40, false, true},
                                                     {"colsample_bynode", 0.2, 0.7, false, false},
                                                     {"subsample", 0.4, 0.9, false, false}};
    static const std::vector<Range> none;
    return family == "xgboost" ? xgboost : family == "random_forest" ? random_forest : none;
}

Json draw(const std::vector<Range>& space, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> unit(0, 1);
    Json p = Json::object();
    for (const Range& r : space) {
        const double u = unit(rng);
        double v = r.log_scale ? std::exp(std::log(r.low) + u * (std::log(r.high) - std::log(r.low)))
                               : r.low + u * (r.high - r.low);
        if (r.integer)
            p[r.name] = static_cast<int>(std::lround(v));
        else
            p[r.name] = std::round(v * 1e4) / 1e4;  // four digits: readable in the config and the tracker
    }
    return p;
}

// The same config scored on its last fold only: the cheap first rung.
TrainConfig last_fold_only(TrainConfig c) {
    if (!c.backtest.windows.empty())
        c.backtest.windows = {c.backtest.windows.back()};
    else
        c.backtest.folds = 1;
    return c;
}

registry::Tags params_as_tags(const Json& params) {
    registry::Tags tags;
    for (const auto& [k, v] : params.items()) tags.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    return tags;
}

std::vector<registry::Metric> summary_metrics(const BacktestSummary& s) {
    std::vector<registry::Metric> m = {{"lead_weighted_mae", s.lead_weighted_mae}, {"seconds", s.seconds}};
    for (int lead : shown_leads(s)) m.push_back({fmt::format("h{}_mae_all", lead), mae_at(s, lead)});
    return m;
}

// Rewrites the config file with `params` for `family`, keeping every other key and its order; written beside
// and renamed over, so a crash leaves the old file or the new one, never half of one.
void write_params_back(const std::string& path, const std::string& family, const Json& params) {
    nlohmann::ordered_json config = nlohmann::ordered_json::parse(models::read_file(path));
    config["params"][family] = nlohmann::ordered_json::parse(params.dump());
    const std::string tmp = path + ".tmp";
    models::write_file(tmp, config.dump(2) + "\n");
    std::filesystem::rename(tmp, path);
}

}  // namespace

std::vector<AblationLine> ablate(const std::vector<features::FeatureRow>& rows, const std::string& tenant,
                                 const TrainConfig& config, const std::string& family) {
    auto all = models::input_groups();
    if (!config.location) std::erase(all, "daylight");  // it needs the meter's location
    std::vector<std::pair<std::string, std::vector<std::string>>> variants = {{"none", {}}};
    for (const auto& g : all) variants.push_back({"+" + g, {g}});
    variants.push_back({"all", all});
    for (const auto& g : all) {
        std::vector<std::string> rest;
        for (const auto& h : all)
            if (h != g) rest.push_back(h);
        variants.push_back({"all - " + g, rest});
    }
    std::vector<AblationLine> lines;
    for (const auto& [name, groups] : variants) {
        TrainConfig c = config;
        c.input_groups = groups;
        lines.push_back({name, groups, backtest_family(rows, tenant, c, family)});
        log_info("ablation_variant",
                 {{"tenant_id", tenant}, {"variant", name}, {"lead_weighted_mae", lines.back().summary.lead_weighted_mae}});
    }
    return lines;
}

std::string format_ablation_table(const std::vector<AblationLine>& lines) {
    if (lines.empty()) return "";
    const auto leads = shown_leads(lines.front().summary);
    std::string out = fmt::format("{:<28}", "inputs");
    for (int lead : leads) out += fmt::format(" {:>9}", fmt::format("MAE {}h", lead));
    out += fmt::format(" {:>10} {:>9} {:>7} {:>7} {:>8}\n", "weighted", "vs none", "cov80", "cov95", "seconds");
    const double none = lines.front().summary.lead_weighted_mae;
    for (const auto& l : lines) {
        out += fmt::format("{:<28}", l.variant);
        for (int lead : leads) out += fmt::format(" {:>9.4f}", mae_at(l.summary, lead));
        out += fmt::format(" {:>10.4f} {:>+8.2f}% {:>7.3f} {:>7.3f} {:>8.1f}\n", l.summary.lead_weighted_mae,
                           100 * (l.summary.lead_weighted_mae / none - 1), l.summary.coverage_80, l.summary.coverage_95,
                           l.summary.seconds);
    }
    return out;
}

std::vector<std::string> tunable_families() {
    std::vector<std::string> out;
    for (const auto& f : models::families())
        if (!search_space(std::string(f.name)).empty()) out.emplace_back(f.name);
    return out;
}

TuneReport tune(pqxx::connection& conn, registry::ExperimentTracker& tracker, const TuneOptions& o) {
    const auto& space = search_space(o.family);
    if (space.empty())
        throw Error("model family '" + o.family + "' has nothing to tune",
                    fmt::format("tune one of: {}", fmt::join(tunable_families(), ", ")));
    if (o.budget < 1 || o.budget > 200) throw Error("--budget must be 1..200 configurations");
    if (o.config_path.empty()) throw Error("tuning needs the training config it writes back to", "pass --config FILE");
    const TrainConfig config = TrainConfig::from_json(models::read_file(o.config_path), o.config_path);
    const auto rows = load_training_rows(conn, o.tenant);
    const TrainConfig first_rung = last_fold_only(config);

    const registry::Run search = tracker.start_run(tracker.experiment(experiment_name(o.tenant)), "tune-" + o.family,
                                                   "voltedge tune", source_commit(),
                                                   {{"tenant", o.tenant}, {"family", o.family}, {"kind", "tuning"}});
    TuneReport report;
    report.search_run_id = search.run_id;
    try {
        auto run_trial = [&](int index, const Json& params, const TrainConfig& c) {
            TrainConfig with = c;
            with.params[o.family] = params;
            Trial t{index,
                    params,
                    static_cast<int>(with.backtest.windows.empty() ? with.backtest.folds : with.backtest.windows.size()),
                    {},
                    {}};
            const registry::Run run = tracker.start_child_run(search, fmt::format("trial-{}-{}folds", index, t.folds),
                                                              "voltedge tune", source_commit(),
                                                              {{"tenant", o.tenant}, {"family", o.family}});
            t.run_id = run.run_id;
            try {
                t.summary = backtest_family(rows, o.tenant, with, o.family);
                registry::Tags p = params_as_tags(params);
                p.emplace_back("folds", std::to_string(t.folds));
                p.emplace_back("trial", std::to_string(index));
                tracker.log(run, summary_metrics(t.summary), p);
                tracker.finish(run);
            } catch (const std::exception& e) {
                tracker.fail(run, e.what());
                throw;
            }
            log_info("tuning_trial", {{"tenant_id", o.tenant},
                                      {"trial", index},
                                      {"folds", t.folds},
                                      {"lead_weighted_mae", t.summary.lead_weighted_mae}});
            report.trials.push_back(t);
        };
        // Rung 0: every drawn configuration on the last fold; rung 1: the best third, and the configuration the
        // config holds now, on every fold.
        std::mt19937_64 rng(o.search_seed);
        std::vector<Json> drawn;
        for (int i = 0; i < o.budget; ++i) drawn.push_back(draw(space, rng));
        for (int i = 0; i < o.budget; ++i) run_trial(i + 1, drawn[i], first_rung);
        std::vector<std::size_t> order(report.trials.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return report.trials[a].summary.lead_weighted_mae < report.trials[b].summary.lead_weighted_mae;
        });
        const std::size_t keep = std::max<std::size_t>(1, (order.size() + 2) / 3);
        const auto current = config.params_of(o.family);
        run_trial(0, current.is_null() ? Json::object() : current, config);
        const std::size_t current_at = report.trials.size() - 1;
        for (std::size_t k = 0; k < keep; ++k)
            run_trial(report.trials[order[k]].index, drawn[report.trials[order[k]].index - 1], config);
        // A configuration must win without costing more than max_slowdown x the current one's backtest time:
        // `voltedge train` has a time budget too.
        report.best = current_at;
        const double time_limit = o.max_slowdown * report.trials[current_at].summary.seconds;
        for (std::size_t i = current_at; i < report.trials.size(); ++i)
            if (report.trials[i].summary.lead_weighted_mae < report.trials[report.best].summary.lead_weighted_mae &&
                report.trials[i].summary.seconds <= time_limit)
                report.best = i;
        const Trial& best = report.trials[report.best];
        if (report.best != current_at) {
            write_params_back(o.config_path, o.family, best.params);
            report.written = true;
        }
        registry::Tags params = params_as_tags(best.params);
        params.emplace_back("budget", std::to_string(o.budget));
        params.emplace_back("written_to", report.written ? o.config_path : "(unchanged: the current configuration won)");
        auto metrics = summary_metrics(best.summary);
        metrics.push_back({"current_lead_weighted_mae", report.trials[current_at].summary.lead_weighted_mae});
        tracker.log(search, metrics, params);
        tracker.upload(search, "tuning.txt", format_tune_report(report, o));
        tracker.finish(search);
    } catch (const std::exception& e) {
        try {
            tracker.fail(search, e.what());
        } catch (...) {  // the tracker may be what failed; the original error is the one to report
        }
        throw;
    }
    return report;
}

std::string format_tune_report(const TuneReport& report, const TuneOptions& o) {
    std::string out = fmt::format("{:>5} {:>5} {:>10} {:>9} {:>8}  params\n", "trial", "folds", "weighted", "MAE 1h", "seconds");
    for (const auto& t : report.trials)
        out += fmt::format("{:>5} {:>5} {:>10.4f} {:>9.4f} {:>8.1f}  {}\n", t.index, t.folds, t.summary.lead_weighted_mae,
                           mae_at(t.summary, 1), t.summary.seconds, t.params.dump());
    if (report.trials.empty()) return out;
    const Trial& best = report.trials[report.best];
    out += fmt::format("best on every fold within {:.1f}x the current configuration's time: trial {} (MAE over every lead "
                       "weighted 1/lead {:.4f}); {}\n",
                       o.max_slowdown, best.index, best.summary.lead_weighted_mae,
                       report.written ? "written to " + o.config_path + " under params." + o.family
                                      : "the configuration already in " + o.config_path + " stays (no trial beat it)");
    return out;
}

}  // namespace voltedge::training
