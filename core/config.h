#pragma once
// The one typed configuration of the process. Every setting is declared once in config.cpp's schema (group,
// environment variable, default, validation, help) and read once at start-up; nothing else reads the
// environment. `voltedge config show` prints the effective values (secrets masked) and where each came
// from. The defaults are the local stack `scripts/devstack up` starts.
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace voltedge {

struct Config {
    // database
    std::string database_url;        // application role: subject to row-level security
    std::string database_admin_url;  // administrative login that runs migrations and tenant management
    int db_pool = 8;                 // application connections the API shares between requests
    // redis
    std::string redis_url;
    // registry
    std::string mlflow_tracking_uri;
    // api
    std::string api_host = "127.0.0.1";
    int api_port = 28080;
    int api_threads = 16;
    int api_io_threads = 2;
    int api_queue = 256;
    int api_max_connections = 10'000;
    int key_cache_seconds = 10;
    int request_timeout_ms = 10'000;
    int model_load_timeout_seconds = 30;
    int model_refresh_seconds = 30;  // how often the API re-reads the production aliases (a rollback takes effect)
    bool prediction_cache = true;
    int max_batch = 168;
    int cache_ttl_seconds = 3600;
    // features
    std::string weather_csv;
    // retrieval
    std::string model_dir;              // the embedding model's files; empty: where make bootstrap puts them
    int ann_min_chunks = 1000;          // a tenant with this many chunks gets its own HNSW index (db/migrations/007)
    int text_index_min_chunks = 20000;  // ... and its own full-text (GIN) indexes (db/migrations/022)
    // workers
    std::string queue_prefix = "voltedge";          // Redis keys of the job streams (workers/stream_queue.h)
    std::string worker_metrics_host = "127.0.0.1";  // 0.0.0.0 in a container: probes and Prometheus come from outside
    int worker_metrics_port = 28090;
    int job_visibility_seconds = 300;  // a running job's entry silent this long is taken over by another worker
    int worker_grace_seconds = 30;     // after SIGTERM, how long the current job may finish before it is handed back
    int job_backoff_ms = 2000;         // first retry's delay ceiling (doubling, full jitter)
    int max_active_jobs = 100;         // per tenant, queued or running: POST /jobs answers 429 beyond
    std::string schedule;              // JSON schedule of periodic jobs (workers/schedule.h); empty: none
    // evaluations
    std::string slo = "configs/slo.json";  // the SLOs (evaluations/slo.h)
    std::string eval_webhook_url;          // where each nightly evaluation's summary is posted (n8n); empty: nowhere
    int retrain_after_days = 7;            // new data this many days past a version's training triggers retraining
    // identity
    std::string agent_backend = "graph";                        // graph | chain | minimal (agents/agent.h)
    std::string agent_tools;                                    // comma-separated default tool allow-list (agents/tools.h)
    std::string github_api_url, github_repo, github_token;      // the open_pr and file_issue tools
    std::string jira_url, jira_project, jira_user, jira_token;  // file_issue with tracker jira
    std::string llm_url, llm_model = "smollm2", llm_api_key;    // the optional generative composer (agents/generative.h)
    int llm_max_tokens = 256;
    double llm_usd_per_1k_prompt = 0, llm_usd_per_1k_completion = 0;
    std::string actor;  // who the audit log names for command-line actions
    // observability
    std::string otlp_endpoint;                    // OTLP/HTTP collector base URL; empty: no traces exported
    std::string otlp_protocol = "http/protobuf";  // or http/json
    double trace_sample_ratio = 1.0;              // share of new traces recorded
    std::string prometheus_url;                   // Prometheus query API for the platform-wide SLOs (slo check)
    double ann_recall_sample_ratio = 0.02;        // share of vector searches also run exactly to measure recall

    // Where each setting's value came from: "default" or "environment", by variable name.
    std::map<std::string, std::string> sources;

    using Lookup = std::function<const char*(const char* name)>;
    // Reads every setting through `lookup` (the process environment by default). Throws Error naming the
    // variable, the bad value and what it must be.
    static Config load(const Lookup& lookup = nullptr);

    struct Shown {
        std::string group, env, value, source, help;
    };
    // Every setting with its effective value; secrets (passwords in URLs) masked.
    std::vector<Shown> show() const;
};

// Accepts the plan's SQLAlchemy form (postgresql+psycopg2://...) and returns a libpq URL.
std::string normalize_postgres_url(const std::string& url);

// The git commit compiled into this binary.
const char* source_commit();

}  // namespace voltedge
