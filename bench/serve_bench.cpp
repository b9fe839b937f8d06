// `make bench`, serving part: `voltedge serve` as its own process, loaded by wrk on the same machine over
// loopback (1 wrk thread, 64 keep-alive connections), POST /predict for the next hour:
//   cached      the same forecast asked again and again (in-process cache hits)
//   reloads     the same, while new model versions are promoted and POST /reload swaps them in
//   uncached    VOLTEDGE_PREDICTION_CACHE=off: every request forecasts and stores a prediction row
// Prints requests/s, p50/p95/p99 and errors (non-2xx and socket errors) per scenario.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "bench/child_run.h"
#include "core/config.h"
#include "registry/mlflow.h"

#include <httplib.h>

using namespace voltedge;

namespace {

[[noreturn]] void fail(const std::string& what) {
    fmt::print(stderr, "serve_bench: {}\n", what);
    std::exit(1);
}

std::string output_of(const std::string& command) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) fail("cannot run " + command);
    std::string out;
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) fail(command + " failed:\n" + out);
    return out;
}

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

class Server {
public:
    Server(const std::string& bin, int port, bool cache, const std::string& log) : port_(port) {
        pid_ = fork();
        if (pid_ == 0) {
            setenv("VOLTEDGE_API_PORT", std::to_string(port).c_str(), 1);
            setenv("VOLTEDGE_PREDICTION_CACHE", cache ? "on" : "off", 1);
            freopen(log.c_str(), "w", stderr);
            execl(bin.c_str(), bin.c_str(), "serve", nullptr);
            _exit(127);
        }
        httplib::Client client("127.0.0.1", port);
        for (int i = 0; i < 300; ++i) {
            if (auto r = client.Get("/readyz"); r && r->status == 200) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        fail("voltedge serve did not become ready (log: " + log + ")");
    }
    ~Server() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }

private:
    int port_;
    pid_t pid_;
};

struct Load {
    double rps = 0, p50 = 0, p95 = 0, p99 = 0;
    long requests = 0, errors = 0;
};

Load run_wrk(const std::string& script, int port, int connections, int seconds) {
    const std::string out = output_of(fmt::format("wrk -t1 -c{} -d{}s --timeout 5s -s {} http://127.0.0.1:{}/predict 2>&1",
                                                  connections, seconds, script, port));
    Load l;
    std::smatch m;
    if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([\d.]+))"))) l.rps = std::stod(m[1]);
    if (std::regex_search(out, m, std::regex(R"(RESULT p50 ([\d.]+) p95 ([\d.]+) p99 ([\d.]+) requests (\d+) errors (\d+))"))) {
        l.p50 = std::stod(m[1]);
        l.p95 = std::stod(m[2]);
        l.p99 = std::stod(m[3]);
        l.requests = std::stol(m[4]);
        l.errors = std::stol(m[5]);
    } else {
        fail("unexpected wrk output:\n" + out);
    }
    return l;
}

void print(const std::string& name, const Load& l) {
    fmt::print("  {:<40} {:>9.0f} {:>8.2f} {:>8.2f} {:>8.2f} {:>9} {:>7}\n", name, l.rps, l.p50, l.p95, l.p99, l.requests,
               l.errors);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Serving benchmark"};
    std::string tenant = "bench-train";
    int port = 58091, seconds = 10, connections = 64;
    app.add_option("--tenant", tenant, "tenant with a trained model (make bench trains bench-train first)")
        ->capture_default_str();
    app.add_option("--port", port, "port for the benchmarked server")->capture_default_str();
    app.add_option("--seconds", seconds, "duration of each load run")->capture_default_str();
    app.add_option("--connections", connections, "wrk connections")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const std::string bin = VOLTEDGE_BIN;
    output_of(bin + " promote --tenant " + tenant + " --version staging 2>&1");
    const std::string key = trimmed(output_of(bin + " tenant key " + tenant + " 2>/dev/null"));
    const std::string admin = trimmed(output_of(bin + " tenant key " + tenant + " --admin 2>/dev/null"));

    const std::string script = fmt::format("/tmp/voltedge-serve-bench-{}.lua", getpid());
    std::ofstream(script) << "wrk.method = \"POST\"\n"
                             "wrk.body = '{\"horizon_hours\": 1}'\n"
                             "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
                             "wrk.headers[\"X-API-Key\"] = \""
                          << key
                          << "\"\n"
                             "done = function(summary, latency, requests)\n"
                             "  local e = summary.errors\n"
                             "  io.write(string.format(\"RESULT p50 %.3f p95 %.3f p99 %.3f requests %d errors %d\\n\",\n"
                             "    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,\n"
                             "    summary.requests, e.status + e.connect + e.read + e.write + e.timeout))\n"
                             "end\n";
    const std::string log = fmt::format("/tmp/voltedge-serve-bench-{}.log", getpid());

    fmt::print(
        "serving benchmark: POST /predict {{\"horizon_hours\": 1}}, tenant {}, wrk 1 thread, {} connections, {} s per run, loopback\n",
        tenant, connections, seconds);
    fmt::print("  {:<40} {:>9} {:>8} {:>8} {:>8} {:>9} {:>7}\n", "scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests",
               "errors");
    {
        Server server(bin, port, true, log);
        run_wrk(script, port, connections, 2);  // warm: connections open, forecast cached
        print("cached", run_wrk(script, port, connections, seconds));

        // New versions promoted and swapped in while the load runs.
        Config config = Config::load();
        registry::Mlflow mlflow(config.mlflow_tracking_uri);
        const auto base = mlflow.alias(tenant, "production");
        if (!base) fail("tenant " + tenant + " has no production model");
        std::vector<std::string> swapped;
        std::thread reloader([&] {
            httplib::Client client("127.0.0.1", port);
            for (int i = 0; i < 4; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(seconds * 1000 / 5));
                const auto v = mlflow.create_version(tenant, {base->run_id, ""}, "model", {{"family", base->tag("family")}});
                mlflow.set_alias(tenant, "production", v.version);
                auto r = client.Post("/reload", {{"X-API-Key", admin}}, nlohmann::json{{"tenant", tenant}}.dump(),
                                     "application/json");
                if (!r || r->status != 200) fail("reload failed: " + (r ? r->body : std::string("no response")));
                swapped.push_back(nlohmann::json::parse(r->body)["models"][0]["version"]);
            }
        });
        const Load during = run_wrk(script, port, connections, seconds);
        reloader.join();
        print(fmt::format("cached, {} reloads during the run", swapped.size()), during);
        fmt::print("  {:<40} versions swapped in: {}\n", "", fmt::join(swapped, ", "));
        mlflow.set_alias(tenant, "production", base->version);
    }
    {
        Server server(bin, port, false, log);
        run_wrk(script, port, connections, 1);
        print("uncached (VOLTEDGE_PREDICTION_CACHE=off)", run_wrk(script, port, connections, seconds));
        print("uncached, 1 connection", run_wrk(script, port, 1, seconds));
    }
    std::remove(script.c_str());
    std::remove(log.c_str());
    return 0;
}
