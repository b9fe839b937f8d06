#include "core/config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fmt/format.h>

#include "core/error.h"
#include "core/url.h"

namespace voltedge {
namespace {

struct Setting {
    const char* group;
    const char* env;
    const char* help;
    std::string fallback;                                  // the default, as text
    std::function<void(Config&, const std::string&)> set;  // parses and validates; throws Error
    std::function<std::string(const Config&)> get;
    bool secret = false;  // a URL whose password is masked when shown
    bool hidden = false;  // a token: shown only as set or not
};

[[noreturn]] void invalid(const char* env, const std::string& value, const std::string& what) {
    throw Error(fmt::format("{}='{}' is invalid: {}", env, redact_url(value), what),
                fmt::format("see 'voltedge config show' for {}", env));
}

Setting text(const char* group, const char* env, std::string Config::*field, std::string fallback, const char* help,
             bool secret = false) {
    return {group,
            env,
            help,
            std::move(fallback),
            [field](Config& c, const std::string& v) { c.*field = v; },
            [field](const Config& c) { return c.*field; },
            secret};
}

Setting url(const char* group, const char* env, std::string Config::*field, std::string fallback, const char* help,
            std::vector<std::string> schemes) {
    const bool optional = fallback.empty();  // an optional URL may stay unset
    Setting s = text(group, env, field, std::move(fallback), help, true);
    s.set = [field, env, schemes, optional](Config& c, const std::string& v) {
        if (optional && v.empty()) {
            c.*field = v;
            return;
        }
        const bool postgres = field == &Config::database_url || field == &Config::database_admin_url;
        if (postgres && v.find("://") == std::string::npos) {  // libpq's key=value form: libpq validates it
            c.*field = v;
            return;
        }
        const std::string normal = postgres ? normalize_postgres_url(v) : v;
        const auto parsed = parse_url(normal);
        std::string list;
        for (const auto& scheme : schemes) list += (list.empty() ? "" : " or ") + scheme + "://";
        if (!parsed) invalid(env, v, "it must be a URL starting with " + list);
        bool known = false;
        for (const auto& scheme : schemes) known = known || parsed->scheme == scheme;
        if (!known) invalid(env, v, "its scheme must be " + list);
        c.*field = normal;
    };
    return s;
}

Setting token(const char* group, const char* env, std::string Config::*field, const char* help) {
    Setting s = text(group, env, field, "", help);
    s.hidden = true;
    return s;
}

// A comma-separated list whose items must each be one of `choices`.
Setting list_of(const char* group, const char* env, std::string Config::*field, std::string fallback,
                std::vector<std::string> choices, const char* help) {
    Setting s = text(group, env, field, std::move(fallback), help);
    s.set = [field, env, choices](Config& c, const std::string& v) {
        std::size_t start = 0;
        while (start <= v.size()) {
            const auto end = std::min(v.find(',', start), v.size());
            const std::string item = v.substr(start, end - start);
            if (!item.empty() && std::find(choices.begin(), choices.end(), item) == choices.end())
                invalid(env, v, fmt::format("'{}' is not one of {}", item, fmt::join(choices, ", ")));
            start = end + 1;
        }
        c.*field = v;
    };
    return s;
}

Setting number(const char* group, const char* env, double Config::*field, double fallback, double min, double max,
               const char* help) {
    return {group,
            env,
            help,
            fmt::format("{:g}", fallback),
            [=](Config& c, const std::string& v) {
        double x = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
        if (ec != std::errc() || end != v.data() + v.size() || !(x >= min && x <= max))
            invalid(env, v, fmt::format("it must be a number from {:g} to {:g}", min, max));
        c.*field = x;
            },
            [field](const Config& c) { return fmt::format("{:g}", c.*field); }};
}

Setting integer(const char* group, const char* env, int Config::*field, int fallback, int min, int max, const char* help) {
    return {group,
            env,
            help,
            std::to_string(fallback),
            [=](Config& c, const std::string& v) {
        int n = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max)
            invalid(env, v, fmt::format("it must be a whole number from {} to {}", min, max));
        c.*field = n;
            },
            [field](const Config& c) { return std::to_string(c.*field); }};
}

Setting choice(const char* group, const char* env, std::string Config::*field, std::string fallback,
               std::vector<std::string> choices, const char* help) {
    Setting s = text(group, env, field, std::move(fallback), help);
    s.set = [field, env, choices](Config& c, const std::string& v) {
        if (std::find(choices.begin(), choices.end(), v) == choices.end())
            invalid(env, v, fmt::format("it must be one of {}", fmt::join(choices, ", ")));
        c.*field = v;
    };
    return s;
}

Setting on_off(const char* group, const char* env, bool Config::*field, bool fallback, const char* help) {
    return {group,
            env,
            help,
            fallback ? "on" : "off",
            [=](Config& c, const std::string& v) {
        if (v != "on" && v != "off") invalid(env, v, "it must be 'on' or 'off'");
        c.*field = v == "on";
            },
            [field](const Config& c) { return std::string(c.*field ? "on" : "off"); }};
}

// Must match scripts/devstack.
const std::vector<Setting>& schema() {
    static const std::vector<Setting> settings = {
        url("database", "DATABASE_URL", &Config::database_url, "postgresql://voltedge_app:voltedge_app@127.0.0.1:25432/voltedge",
            "application login (row-level security applies); postgresql+psycopg2:// is accepted", {"postgresql", "postgres"}),
        url("database", "DATABASE_ADMIN_URL", &Config::database_admin_url,
            "postgresql://postgres:voltedge_admin@127.0.0.1:25432/voltedge", "login that runs migrations and manages tenants",
            {"postgresql", "postgres"}),
        integer("database", "VOLTEDGE_DB_POOL", &Config::db_pool, 8, 1, 1000, "database connections the API shares"),
        url("redis", "REDIS_URL", &Config::redis_url, "redis://127.0.0.1:26379/0",
            "shared prediction cache (and later job queue)", {"redis"}),
        url("registry", "MLFLOW_TRACKING_URI", &Config::mlflow_tracking_uri, "http://127.0.0.1:25000",
            "MLflow tracking and model registry server", {"http", "https"}),
        text("api", "VOLTEDGE_API_HOST", &Config::api_host, "127.0.0.1", "address voltedge serve listens on"),
        integer("api", "VOLTEDGE_API_PORT", &Config::api_port, 28080, 0, 65535,
                "port voltedge serve listens on (0: any free port)"),
        integer("api", "VOLTEDGE_API_THREADS", &Config::api_threads, 16, 1, 1024,
                "handler threads (they block on the database and Redis)"),
        integer("api", "VOLTEDGE_API_IO_THREADS", &Config::api_io_threads, 2, 1, 64,
                "threads serving connections (asynchronous: idle connections take none)"),
        integer("api", "VOLTEDGE_API_QUEUE", &Config::api_queue, 256, 1, 100'000,
                "requests waiting for a handler thread before the API sheds load (503 + Retry-After)"),
        integer("api", "VOLTEDGE_API_MAX_CONNECTIONS", &Config::api_max_connections, 10'000, 1, 1'000'000,
                "open connections; past it new ones get 503"),
        integer("api", "VOLTEDGE_KEY_CACHE_SECONDS", &Config::key_cache_seconds, 10, 0, 3600,
                "how long a resolved API key is remembered (a revoked key works at most this long)"),
        integer("api", "VOLTEDGE_REQUEST_TIMEOUT_MS", &Config::request_timeout_ms, 10'000, 100, 600'000,
                "a request's deadline from its arrival: its database statements and outgoing calls stop then (503)"),
        integer("api", "VOLTEDGE_MODEL_LOAD_TIMEOUT_SECONDS", &Config::model_load_timeout_seconds, 30, 1, 3600,
                "one model's background load from the registry; a failed load is retried after 10 s"),
        integer("api", "VOLTEDGE_MODEL_REFRESH_SECONDS", &Config::model_refresh_seconds, 30, 0, 86400,
                "how often the API re-reads each tenant's production alias and swaps in a moved one (0: only on /reload)"),
        on_off("api", "VOLTEDGE_PREDICTION_CACHE", &Config::prediction_cache, true,
               "answer repeated forecasts from the in-process and Redis caches"),
        integer("api", "VOLTEDGE_MAX_BATCH", &Config::max_batch, Config{}.max_batch, 1, 10000,
                "target_hours per /predict request"),
        integer("api", "VOLTEDGE_CACHE_TTL_SECONDS", &Config::cache_ttl_seconds, 3600, 1, 86400 * 30,
                "how long Redis keeps a cached prediction"),
        text("features", "VOLTEDGE_WEATHER_CSV", &Config::weather_csv, "",
             "hourly temperature file for 'voltedge features --with-weather'"),
        text("retrieval", "VOLTEDGE_MODEL_DIR", &Config::model_dir, "",
             "folder of the embedding model (model.safetensors, tokenizer.json, config.json); default .cache/models/minilm"),
        integer("retrieval", "VOLTEDGE_ANN_MIN_CHUNKS", &Config::ann_min_chunks, Config{}.ann_min_chunks, 1, 100'000'000,
                "chunks from which a tenant's vector search uses its own HNSW index instead of an exact scan"),
        integer("retrieval", "VOLTEDGE_TEXT_INDEX_MIN_CHUNKS", &Config::text_index_min_chunks, Config{}.text_index_min_chunks, 1,
                100'000'000,
                "chunks from which a tenant's full-text search uses GIN indexes of its own instead of the shared ones"),
        text("workers", "VOLTEDGE_QUEUE_PREFIX", &Config::queue_prefix, "voltedge",
             "prefix of the job queue's Redis keys (<prefix>:jobs:<kind>, :delayed, :dead)"),
        text("workers", "VOLTEDGE_WORKER_METRICS_HOST", &Config::worker_metrics_host, "127.0.0.1",
             "address a worker's /metrics and /healthz listen on (0.0.0.0 in a container)"),
        integer("workers", "VOLTEDGE_WORKER_METRICS_PORT", &Config::worker_metrics_port, 28090, 0, 65535,
                "port of a worker's /metrics and /healthz (0: any free port)"),
        integer("workers", "VOLTEDGE_JOB_VISIBILITY_SECONDS", &Config::job_visibility_seconds, 300, 1, 86400,
                "a job whose worker has been silent this long is reclaimed by another worker"),
        integer("workers", "VOLTEDGE_WORKER_GRACE_SECONDS", &Config::worker_grace_seconds, 30, 0, 86400,
                "after SIGTERM, how long a worker's current job may finish before it is handed back"),
        integer("workers", "VOLTEDGE_JOB_BACKOFF_MS", &Config::job_backoff_ms, 2000, 1, 3'600'000,
                "ceiling of the first retry's random delay; it doubles with each attempt, up to 10 minutes"),
        integer("workers", "VOLTEDGE_MAX_ACTIVE_JOBS", &Config::max_active_jobs, Config{}.max_active_jobs, 1, 1'000'000,
                "jobs a tenant may have queued or running at once; POST /jobs answers 429 beyond (a flood from one "
                "tenant cannot starve the others)"),
        text("workers", "VOLTEDGE_SCHEDULE", &Config::schedule, "",
             "JSON file of periodic jobs (e.g. configs/schedule.json); each period runs once across all workers"),
        text("evaluations", "VOLTEDGE_SLO", &Config::slo, "configs/slo.json",
             "the SLO file: API latency and errors, forecast error margins per stage, drift, answer quality and cost"),
        url("evaluations", "VOLTEDGE_EVAL_WEBHOOK_URL", &Config::eval_webhook_url, "",
            "each nightly evaluation's summary is POSTed here as JSON (the n8n flow); empty: logged only", {"http", "https"}),
        integer("evaluations", "VOLTEDGE_RETRAIN_AFTER_DAYS", &Config::retrain_after_days, 7, 1, 3650,
                "the retrain job retrains when the data runs this many days past the production version's training"),
        choice("agent", "AGENT_BACKEND", &Config::agent_backend, "graph", {"graph", "chain", "minimal"},
               "how /ask answers: the checkpointed graph, a one-pass chain, or the best evidence quoted"),
        list_of("agent", "AGENT_TOOLS", &Config::agent_tools,
                "search,forecast,data_quality,model_info,run_eval,open_pr,file_issue",
                {"search", "forecast", "data_quality", "model_info", "run_eval", "open_pr", "file_issue"},
                "tools /ask may use for tenants without their own list (voltedge tenant tools); write tools always wait "
                "for a tenant admin's approval"),
        url("agent", "GITHUB_API_URL", &Config::github_api_url, "https://api.github.com",
            "GitHub REST API for open_pr and file_issue", {"http", "https"}),
        text("agent", "GITHUB_REPO", &Config::github_repo, "", "owner/name the agent's issues and pull requests go to"),
        token("agent", "GITHUB_TOKEN", &Config::github_token, "GitHub token; unset: approved drafts are returned, not sent"),
        text("agent", "JIRA_URL", &Config::jira_url, "", "Jira base URL for file_issue with tracker jira"),
        text("agent", "JIRA_PROJECT", &Config::jira_project, "", "Jira project key, e.g. OPS"),
        text("agent", "JIRA_USER", &Config::jira_user, "", "Jira user e-mail (basic auth); unset: the token is a bearer token"),
        token("agent", "JIRA_TOKEN", &Config::jira_token, "Jira API token; unset: approved drafts are returned, not sent"),
        text("agent", "VOLTEDGE_LLM_URL", &Config::llm_url, "",
             "OpenAI-compatible /v1 URL of a language model that composes /ask answers (make llm); unset: extractive"),
        text("agent", "VOLTEDGE_LLM_MODEL", &Config::llm_model, "smollm2", "model name sent to VOLTEDGE_LLM_URL"),
        token("agent", "VOLTEDGE_LLM_API_KEY", &Config::llm_api_key, "bearer token for VOLTEDGE_LLM_URL (hosted APIs)"),
        integer("agent", "VOLTEDGE_LLM_MAX_TOKENS", &Config::llm_max_tokens, 256, 16, 8192, "completion tokens per /ask request"),
        number("agent", "VOLTEDGE_LLM_USD_PER_1K_PROMPT", &Config::llm_usd_per_1k_prompt, 0, 0, 1000,
               "price of 1,000 prompt tokens, for the cost estimate of each answer"),
        number("agent", "VOLTEDGE_LLM_USD_PER_1K_COMPLETION", &Config::llm_usd_per_1k_completion, 0, 0, 1000,
               "price of 1,000 completion tokens"),
        url("observability", "OTEL_EXPORTER_OTLP_ENDPOINT", &Config::otlp_endpoint, "",
            "OTLP/HTTP collector (Jaeger: http://127.0.0.1:24318); spans go to <url>/v1/traces; empty: no tracing",
            {"http", "https"}),
        choice("observability", "OTEL_EXPORTER_OTLP_PROTOCOL", &Config::otlp_protocol, "http/protobuf",
               {"http/protobuf", "http/json"}, "encoding of the exported spans (protobuf: about a third of JSON's bytes)"),
        url("observability", "VOLTEDGE_PROMETHEUS_URL", &Config::prometheus_url, "http://127.0.0.1:29090",
            "Prometheus whose query API 'voltedge slo check' reads the platform-wide objectives from; not reachable: "
            "those are skipped",
            {"http", "https"}),
        number("observability", "VOLTEDGE_TRACE_SAMPLE_RATIO", &Config::trace_sample_ratio, 1, 0, 1,
               "share of new traces recorded (a caller's traceparent decision is followed)"),
        number("retrieval", "VOLTEDGE_ANN_RECALL_SAMPLE_RATIO", &Config::ann_recall_sample_ratio, 0.02, 0, 1,
               "share of vector searches also run exactly, in the background and at most one a minute, to measure "
               "the ANN index's recall (metric voltedge_search_ann_recall_ratio)"),
        text("identity", "VOLTEDGE_ACTOR", &Config::actor, "",
             "who the audit log names for command-line actions (default cli:$USER)"),
    };
    return settings;
}

}  // namespace

