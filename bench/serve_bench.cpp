// `make bench`, serving part: `voltedge serve` as its own process, loaded by wrk on the same machine over
// loopback (1 wrk thread, 64 keep-alive connections), POST /predict for the next hour:
//   cached      the same forecast asked again and again (in-process cache hits)
//   reloads     the same, while new model versions are promoted and POST /reload swaps them in
//   transport   GET /healthz while 2,000 idle and 200 slow-header connections are open; RSS after body abuse
//   uncached    VOLTEDGE_PREDICTION_CACHE=off: every request forecasts and stores a prediction row
// Prints requests/s, p50/p95/p99 and errors (non-2xx and socket errors) per scenario, and for the main ones the
// share of the machine's CPU the server and wrk each used.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "bench/child_run.h"
#include "core/config.h"
#include "http/client.h"
#include "http/server.h"
#include "observability/tracing.h"
#include "registry/mlflow.h"

using namespace voltedge;

namespace {

[[noreturn]] void fail(const std::string& what) {
    fmt::print(stderr, "serve_bench: {}\n", what);
    std::exit(1);
}

class Server {
public:
    // Ready when the tenant of `key` is served (models load in the background, so /readyz is not enough).
    // `otlp_endpoint`: where its spans go, every request sampled; empty: tracing off. `cpu` >= 0: the server
    // runs on that core only.
    Server(const std::string& bin, int port, bool cache, const std::string& log, const std::string& key,
           const std::string& otlp_endpoint = "", int cpu = -1)
        : port_(port) {
        pid_ = fork();
        if (pid_ == 0) {
            if (cpu >= 0) {
                cpu_set_t only{};
                CPU_SET(cpu, &only);
                sched_setaffinity(0, sizeof only, &only);
            }
            setenv("VOLTEDGE_API_PORT", std::to_string(port).c_str(), 1);
            setenv("VOLTEDGE_PREDICTION_CACHE", cache ? "on" : "off", 1);
            if (otlp_endpoint.empty()) {
                unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
            } else {
                setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_endpoint.c_str(), 1);
                setenv("VOLTEDGE_TRACE_SAMPLE_RATIO", "1", 1);
            }
            freopen(log.c_str(), "w", stderr);
            execl(bin.c_str(), bin.c_str(), "serve", nullptr);
            _exit(127);
        }
        for (int i = 0; i < 300; ++i) {
            try {
                if (http::send({"POST",
                                fmt::format("http://127.0.0.1:{}/predict", port),
                                R"({"horizon_hours": 1})",
                                {"X-API-Key: " + key, "Content-Type: application/json"},
                                1,
                                5})
                        .status == 200)
                    return;
            } catch (const http::Unreachable&) {  // not listening yet
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        fail("voltedge serve did not become ready (log: " + log + ")");
    }
    ~Server() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }

