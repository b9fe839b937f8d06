// `make bench`, training part: `voltedge train` on the full dataset with the default config (the five
// families and their ensemble, all folds, MLflow logging), as a user runs it: wall time per family and in total, peak RSS.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bench/child_run.h"

using namespace voltedge;

namespace {

void must(const bench::ChildRun& r, const std::string& what) {
    if (r.status != 0) {
        fmt::print(stderr, "{} failed (status {})\n", what, r.status);
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Training benchmark"};
    std::string tenant = "bench-train", source = "data/raw/household_power_consumption.txt.xz", config = "configs/training.json";
    app.add_option("--tenant", tenant, "tenant to train (created and loaded if needed)")->capture_default_str();
    app.add_option("--source", source, "UCI file")->capture_default_str();
    app.add_option("--config", config, "training config")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const std::string bin = VOLTEDGE_BIN, quiet = "/dev/null";
    must(bench::run_child({bin, "tenant", "create", tenant}, quiet), "tenant create");
    must(bench::run_child({bin, "ingest", "--tenant", tenant, "--source", source}, quiet), "ingest");  // no-op if loaded
    const auto features = bench::run_child({bin, "features", "--tenant", tenant}, quiet);
    must(features, "features");
    const std::string log = fmt::format("/tmp/voltedge-train-bench-{}.log", getpid());
    const auto train = bench::run_child({bin, "train", "--tenant", tenant, "--config", config}, log);
    must(train, "train (log: " + log + ")");

    fmt::print("training benchmark on {} (tenant {}, {})\n", source, tenant, config);
    fmt::print("  {:<28} {:>7.2f} s\n", "features (voltedge features)", features.seconds);
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.value("event", "") == "family_trained")
            fmt::print("  {:<28} {:>7.2f} s   (all folds, both horizons, final fit, MLflow logging)\n", j.value("family", "?"),
                       j.value("seconds", 0.0));
    }
    std::remove(log.c_str());
    fmt::print("  {:<28} {:>7.2f} s   peak RSS {} MB\n", "total (voltedge train)", train.seconds, train.peak_rss_kb / 1024);
    return 0;
}