std::string normalize_postgres_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return url;  // libpq key=value form
    const auto plus = url.find('+');
    if (plus != std::string::npos && plus < scheme_end) return url.substr(0, plus) + url.substr(scheme_end);
    return url;
}

Config Config::load(const Lookup& lookup) {
    const Lookup read = lookup ? lookup : [](const char* name) -> const char* { return std::getenv(name); };
    Config c;
    for (const auto& s : schema()) {
        const char* value = read(s.env);
        const bool given = value && *value;
        s.set(c, given ? std::string(value) : s.fallback);
        c.sources[s.env] = given ? "environment" : "default";
    }
    if (c.actor.empty()) {
        const char* user = read("USER");
        c.actor = std::string("cli:") + (user && *user ? user : "unknown");
    }
    return c;
}

std::vector<Config::Shown> Config::show() const {
    std::vector<Shown> out;
    for (const auto& s : schema()) {
        const auto source = sources.find(s.env);
        const std::string value = s.get(*this);
        const std::string shown = s.hidden ? (value.empty() ? "" : "(set)") : s.secret ? redact_url(value) : value;
        out.push_back({s.group, s.env, shown, source == sources.end() ? "default" : source->second, s.help});
    }
    return out;
}

const char* source_commit() { return VOLTEDGE_GIT_COMMIT; }

}  // namespace voltedge
