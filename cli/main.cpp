// The voltedge binary: one subcommand per job of the platform.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <iostream>

#include <csignal>
#include <pthread.h>

#include "api/server.h"
#include "cli/dq_report.h"
#include "cli/governance.h"
#include "cli/job_handlers.h"
#include "cli/worker_commands.h"
#include "workers/stream_queue.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "http/client.h"
#include "observability/tracing.h"
#include "db/connection.h"
#include "db/migrate.h"
#include "evaluations/answer_eval.h"
#include "evaluations/retrieval_eval.h"
#include "evaluations/slo.h"
#include "jobs/job.h"
#include "agents/agent.h"
#include "cli/agent_tools.h"
#include "security/redaction.h"
#include "rag/search.h"
#include "security/offboarding.h"
#include "security/tenants.h"
#include "serving/canary.h"

namespace {

using namespace voltedge;

constexpr const char* kUciUrl =
    "https://archive.ics.uci.edu/static/public/235/individual+household+electric+power+consumption.zip";

int run_migrate(const Config& config) {
    const auto report = db::migrate(config.database_admin_url, config.database_url);
    std::cerr << "migrations: " << report.applied.size() << " applied, " << report.already.size() << " already applied\n";
    return 0;
}

// Serves until SIGINT or SIGTERM, then stops accepting and lets requests in flight finish.
int run_serve(const Config& config, const api::ServeOptions& options) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts, so all inherit it
    // POST /jobs and /ask's run_eval tool queue work for the workers (voltedge worker).
    jobs::HandlerRegistry handlers;
    cli::register_job_handlers(handlers, config);
    db::ConnectionPool queue_pool(config.database_url, 2);
    db::RedisClient queue_redis(config.redis_url, 2);
    workers::StreamQueue queue(queue_pool, queue_redis, handlers, {config.queue_prefix});
    api::ApiServer server(
        config, options,
        [&](const rag::Embedder& embedder, serving::Predictor& predictor) {
        return cli::agent_tools(config, embedder, &predictor, &queue);
        },
        &queue);
    server.start();
    std::cerr << "voltedge API listening on http://" << options.host << ":" << server.port() << " (docs: /docs)\n";
    int received = 0;
    sigwait(&signals, &received);
    log_info("shutting_down", {{"signal", received}});
    server.stop();
    return 0;
}

// Runs a job inline through the same handlers the workers use, and prints its summary.
int run_job(const jobs::HandlerRegistry& handlers, jobs::Job job) {
    jobs::InlineQueue queue(handlers);
    const std::string tenant = job.tenant;
    const std::string id = queue.enqueue(std::move(job));
    std::cout << queue.status(tenant, id)->result.value("summary", "") << '\n';
    return 0;
}

// Each objective, its value over the window and whether it holds; 1 when any is breached.
// The platform-wide objectives, read from Prometheus' query API; none when it is not configured or not up (the
// tenant's own objectives from the database are judged either way).
std::vector<evaluations::SloResult> prometheus_slos(const std::string& url, const evaluations::SloConfig& slo) {
    std::vector<evaluations::SloResult> out;
    if (url.empty()) return out;
    for (const auto& o : evaluations::prometheus_objectives(slo)) {
        http::ClientRequest request;
        request.url = url + "/api/v1/query?query=" + http::escape(o.query);
        request.timeout_seconds = 10;
        http::ClientResponse response;
        try {
            response = http::send(request);
        } catch (const http::Unreachable& e) {
            std::cerr << "Prometheus at " << url << " is not reachable (" << e.what()
                      << "): the platform-wide objectives are skipped (scripts/devstack up starts it)\n";
            return {};
        }
        const auto j = nlohmann::json::parse(response.body, nullptr, false);
        if (response.status != 200 || !j.is_object() || j.value("status", "") != "success")
            throw Error("Prometheus at " + url + " refused the query for '" + o.name + "' (HTTP " +
                        std::to_string(response.status) + "): " + response.body.substr(0, 300));
        evaluations::SloResult r{o.name, o.unit, o.comparison, std::nullopt, o.threshold, "Prometheus: " + o.query};
        const auto& result = j["data"]["result"];
        if (result.is_array() && !result.empty()) {
            const double v = std::strtod(result[0]["value"][1].get<std::string>().c_str(), nullptr);
            if (std::isfinite(v)) r.value = v * o.scale;  // NaN: no traffic in the window
        }
        out.push_back(std::move(r));
    }
    return out;
}