    pid_t pid() const { return pid_; }

private:
    int port_;
    pid_t pid_;
};

struct Load {
    double rps = 0, p50 = 0, p95 = 0, p99 = 0;
    long requests = 0, errors = 0;
    double server_cpu = 0, wrk_cpu = 0;    // share of the machine's cores each used during the run (1 = all of them)
    double server_cpu_us_per_request = 0;  // the server's CPU time over the requests it answered
};

double cpu_seconds_of(pid_t pid) {  // user + system time of a running process
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string f;
    double ticks = 0;
    for (int i = 3; fields >> f && i <= 15; ++i)
        if (i >= 14) ticks += std::stod(f);  // fields 14 and 15: utime, stime
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double children_cpu_seconds() {  // of the children reaped so far (wrk, once pclose returns)
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// With `server` given, also how much CPU the server and wrk each used: on a shared 2-core machine the load
// generator competes with the server, and its share says how much of the latency is its doing.
Load run_wrk(const std::string& script, int port, int connections, int seconds, const std::string& path = "/predict",
             pid_t server = 0, int wrk_cpu = -1) {
    const double server_before = server ? cpu_seconds_of(server) : 0, wrk_before = children_cpu_seconds();
    const auto started = std::chrono::steady_clock::now();
    const std::string pin = wrk_cpu >= 0 ? fmt::format("taskset -c {} ", wrk_cpu) : "";
    const std::string out = bench::output_of(fmt::format("{}wrk -t1 -c{} -d{}s --timeout 5s -s {} http://127.0.0.1:{}{} 2>&1",
                                                         pin, connections, seconds, script, port, path));
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
    if (l.errors > 0) fmt::print(stderr, "wrk reported errors:\n{}\n", out);
    const double cores = static_cast<double>(std::thread::hardware_concurrency());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() * cores;
    if (server) {
        const double used = cpu_seconds_of(server) - server_before;
        l.server_cpu = used / wall;
        if (l.requests > 0) l.server_cpu_us_per_request = used * 1e6 / static_cast<double>(l.requests);
    }
    l.wrk_cpu = (children_cpu_seconds() - wrk_before) / wall;
    return l;
}

int connect_to(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // not inherited by wrk (its event loop sizes by fd number)
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("cannot connect to the server");
    return fd;
}

long rss_kb(pid_t pid) {
    std::ifstream status(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// Requests the server must refuse without holding on to their bodies: chunked bodies of 2 MiB, compressed
// bodies, huge headers; `rounds` of each from 8 threads.
void abuse_bodies(int port, int rounds) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([port, rounds] {
            std::string chunked = "POST /predict HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n";
            for (int i = 0; i < 64; ++i) chunked += "8000\r\n" + std::string(0x8000, 'x') + "\r\n";
            chunked += "0\r\n\r\n";
            const std::string gzip =
                "POST /predict HTTP/1.1\r\nHost: b\r\nContent-Encoding: gzip\r\nContent-Length: 61000\r\n\r\n" +
                std::string(61000, '\x1f');
            const std::string headers = "GET /healthz HTTP/1.1\r\nHost: b\r\nX-Big: " + std::string(1 << 20, 'h') + "\r\n\r\n";
            for (int r = 0; r < rounds; ++r)
                for (const std::string* request : std::vector<const std::string*>{&chunked, &gzip, &headers}) {
                    const int fd = connect_to(port);
                    ::send(fd, request->data(), request->size(), MSG_NOSIGNAL);
                    char buf[4096];
                    while (recv(fd, buf, sizeof buf, 0) > 0) {
                    }
                    close(fd);
                }
        });
    for (auto& t : threads) t.join();
}

double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The tracer's own CPU cost for one request's span, alone in this process: the server span of a cached
// /predict (its name and the attributes api/http_layer.cpp sets), ended, queued, serialised to OTLP JSON on the
// export thread and handed to a poster that discards the body. No network, no collector, no contention: this is
// the figure to set against the server's CPU time per request.
double tracer_us_per_request_span(int spans) {
    namespace obs = voltedge::observability;
    std::atomic<std::size_t> bytes{0};
    obs::TracingOptions options;
    options.endpoint = "http://discard.invalid";
    options.service_name = "voltedge-bench";
    obs::start_tracing(options, [&](const std::string&, const std::string& body, const std::string&) {
        bytes += body.size();
        return 200L;
    });
    const std::string method = "POST", route = "/predict", request_id = "0f6c2b9e-5d1a-4f7e-9a43-2c8d6b1e7a90";
    const double before = process_cpu_seconds();
    for (int i = 0; i < spans; ++i) {
        obs::Span span(method + " " + route, obs::SpanKind::server, std::nullopt);
        span.set("http.request.method", method);
        span.set("http.route", route);
        span.set("url.path", route);
        span.set("url.scheme", "http");
        span.set("network.protocol.version", "1.1");
        span.set("user_agent.original", "wrk");
        span.set("http.request.body.size", std::int64_t{21});
        span.set("request.id", request_id);
        span.set("http.response.status_code", 200);
        span.set("http.response.body.size", std::int64_t{412});
        span.set("tenant.id", "demo");
        span.set("model.version", "7");
        span.set("cache.outcome", "hit");
    }
    obs::flush_traces();
    const double used = process_cpu_seconds() - before;
    obs::stop_tracing();
    if (bytes == 0) fail("the tracer exported nothing");
    return used * 1e6 / spans;
}

void print(const std::string& name, const Load& l) {
    fmt::print("  {:<40} {:>9.0f} {:>8.2f} {:>8.2f} {:>8.2f} {:>9} {:>7}", name, l.rps, l.p50, l.p95, l.p99, l.requests,
               l.errors);
    if (l.server_cpu > 0)
        fmt::print("   cpu: server {:.0f} % ({:.1f} us/request), wrk {:.0f} %", l.server_cpu * 100, l.server_cpu_us_per_request,
                   l.wrk_cpu * 100);
    fmt::print("\n");
}

// Tracing's cost is a few per cent, within the machine's run-to-run noise: each comparison is repeated this often
// and its median reported.
constexpr int kTracingRounds = 5;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// One cached-/predict load on a fresh server whose spans go to `otlp` (empty: tracing off), after a second of
// warm-up; `server_cpu` / `wrk_cpu` >= 0 pin the server / wrk to that core.
Load traced_load(const std::string& bin, int port, const std::string& log, const std::string& key, const std::string& script,
                 int connections, int seconds, const std::string& otlp, int server_cpu = -1, int wrk_cpu = -1) {
    Server server(bin, port, true, log, key, otlp, server_cpu);
    run_wrk(script, port, connections, 1, "/predict", 0, wrk_cpu);
    return run_wrk(script, port, connections, seconds, "/predict", server.pid(), wrk_cpu);
}

// A collector that accepts every batch and keeps nothing (an http::Server of this process): with it, what
// tracing costs is the tracer's alone (spans, queue, serialisation, posting), not a collector's work as well.
// Its threads run where the thread that makes it may run.
class NullCollector {
public:
    NullCollector() : server_(options()) {
        server_.route("POST", "/v1/traces", [](const http::Request&, http::Response& res) { res.body = "{}"; });
        endpoint_ = fmt::format("http://127.0.0.1:{}", server_.start());
    }
    const std::string& endpoint() const { return endpoint_; }

private:
    static http::ServerOptions options() {
        http::ServerOptions o;
        o.max_body_bytes = 64 << 20;
        o.workers = 1;
        return o;
    }
    http::Server server_;
    std::string endpoint_;
};

// Tracing's cost measured so that the machine's speed cancels out. Run after run, this shared machine's speed
// moves by up to 30 %, more than the cost sought; so two servers run at the same time on core 0, one untraced and
// one tracing every request, each under its own wrk on core 1. Both see the same machine at the same time, so their
// CPU time per request compares them whatever the machine's speed did meanwhile; that ratio is the figure
// (a saturated server's throughput falls by its inverse). Their throughputs alone would understate the cost: the
// scheduler shares a core by thread, and the traced server's export thread wins it a little more of the core.
// Against the null collector (on core 1) that is the tracer's cost alone; against the real Jaeger (all
// its threads moved to core 1, put back afterwards) it also holds Jaeger's decoding and storing of every span,
// which takes core 1 from the two wrk, so both servers are driven less hard.
void side_by_side_tracing_overhead(const std::string& bin, int port, const std::string& log, const std::string& key,
                                   const std::string& script, int connections, int seconds, const std::string& endpoint) {
    std::ifstream pid_file(std::string(VOLTEDGE_SOURCE_DIR) + "/.devstack/jaeger/jaeger.pid");
    long jaeger = 0;
    if (std::thread::hardware_concurrency() < 2 || !(pid_file >> jaeger) || kill(static_cast<pid_t>(jaeger), 0) != 0) {
        fmt::print("  {:<40} skipped: needs 2 cores and devstack's Jaeger (.devstack/jaeger/jaeger.pid)\n",
                   "tracing, side by side");
        return;
    }
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    cpu_set_t all{}, core_1{};
    sched_getaffinity(0, sizeof all, &all);
    CPU_SET(1, &core_1);
    sched_setaffinity(0, sizeof core_1, &core_1);  // the null collector's threads start here, on core 1
    NullCollector sink;
    sched_setaffinity(0, sizeof all, &all);
    const auto pin_jaeger = [&](const std::string& cpus) {
        bench::output_of(fmt::format("taskset -a -pc {} {} 2>&1", cpus, jaeger));
    };
    pin_jaeger("1");
    for (const auto& [collector, otlp] :
         {std::pair<std::string, std::string>{"null collector", sink.endpoint()}, {"Jaeger", endpoint}}) {
        std::vector<double> ratio, cpu_ratio;
        for (int round = 1; round <= kTracingRounds; ++round) {
            // Which port is traced alternates, as does which server starts first.
            const int off_port = round % 2 ? port : port + 1, traced_port = round % 2 ? port + 1 : port;
            Server off(bin, off_port, true, log, key, "", 0);
            Server traced(bin, traced_port, true, log + ".traced", key, otlp, 0);
            auto warm = std::async(std::launch::async, [&] { run_wrk(script, traced_port, connections, 1, "/predict", 0, 1); });
            run_wrk(script, off_port, connections, 1, "/predict", 0, 1);
            warm.get();
            auto traced_run = std::async(std::launch::async, [&] {
                return run_wrk(script, traced_port, connections, seconds, "/predict", traced.pid(), 1);
            });
            const Load untraced = run_wrk(script, off_port, connections, seconds, "/predict", off.pid(), 1);
            const Load with_tracing = traced_run.get();
            print(fmt::format("side by side, untraced (round {})", round), untraced);
            print(fmt::format("side by side, traced, {} ({})", collector, round), with_tracing);
            fmt::print("  {:<40} core 0 busy {:.0f} %\n", "", 100 * (untraced.server_cpu + with_tracing.server_cpu) * cores);
            ratio.push_back(with_tracing.rps / untraced.rps);
            cpu_ratio.push_back(with_tracing.server_cpu_us_per_request / untraced.server_cpu_us_per_request);
        }
        const double cpu = median(cpu_ratio);
        fmt::print("  {:<40} sharing core 0 at the same time, to {} (median of {}): CPU per request traced / untraced {:.3f}, "
                   "so a saturated server's throughput x {:.3f}{} (throughputs side by side: {:.3f})\n",
                   "tracing overhead, side by side", collector, kTracingRounds, cpu, 1 / cpu,
                   otlp == endpoint ? "" : " (target: overhead < 5 %)", median(ratio));
    }
    pin_jaeger(fmt::format("0-{}", cores - 1));
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"Serving benchmark"};
    std::string tenant = "bench-train";
    // Below Linux's ephemeral range (32768-60999): after a wrk run, thousands of client sockets in TIME_WAIT hold
    // random ports of that range, and the next server's port (port + 1, + 2) was often among them.
    int port = 28091, seconds = 10, connections = 64;
    app.add_option("--tenant", tenant, "tenant with a trained model (make bench trains bench-train first)")
        ->capture_default_str();
    app.add_option("--port", port, "port for the benchmarked server")->capture_default_str();
    app.add_option("--seconds", seconds, "duration of each load run")->capture_default_str();
    app.add_option("--connections", connections, "wrk connections")->capture_default_str();
    bool transport_only = false;
    app.add_flag("--transport-only", transport_only, "run only the transport scenario (idle/slow connections, body abuse)");
    bool tracing_only = false;
    app.add_flag("--tracing-only", tracing_only, "run only the tracing-overhead scenario");
    CLI11_PARSE(app, argc, argv);

    const std::string bin = VOLTEDGE_BIN;
    bench::output_of(bin + " promote --tenant " + tenant + " --version staging 2>&1");
    const std::string key = bench::output_of(bin + " tenant key " + tenant + " 2>/dev/null");
    const std::string admin = bench::output_of(bin + " tenant key " + tenant + " --admin 2>/dev/null");

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
    if (!transport_only) {
        if (!tracing_only) {
            Server server(bin, port, true, log, key);
            run_wrk(script, port, connections, 2);  // warm: connections open, forecast cached
            print("cached", run_wrk(script, port, connections, seconds, "/predict", server.pid()));
        }

        // Tracing's cost on the cheapest request: the same load with every request's spans exported to Jaeger,
        // alternated with tracing off; the machine is shared and noisy, so each pair is compared as a ratio.
        const char* endpoint_env = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
        const std::string endpoint = endpoint_env && *endpoint_env ? endpoint_env : "http://127.0.0.1:24318";
        bool collector_up = false;
        try {
            collector_up =
                http::send({"POST", endpoint + "/v1/traces", R"({"resourceSpans":[]})", {"Content-Type: application/json"}, 2, 5})
                    .status == 200;
        } catch (const http::Unreachable&) {
        }
        if (!collector_up) {
            fmt::print("  {:<40} skipped: no OTLP collector at {} (scripts/devstack up starts Jaeger)\n", "tracing overhead",
                       endpoint);
        } else {
            // Jaeger shares this machine's two cores with the server and wrk, so its own work (decoding and storing
            // every span) shows up as our overhead. A collector that only accepts the batches separates the
            // tracer's cost (spans, queue, serialisation, posting) from the collector's.
            NullCollector sink;
            const std::string& sink_endpoint = sink.endpoint();
            const auto run_with = [&](const std::string& otlp) {
                return traced_load(bin, port + 1, log, key, script, connections, seconds, otlp);
            };
            // Throughput on two shared cores also moves with whatever else runs; the server's CPU time per request
            // moves less, and is the tracer's cost to the process itself (the collector's own work excluded).
            std::vector<double> to_jaeger, to_sink, cpu_jaeger, cpu_sink, cpu_off;
            for (int round = 1; round <= kTracingRounds; ++round) {
                // The three runs of a round go in a rotating order, so a drift of the machine's speed cancels out.
                Load off, jaeger, accepted;
                for (int k = 0; k < 3; ++k) switch ((k + round) % 3) {
                        case 0: off = run_with(""); break;
                        case 1: jaeger = run_with(endpoint); break;
                        default: accepted = run_with(sink_endpoint); break;
                    }
                print(fmt::format("cached, tracing off (round {})", round), off);
                print(fmt::format("cached, 100 % traced to Jaeger (round {})", round), jaeger);
                print(fmt::format("cached, 100 % traced, null collector ({})", round), accepted);
                cpu_off.push_back(off.server_cpu_us_per_request);
                to_jaeger.push_back(jaeger.rps / off.rps);
                to_sink.push_back(accepted.rps / off.rps);
                cpu_jaeger.push_back(jaeger.server_cpu_us_per_request / off.server_cpu_us_per_request);
                cpu_sink.push_back(accepted.server_cpu_us_per_request / off.server_cpu_us_per_request);
            }
            const double span_us = tracer_us_per_request_span(200000), untraced_us = median(cpu_off);
            fmt::print("  {:<40} the tracer alone: {:.2f} us of CPU per request span (200,000 spans made, serialised, "
                       "discarded) = {:.1f} % of an untraced request's {:.1f} us (median)\n",
                       "tracing cost", span_us, 100 * span_us / untraced_us, untraced_us);
            fmt::print("  {:<40} throughput traced / untraced (median of {}): to Jaeger {:.3f}, to a null collector {:.3f}\n",
                       "tracing overhead", kTracingRounds, median(to_jaeger), median(to_sink));
            fmt::print("  {:<40} server CPU per request traced / untraced (median of {}): to Jaeger {:.3f}, to a null collector "
                       "{:.3f} (target: overhead < 5 %)\n",
                       "", kTracingRounds, median(cpu_jaeger), median(cpu_sink));
            side_by_side_tracing_overhead(bin, port + 2, log, key, script, connections, seconds, endpoint);
        }

        if (tracing_only) return 0;
        // New versions promoted and swapped in while the load runs.
        Config config = Config::load();
        registry::Mlflow mlflow(config.mlflow_tracking_uri);
        const auto base = mlflow.alias(tenant, "production");
        if (!base) fail("tenant " + tenant + " has no production model");
        std::vector<std::string> swapped;
        std::thread reloader([&] {
            for (int i = 0; i < 4; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(seconds * 1000 / 5));
                const auto v = mlflow.create_version(tenant, {base->run_id, ""}, "model", {{"family", base->tag("family")}});
                mlflow.set_alias(tenant, "production", v.version);
                const auto r = http::send({"POST",
                                           fmt::format("http://127.0.0.1:{}/reload", port),
                                           nlohmann::json{{"tenant", tenant}}.dump(),
                                           {"X-API-Key: " + admin},
                                           5,
                                           60});
                if (r.status != 200) fail("reload failed: " + r.body);
                swapped.push_back(nlohmann::json::parse(r.body)["models"][0]["version"]);
            }
        });
        const Load during = run_wrk(script, port, connections, seconds);
        reloader.join();
        print(fmt::format("cached, {} reloads during the run", swapped.size()), during);
        fmt::print("  {:<40} versions swapped in: {}\n", "", fmt::join(swapped, ", "));
        mlflow.set_alias(tenant, "production", base->version);
    }
    {
        // /healthz while 2,000 idle connections and 200 slow-header clients (a byte every 2 s) are open.
        Server server(bin, port, true, log, key);
        const std::string get = fmt::format("/tmp/voltedge-serve-bench-get-{}.lua", getpid());
        std::ofstream(get) << "done = function(summary, latency, requests)\n"
                              "  local e = summary.errors\n"
                              "  io.write(string.format(\"RESULT p50 %.3f p95 %.3f p99 %.3f requests %d errors %d\\n\",\n"
                              "    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,\n"
                              "    summary.requests, e.status + e.connect + e.read + e.write + e.timeout))\n"
                              "end\n";
        const long idle_rss = rss_kb(server.pid());
        std::vector<int> held;
        for (int i = 0; i < 2000; ++i) held.push_back(connect_to(port));
        std::vector<int> slow;
        for (int i = 0; i < 200; ++i) slow.push_back(connect_to(port));
        std::atomic<bool> done{false};
        std::thread dribbler([&] {
            const std::string header = "GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: ";
            for (std::size_t i = 0; !done && i < header.size(); ++i) {
                for (int fd : slow) ::send(fd, &header[i], 1, MSG_NOSIGNAL);
                for (int k = 0; k < 20 && !done; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        });
        print("healthz, 2000 idle + 200 slow-header open", run_wrk(get, port, 4, seconds, "/healthz", server.pid()));
        done = true;
        dribbler.join();
        for (int fd : held) close(fd);
        for (int fd : slow) close(fd);
        abuse_bodies(port, 20);
        std::this_thread::sleep_for(std::chrono::seconds(1));
        fmt::print("  {:<40} RSS idle {} MB, after 2,000 idle + 200 slow connections and 480 oversized/compressed bodies {} MB\n",
                   "memory", idle_rss / 1024, rss_kb(server.pid()) / 1024);
        std::remove(get.c_str());
    }
    if (!transport_only) {
        Server server(bin, port, false, log, key);
        run_wrk(script, port, connections, 1);
        print("uncached (VOLTEDGE_PREDICTION_CACHE=off)", run_wrk(script, port, connections, seconds, "/predict", server.pid()));
        print("uncached, 1 connection", run_wrk(script, port, 1, seconds));
    }
    std::remove(script.c_str());
    std::remove(log.c_str());
    return 0;
}

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        fail(e.what());
    }
}