int run_slo_check(const Config& config, const std::string& tenant, int window_hours) {
    auto slo = evaluations::load_slo(config.slo);
    if (window_hours > 0) slo.window_hours = window_hours;
    auto conn = db::connect(config.database_url);
    auto results = evaluations::check_slos(conn, tenant, slo);
    for (auto& r : prometheus_slos(config.prometheus_url, slo)) results.push_back(std::move(r));
    std::size_t breached = 0;
    std::cout << fmt::format("SLOs of tenant {} over the last {} h ({})\n", tenant, slo.window_hours, config.slo);
    for (const auto& r : results) {
        breached += r.breached();
        const std::string value = r.value ? fmt::format("{:.4g}", *r.value) : "no data";
        std::cout << fmt::format("  {:<6} {:<50} {:>10} {} {:<10.4g} {}  {}\n",
                                 !r.value       ? "-"
                                 : r.breached() ? "BREACH"
                                                : "ok",
                                 r.name, value, r.comparison, r.threshold, r.unit, r.detail);
    }
    std::cout << (breached ? fmt::format("{} SLO(s) breached\n", breached) : std::string("all SLOs with data hold\n"));
    return breached ? 1 : 0;
}

int show_config(const Config& config) {
    std::string group;
    for (const auto& s : config.show()) {
        if (s.group != group) std::cout << (group.empty() ? "" : "\n") << "[" << (group = s.group) << "]\n";
        std::cout << fmt::format("  {:<27} = {:<40} ({}) {}\n", s.env, s.value.empty() ? "\"\"" : s.value, s.source, s.help);
    }
    return 0;
}

// Hits as a table: fused score, each component's rank (- when not a candidate), where, and the snippet.
int run_search(const Config& config, const std::string& tenant, const rag::SearchQuery& query) {
    rag::validate(query);
    const auto embedder = rag::Embedder::load(config.model_dir.empty() ? rag::default_model_dir() : config.model_dir);
    auto conn = db::connect(config.database_url);
    const auto hits = rag::search(conn, tenant, query, embedder);
    if (hits.empty()) std::cout << "no document matches\n";
    const auto rank = [](int r) { return r ? std::to_string(r) : std::string("-"); };
    for (std::size_t i = 0; i < hits.size(); ++i) {
        const auto& h = hits[i];
        std::cout << fmt::format("{:>2}. {}:{}-{}  [{}]  score {:.4f} (text #{} {:.3f}, vector #{} {:.3f})  rev {}\n", i + 1,
                                 h.doc_path, h.line_start, h.line_end, h.kind, h.score, rank(h.fts_rank), h.fts_score,
                                 rank(h.vector_rank), h.vector_score, h.revision.substr(0, 12));
        if (!h.section.empty()) std::cout << "    " << h.section << '\n';
        std::string snippet = h.snippet;
        std::replace(snippet.begin(), snippet.end(), '\n', ' ');
        std::cout << "    " << snippet << "\n";
    }
    return 0;
}

// The answer with its citations, or the abstention and its reason; then the steps the agent took.
// The person at the terminal holds the database credentials, so the command line acts as a tenant admin: write
// tools are drafted and wait for `voltedge approve`.
void print_answer(const agents::Answer& answer) {
    std::cout << answer.text << "\n";
    for (const auto& c : answer.citations)
        std::cout << fmt::format("  [{}] {}:{}-{} (chunk {}, rev {})\n", c.marker, c.doc_path, c.line_start, c.line_end,
                                 c.chunk_id, c.revision.substr(0, 12));
    std::cout << fmt::format("status {}  backend {}  thread {}\n", agents::to_string(answer.state.status),
                             agents::to_string(answer.state.backend), answer.state.thread_id);
    for (const auto& c : answer.state.tool_calls)
        std::cout << fmt::format("  tool {} {} {} {}: {}\n", c.id, c.name, c.arguments.dump(), agents::to_string(c.status),
                                 c.summary);
    for (const auto& step : answer.state.steps) std::cout << fmt::format("  {:<9} {:>7.1f} ms\n", step.node, step.ms);
    if (answer.state.status == agents::Status::awaiting_approval)
        std::cout << fmt::format("approve with: voltedge approve --tenant <tenant> {} (or --reject)\n", answer.state.thread_id);
}

struct LocalAgent {
    rag::Embedder embedder;
    cli::LocalPredictor predictor;
    jobs::InlineQueue queue;
    agents::ToolRegistry tools;
    agents::Agent agent;

    LocalAgent(const Config& config, const std::string& tenant, const jobs::HandlerRegistry& handlers,
               agents::AgentOptions options)
        : embedder(rag::Embedder::load(config.model_dir.empty() ? rag::default_model_dir() : config.model_dir)),
          predictor(config, tenant),
          queue(handlers),
          tools(cli::agent_tools(config, embedder, &predictor.get(), &queue)),
          agent(embedder, std::move(options), &tools) {}
};

int run_ask(const Config& config, const jobs::HandlerRegistry& handlers, const std::string& tenant, agents::AskRequest request) {
    agents::validate(request);
    LocalAgent local(config, tenant, handlers, agents::agent_options(config));
    auto conn = db::connect(config.database_url);
    request.admin = true;
    const auto answer = local.agent.ask(conn, tenant, request);
    print_answer(answer);
    return answer.state.status == agents::Status::failed ? 1 : 0;
}

int run_approve(const Config& config, const jobs::HandlerRegistry& handlers, const std::string& tenant, const std::string& thread,
                agents::Approval approval) {
    LocalAgent local(config, tenant, handlers, agents::agent_options(config));
    auto conn = db::connect(config.database_url);
    approval.admin = true;
    approval.reviewer = config.actor;
    const auto answer = local.agent.resume(conn, tenant, thread, approval);
    print_answer(answer);
    return answer.state.status == agents::Status::failed ? 1 : 0;
}

// Exports this process's spans to the configured collector (nothing when OTEL_EXPORTER_OTLP_ENDPOINT is unset) and
// flushes them when the command ends.
class TracingSession {
public:
    TracingSession(const Config& config, std::string service) {
        observability::TracingOptions options;
        options.endpoint = config.otlp_endpoint;
        options.protocol = config.otlp_protocol == "http/json" ? observability::OtlpProtocol::json
                                                               : observability::OtlpProtocol::protobuf;
        options.sample_ratio = config.trace_sample_ratio;
        options.service_name = std::move(service);
        options.service_version = source_commit();
        observability::start_tracing(std::move(options),
                                     [](const std::string& url, const std::string& body, const std::string& content_type) {
            http::ClientRequest request;
            request.method = "POST";
            request.url = url;
            request.body = body;
            request.headers = {"Content-Type: " + content_type};
            request.timeout_seconds = 10;
            return http::send(request).status;
        });
    }
    ~TracingSession() { observability::stop_tracing(); }
    TracingSession(const TracingSession&) = delete;
    TracingSession& operator=(const TracingSession&) = delete;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"VoltEdge: electrical load forecasting platform.\n"
                 "Configuration: environment variables; 'voltedge config show' lists them\n"
                 "(defaults: the local stack of 'scripts/devstack up')."};
    app.require_subcommand(1);
    set_log_filter(&security::redacted);  // before any thread: no secret a message carries reaches a log line
    Config config;
    try {
        config = Config::load();
    } catch (const Error& e) {
        std::cerr << "error: " << e.what() << "\nhint: " << e.hint() << '\n';
        return 1;
    }
    jobs::HandlerRegistry handlers;
    cli::register_job_handlers(handlers, config);

    auto* config_cmd = app.add_subcommand("config", "Show the effective configuration");
    config_cmd->require_subcommand(1);
    auto* config_show = config_cmd->add_subcommand("show",
                                                   "Print every setting, its value (secrets masked) and where it came from");

    auto* migrate = app.add_subcommand("migrate", "Create roles and apply database migrations (idempotent)");

    auto* tenant = app.add_subcommand("tenant", "Manage tenants and their API keys");
    tenant->require_subcommand(1);
    std::string tenant_id;
    bool admin_key = false;
    auto* tenant_create = tenant->add_subcommand("create", "Create a tenant (no-op if it exists)");
    tenant_create->add_option("ID", tenant_id, "tenant id: lowercase letters, digits, '_' or '-'")->required();
    auto* tenant_key = tenant->add_subcommand("key", "Issue an API key; prints it once on stdout");
    tenant_key->add_option("ID", tenant_id, "tenant id")->required();
    tenant_key->add_flag("--admin", admin_key, "tenant-admin key: may also reload this tenant's model (POST /reload)");
    std::string revoke_key_id;
    auto* tenant_revoke = tenant->add_subcommand("revoke", "Revoke an API key by its id (the 8 hex digits after 've_')");
    tenant_revoke->add_option("ID", tenant_id, "tenant id")->required();
    tenant_revoke->add_option("KEY_ID", revoke_key_id, "key id")->required();

    std::string export_dir, delete_confirm;
    auto* tenant_export = tenant->add_subcommand(
        "export", "Write the tenant's rows (every tenant table, audit log included) to a new or empty folder: one "
                  "<table>.jsonl per table and manifest.json (row counts, export time), from one snapshot");
    tenant_export->add_option("ID", tenant_id, "tenant id")->required();
    tenant_export->add_option("--out", export_dir, "folder to create (or an empty one)")->required();
    auto* tenant_delete = tenant->add_subcommand(
        "delete", "Delete a tenant: revoke its keys, refuse new work, delete its rows in every tenant table, its MLflow "
                  "model and experiment and its cached predictions; safe to rerun. Its audit log is KEPT as the "
                  "governance record (ending with tenant.deleted) and its tenants row stays as a tombstone, so the id "
                  "is never reused. Export first if the data is wanted");
    tenant_delete->add_option("ID", tenant_id, "tenant id")->required();
    tenant_delete->add_option("--confirm", delete_confirm, "the tenant id again")->required();

    std::string audit_tenant;
    auto* audit_cmd = app.add_subcommand("audit", "The tamper-evident audit log (administrative login)");
    audit_cmd->require_subcommand(1);
    auto* audit_verify = audit_cmd->add_subcommand(
        "verify", "Recompute every tenant's audit hash chain and check it against its head; exit 1 naming the first "
                  "broken row of each broken chain");
    audit_verify->add_option("--tenant", audit_tenant, "only this tenant's chain");

    auto* operator_cmd = app.add_subcommand("operator", "Platform-operator API keys (administrative login only)");
    operator_cmd->require_subcommand(1);
    auto* operator_key = operator_cmd->add_subcommand(
        "key", "Issue an operator key (reloads any tenant, reads /metrics and /readyz in detail); prints it once");
    auto* operator_revoke = operator_cmd->add_subcommand("revoke", "Revoke an operator key by its id");
    operator_revoke->add_option("KEY_ID", revoke_key_id, "key id")->required();

    std::string serve_host;
    int serve_port = 0;
    auto* serve_cmd = app.add_subcommand("serve", "Run the prediction API (predict, explain, reload, metrics, docs)");
    serve_cmd->add_option("--host", serve_host, "address to listen on (default VOLTEDGE_API_HOST)");
    serve_cmd->add_option("--port", serve_port, "port (default VOLTEDGE_API_PORT or 28080)");

    std::vector<std::string> worker_kinds;
    std::string worker_name;
    auto* worker_cmd = app.add_subcommand("worker", "Run jobs from the Redis Streams queue until SIGTERM (metrics on "
                                                    "VOLTEDGE_WORKER_METRICS_PORT)");
    worker_cmd->add_option("--kinds", worker_kinds, "only these job kinds (default: all)");
    worker_cmd->add_option("--name", worker_name, "consumer name (default host:pid)");

    cli::JobsCommand jobs_command;
    auto* jobs_cmd = app.add_subcommand("jobs", "The job queue: list, show, retry, purge-dlq, submit");
    jobs_cmd->require_subcommand(1);
    auto* jobs_list = jobs_cmd->add_subcommand("list", "streams (waiting, pending, oldest), dead letters, and a tenant's jobs");
    jobs_list->add_option("--tenant", jobs_command.tenant, "also list this tenant's jobs");
    jobs_list->add_option("--state", jobs_command.state,
                          "only jobs in this state (queued, running, retrying, succeeded, failed, dead)");
    jobs_list->add_option("--limit", jobs_command.limit, "jobs and dead letters shown")->capture_default_str();
    auto* jobs_show = jobs_cmd->add_subcommand("show", "one job's record as JSON");
    auto* jobs_retry = jobs_cmd->add_subcommand("retry", "queue a dead job again from its first attempt");
    for (auto* sub : {jobs_show, jobs_retry}) {
        sub->add_option("--tenant", jobs_command.tenant, "the job's tenant")->required();
        sub->add_option("ID", jobs_command.id, "job id")->required();
    }
    auto* jobs_purge = jobs_cmd->add_subcommand("purge-dlq", "empty the dead-letter stream (job records stay)");
    auto* jobs_submit = jobs_cmd->add_subcommand("submit",
                                                 "queue a job (with --wait: and wait for it; inline if no worker is up)");
    jobs_submit->add_option("--tenant", jobs_command.tenant, "tenant")->required();
    jobs_submit->add_option("KIND", jobs_command.kind, "job kind (voltedge jobs kinds)")->required();
    jobs_submit->add_option("--payload", jobs_command.payload, "JSON object handed to the handler")->capture_default_str();
    jobs_submit->add_option("--dedupe-key", jobs_command.dedupe_key, "the same key while one is active is not queued twice");
    jobs_submit->add_flag("--wait", jobs_command.wait, "wait until it finishes; exit 1 unless it succeeded");
    jobs_submit->add_option("--wait-seconds", jobs_command.wait_seconds, "give up waiting after this long")
        ->capture_default_str();
    auto* jobs_kinds = jobs_cmd->add_subcommand("kinds", "the job kinds, their attempt limits and what they do");

    std::string slo_tenant;
    int slo_window_hours = 0;
    auto* slo_cmd = app.add_subcommand("slo", "Service-level objectives (VOLTEDGE_SLO)");
    slo_cmd->require_subcommand(1);
    auto* slo_check = slo_cmd->add_subcommand("check", "each SLO, its value over the window and pass/fail; exit 1 on a breach");
    slo_check->add_option("--tenant", slo_tenant, "tenant")->required();
    slo_check->add_option("--window-hours", slo_window_hours,
                          "measure over this many hours (default: the SLO file's window_hours)");

    std::string ingest_tenant, ingest_source = kUciUrl;
    bool ingest_force = false;
    auto* ingest = app.add_subcommand("ingest", "Load a UCI household power file: validate, impute, store minutes and hours");
    ingest->add_option("--tenant", ingest_tenant, "tenant to load into")->required();
    ingest->add_option("--source", ingest_source, "local .txt/.zip/.gz/.xz file or http(s) URL")->capture_default_str();
    ingest->add_flag("--force", ingest_force, "load even if this exact file was loaded before");

    auto* dq = app.add_subcommand("dq", "Data-quality reports");
    dq->require_subcommand(1);
    std::string dq_tenant;
    auto* dq_report = dq->add_subcommand("report", "Print the latest data-quality report of a tenant");
    dq_report->add_option("--tenant", dq_tenant, "tenant")->required();

    std::string features_tenant, weather_csv = config.weather_csv;
    bool with_weather = false;
    auto* features_cmd = app.add_subcommand("features", "Build the tenant's hourly feature table from its hourly usage");
    features_cmd->add_option("--tenant", features_tenant, "tenant")->required();
    features_cmd->add_flag("--with-weather", with_weather, "join hourly temperature (off by default)");
    features_cmd->add_option("--weather-csv", weather_csv,
                             "hourly temperature file 'YYYY-MM-DD HH:MM:SS,temperature_c' (env VOLTEDGE_WEATHER_CSV)");

    std::string index_tenant, index_root = ".";
    std::vector<std::string> index_paths;
    auto* index_cmd = app.add_subcommand("index", "Index a tenant's documents and code for search (incremental)");
    index_cmd->add_option("--tenant", index_tenant, "tenant")->required();
    index_cmd->add_option("--path", index_paths, "a folder of Markdown/text documents of the tenant's (repeatable)");
    index_cmd->add_option("--root", index_root, "the project checkout whose docs and code are indexed")->capture_default_str();

    std::string search_tenant, search_fusion = "rrf";
    rag::SearchQuery search_query;
    std::string search_kind;
    auto* search_cmd = app.add_subcommand("search", "Hybrid search (full text + vectors) in a tenant's index");
    search_cmd->add_option("--tenant", search_tenant, "tenant")->required();
    search_cmd->add_option("QUERY", search_query.text, "what to look for")->required();
    search_cmd->add_option("--k", search_query.k, "hits to show (1..50)")->capture_default_str();
    search_cmd->add_option("--kind", search_kind, "only documents of this kind (doc, code, data_dictionary, ...)");
    search_cmd->add_option("--path-prefix", search_query.path_prefix, "only documents whose path starts with this");
    search_cmd->add_option("--fusion", search_fusion, "rrf (reciprocal rank fusion) or weighted")->capture_default_str();
    search_cmd->add_option("--fts-weight", search_query.fts_weight, "weight of full text with --fusion weighted")
        ->capture_default_str();
    search_cmd->add_option("--vector-weight", search_query.vector_weight, "weight of vectors with --fusion weighted")
        ->capture_default_str();
    search_cmd->add_flag("--rerank", search_query.rerank,
                         "re-order the top 30 by exact matches (identifiers, file names, phrases)");

    std::string ask_tenant, ask_backend;
    agents::AskRequest ask_request;
    auto* ask_cmd = app.add_subcommand("ask", "Ask a question: answered from the tenant's index with citations, or ABSTAIN");
    ask_cmd->add_option("--tenant", ask_tenant, "tenant")->required();
    ask_cmd->add_option("QUESTION", ask_request.question, "the question")->required();
    ask_cmd->add_option("--thread", ask_request.thread_id, "a follow-up in this thread (its id from an earlier answer)");
    ask_cmd->add_option("--backend", ask_backend, "graph, chain or minimal (default: AGENT_BACKEND)");
    ask_cmd->add_option("--max-citations", ask_request.max_citations, "answer sentences at most (1..10)")->capture_default_str();

    std::string approve_tenant, approve_thread;
    agents::Approval approval;
    approval.approve = true;
    bool approve_reject = false;
    auto* approve_cmd = app.add_subcommand("approve", "Approve (or --reject) the action a thread drafted and waits on");
    approve_cmd->add_option("--tenant", approve_tenant, "tenant")->required();
    approve_cmd->add_option("THREAD", approve_thread, "thread id from the answer")->required();
    approve_cmd->add_flag("--reject", approve_reject, "reject it: nothing is sent");
    approve_cmd->add_option("--comment", approval.comment, "why, kept with the decision");

    std::vector<std::string> tools_allowed;
    auto* tenant_tools = tenant->add_subcommand("tools", "Set the agent tools a tenant may use (none given: AGENT_TOOLS)");
    tenant_tools->add_option("ID", tenant_id, "tenant id")->required();
    tenant_tools->add_option("--allow", tools_allowed, "tools, e.g. --allow search forecast (all: every tool)");

    auto* eval_cmd = app.add_subcommand("eval", "Evaluations on golden sets");
    eval_cmd->require_subcommand(1);
    std::string eval_tenant, eval_golden;
    auto* eval_retrieval = eval_cmd->add_subcommand(
        "retrieval", "recall@5/10, MRR, nDCG@10 of full text, vectors and hybrid search on the tenant's golden questions");
    eval_retrieval->add_option("--tenant", eval_tenant, "tenant (its index is searched)")->required();
    eval_retrieval->add_option("--golden", eval_golden, "golden set (default evaluations/golden/<tenant>/retrieval.jsonl)");
    bool eval_per_question = false;
    auto* eval_answers = eval_cmd->add_subcommand(
        "answers", "answered, grounding, citation, abstention and hallucination rates of /ask per backend on golden questions");
    eval_answers->add_option("--tenant", eval_tenant, "tenant (its index answers)")->required();
    eval_answers->add_option("--golden", eval_golden, "golden set (default evaluations/golden/<tenant>/answers.jsonl)");
    std::vector<std::string> eval_backends = {"graph", "chain", "minimal"};
    eval_answers->add_option("--backend", eval_backends, "backends to evaluate (repeatable)")->capture_default_str();
    bool eval_failures = false;
    agents::AgentOptions eval_agent_options = agents::agent_options(config);  // thresholds overridable, to calibrate them
    eval_answers
        ->add_option("--min-evidence-cosine", eval_agent_options.min_evidence_cosine, "abstain below this best-chunk cosine")
        ->capture_default_str();
    eval_answers
        ->add_option("--min-sentence-score", eval_agent_options.min_sentence_score, "quote no sentence scoring below this")
        ->capture_default_str();
    eval_answers->add_flag("--failures", eval_failures, "also list each case a backend got wrong");
    eval_retrieval->add_flag("--per-question", eval_per_question, "also each question's rank of its first relevant hit per mode");

    std::string train_tenant, train_config_path;
    auto* train_cmd = app.add_subcommand("train",
                                         "Backtest the model families, log them to MLflow, register the champion as staging");
    train_cmd->add_option("--tenant", train_tenant, "tenant")->required();
    train_cmd->add_option("--config", train_config_path, "training config (JSON; see configs/training.json)");

    std::string ablate_tenant, ablate_family = "xgboost", ablate_config_path;
    auto* ablate_cmd = app.add_subcommand(
        "ablate", "Backtest a family with and without each optional input group (nothing is tracked or registered)");
    ablate_cmd->add_option("--tenant", ablate_tenant, "tenant")->required();
    ablate_cmd->add_option("--family", ablate_family, "regression family")->capture_default_str();
    ablate_cmd->add_option("--config", ablate_config_path, "training config whose folds and horizons are used");

    std::string tune_tenant, tune_family, tune_config_path = "configs/training.json";
    int tune_budget = 12;
    double tune_max_slowdown = 2.0;
    auto* tune_cmd = app.add_subcommand(
        "tune", "Search a family's hyperparameters on the backtest folds (MLflow child runs); write the best to the config");
    tune_cmd->add_option("--tenant", tune_tenant, "tenant")->required();
    tune_cmd->add_option("--family", tune_family, "family to tune (xgboost or random_forest)")->required();
    tune_cmd->add_option("--budget", tune_budget, "random configurations to draw")->capture_default_str();
    tune_cmd
        ->add_option("--max-slowdown", tune_max_slowdown,
                     "a winner may take at most this many times the current configuration's backtest time")
        ->capture_default_str();
    tune_cmd->add_option("--config", tune_config_path, "training config: read, and rewritten with the best params")
        ->capture_default_str();

    std::string promote_tenant, promote_version;
    auto* promote_cmd = app.add_subcommand("promote", "Point the tenant's 'production' alias at a registered model version");
    promote_cmd->add_option("--tenant", promote_tenant, "tenant")->required();
    promote_cmd->add_option("--version", promote_version, "registered model version, or an alias (e.g. staging)")->required();

    std::string rollback_tenant, rollback_reason = "asked for";
    auto* rollback_cmd = app.add_subcommand("rollback", "Point the tenant's 'production' alias back at its previous version");
    rollback_cmd->add_option("--tenant", rollback_tenant, "tenant")->required();
    rollback_cmd->add_option("--reason", rollback_reason, "why, for the audit log")->capture_default_str();

    std::string canary_tenant, canary_version;
    std::vector<int> canary_steps = {5, 25, 50, 100};
    int canary_interval = 300;
    bool canary_wait = false;
    auto* canary_cmd = app.add_subcommand("canary", "Model canaries: start one (a worker job), or show the latest");
    canary_cmd->require_subcommand(1);
    auto* canary_start = canary_cmd->add_subcommand("start",
                                                    "canary a version: step its share up while the SLOs hold, then promote; "
                                                    "roll back automatically on a breach");
    canary_start->add_option("--tenant", canary_tenant, "tenant")->required();
    canary_start->add_option("--version", canary_version, "registered version (or alias, e.g. staging)")->required();
    canary_start->add_option("--steps", canary_steps, "shares in percent")->delimiter(',')->capture_default_str();
    canary_start->add_option("--interval", canary_interval, "seconds at each step before it is judged")->capture_default_str();
    canary_start->add_flag("--wait", canary_wait, "wait for the outcome (inline when no worker is up)");
    auto* canary_status = canary_cmd->add_subcommand("status", "the tenant's latest canary rollout");
    canary_status->add_option("--tenant", canary_tenant, "tenant")->required();

    CLI11_PARSE(app, argc, argv);
    const TracingSession tracing(config, *serve_cmd ? "voltedge-api" : *worker_cmd ? "voltedge-worker" : "voltedge-cli");
    try {
        if (*config_show) return show_config(config);
        if (*migrate) return run_migrate(config);
        if (*tenant_create) {
            const bool created = security::create_tenant(config.database_admin_url, tenant_id, config.actor);
            std::cerr << "tenant " << tenant_id << (created ? " created\n" : " already exists\n");
            return 0;
        }
        if (*tenant_key) {
            std::cout << security::issue_api_key(config.database_admin_url, tenant_id, admin_key, config.actor) << std::endl;
            std::cerr << "this key is shown once; only its hash is stored\n";
            return 0;
        }
        if (*tenant_tools) {
            if (tools_allowed.size() == 1 && tools_allowed[0] == "all") tools_allowed = agents::kAllTools;
            auto admin = db::connect(config.database_admin_url);
            agents::set_tenant_tools(admin, tenant_id, tools_allowed, config.actor);
            std::cerr << "tenant " << tenant_id << " may use "
                      << (tools_allowed.empty() ? "the default tools (AGENT_TOOLS)"
                                                : fmt::format("{}", fmt::join(tools_allowed, ", ")))
                      << '\n';
            return 0;
        }
        if (*tenant_revoke) {
            if (!security::revoke_api_key(config.database_admin_url, tenant_id, revoke_key_id, config.actor)) {
                std::cerr << "tenant " << tenant_id << " has no active key " << revoke_key_id << '\n';
                return 1;
            }
            std::cerr << "key " << revoke_key_id << " of tenant " << tenant_id << " revoked\n";
            return 0;
        }
        if (*tenant_export) {
            const auto e = security::export_tenant(config.database_admin_url, tenant_id, export_dir, config.actor);
            long rows = 0;
            for (const auto& t : e.tables) {
                std::cout << fmt::format("  {:<22} {:>10} rows  {}\n", t.table, t.rows, t.file);
                rows += t.rows;
            }
            std::cout << fmt::format("tenant {} exported to {} ({} tables, {} rows, as of {})\n", tenant_id, e.dir,
                                     e.tables.size(), rows, e.exported_at);
            return 0;
        }
        if (*tenant_delete) {
            const auto d = cli::delete_tenant(config, tenant_id, delete_confirm);
            cli::print_deletion(tenant_id, d, std::cout);
            return 0;
        }
        if (*audit_verify)
            return cli::run_audit_verify(config, audit_tenant.empty() ? std::nullopt : std::optional(audit_tenant), std::cout);
        if (*operator_key) {
            std::cout << security::issue_operator_key(config.database_admin_url, config.actor) << std::endl;
            std::cerr << "this key is shown once; only its hash is stored\n";
            return 0;
        }
        if (*operator_revoke) {
            if (!security::revoke_operator_key(config.database_admin_url, revoke_key_id, config.actor)) {
                std::cerr << "no active operator key " << revoke_key_id << '\n';
                return 1;
            }
            std::cerr << "operator key " << revoke_key_id << " revoked\n";
            return 0;
        }
        if (*worker_cmd) return cli::run_worker(config, handlers, worker_kinds, worker_name);
        if (*slo_check) return run_slo_check(config, slo_tenant, slo_window_hours);
        if (*jobs_kinds) {
            for (const auto& [kind, description] : handlers.kinds())
                std::cout << fmt::format("{:<10} {} attempts  {}\n", kind, handlers.max_attempts(kind), description);
            return 0;
        }
        if (*jobs_cmd) {
            for (auto* sub : {jobs_list, jobs_show, jobs_retry, jobs_purge, jobs_submit})
                if (*sub) jobs_command.action = sub->get_name();
            return cli::run_jobs_command(config, handlers, jobs_command);
        }
        if (*serve_cmd) {
            api::ServeOptions options = api::ServeOptions::from_config(config);
            if (!serve_host.empty()) options.host = serve_host;
            if (serve_port != 0) options.port = serve_port;
            return run_serve(config, options);
        }
        if (*ingest) return run_job(handlers, {"ingest", ingest_tenant, {{"source", ingest_source}, {"force", ingest_force}}});
        if (*features_cmd)
            return run_job(handlers,
                           {"features", features_tenant, {{"with_weather", with_weather}, {"weather_csv", weather_csv}}});
        if (*index_cmd) return run_job(handlers, {"index", index_tenant, {{"root", index_root}, {"paths", index_paths}}});
        if (*eval_retrieval) {
            const auto golden = evaluations::load_golden(
                eval_golden.empty() ? "evaluations/golden/" + eval_tenant + "/retrieval.jsonl" : eval_golden, ".");
            const auto embedder = rag::Embedder::load(config.model_dir.empty() ? rag::default_model_dir() : config.model_dir);
            auto conn = db::connect(config.database_url);
            std::cout << evaluations::format_report(evaluations::evaluate_retrieval(conn, eval_tenant, golden, embedder), golden,
                                                    eval_per_question);
            return 0;
        }
        if (*eval_answers) {
            const auto cases = evaluations::load_answer_cases(
                eval_golden.empty() ? "evaluations/golden/" + eval_tenant + "/answers.jsonl" : eval_golden);
            std::vector<agents::Backend> backends;
            for (const auto& name : eval_backends) backends.push_back(agents::backend_from(name));
            LocalAgent local(config, eval_tenant, handlers, eval_agent_options);
            auto conn = db::connect(config.database_url);
            std::cout << evaluations::format_answer_report(evaluations::evaluate_answers(conn, eval_tenant, cases, local.embedder,
                                                                                         eval_agent_options, backends,
                                                                                         &local.tools),
                                                           eval_failures);
            return 0;
        }
        if (*ask_cmd) {
            if (!ask_backend.empty()) ask_request.backend = agents::backend_from(ask_backend);
            return run_ask(config, handlers, ask_tenant, ask_request);
        }
        if (*approve_cmd) {
            approval.approve = !approve_reject;
            return run_approve(config, handlers, approve_tenant, approve_thread, approval);
        }
        if (*search_cmd) {
            if (!search_kind.empty()) search_query.kind = search_kind;
            if (search_fusion != "rrf" && search_fusion != "weighted")
                throw rag::BadQuery("fusion", "unknown fusion '" + search_fusion + "'", "use rrf or weighted");
            search_query.fusion = search_fusion == "rrf" ? rag::Fusion::rrf : rag::Fusion::weighted;
            return run_search(config, search_tenant, search_query);
        }
        if (*train_cmd) return run_job(handlers, {"train", train_tenant, {{"config_path", train_config_path}}});
        if (*ablate_cmd)
            return run_job(handlers, {"ablate", ablate_tenant, {{"family", ablate_family}, {"config_path", ablate_config_path}}});
        if (*tune_cmd)
            return run_job(handlers, {"tune",
                                      tune_tenant,
                                      {{"family", tune_family},
                                       {"budget", tune_budget},
                                       {"max_slowdown", tune_max_slowdown},
                                       {"config_path", tune_config_path}}});
        if (*canary_start) {
            cli::JobsCommand c;
            c.action = "submit";
            c.tenant = canary_tenant;
            c.kind = "canary";
            c.payload = nlohmann::json{{"version", canary_version},
                                       {"steps", canary_steps},
                                       {"interval_seconds", canary_interval}}
                            .dump();
            c.dedupe_key = "canary";
            c.wait = canary_wait;
            return cli::run_jobs_command(config, handlers, c);
        }
        if (*canary_status) {
            auto conn = db::connect(config.database_url);
            const auto r = serving::latest_rollout(conn, canary_tenant);
            if (!r) {
                std::cout << "tenant " << canary_tenant << " has had no canary\n";
                return 0;
            }
            std::cout << fmt::format("rollout {}: version {} {} at {}% (step {} of {}, {} s each){}\n", r->id, r->version,
                                     r->status, r->share, r->step + 1, r->steps.size(), r->interval_seconds,
                                     r->reason.empty() ? "" : ": " + r->reason);
            return 0;
        }
        if (*rollback_cmd) return run_job(handlers, {"rollback", rollback_tenant, {{"reason", rollback_reason}}});
        if (*promote_cmd) return run_job(handlers, {"promote", promote_tenant, {{"version", promote_version}}});
        if (*dq_report) {
            auto conn = db::connect(config.database_url);
            if (!cli::print_dq_report(conn, dq_tenant, std::cout)) {
                std::cerr << "tenant " << dq_tenant << " has no data-quality report yet: run 'voltedge ingest --tenant "
                          << dq_tenant << "'\n";
                return 1;
            }
            return 0;
        }
    } catch (const Error& e) {
        std::cerr << "error: " << e.what() << '\n';
        if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << '\n';
        return 1;
    } catch (const pqxx::sql_error& e) {
        // A statement that sets a role's password (migrate's role set-up) is not shown: stderr goes to logs.
        std::string query = e.query();
        std::string lower(query.size(), ' ');
        std::transform(query.begin(), query.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (lower.find("password") != std::string::npos) query = "(not shown: it sets a password)";
        std::cerr << "error: database: " << e.what() << "query: " << security::redacted(query) << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
