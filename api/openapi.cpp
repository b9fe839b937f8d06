#include "api/openapi.h"

#include <fmt/format.h>

#include <utility>

#include "serving/limits.h"

namespace voltedge::api {
namespace {

// Kept next to the handlers' behaviour by tests: every route in routes() must appear here, and the error
// statuses the tests provoke must be listed for their route; scripts/openapi-fuzz (ctest openapi_fuzz) checks the
// whole document against a running server: statuses, schemas, patterns and limits both ways.
constexpr const char* kDocument = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "VoltEdge prediction API",
    "version": "1.0.0",
    "description": "Hourly electrical-load forecasts per tenant, with explanations. Every route except /healthz, /readyz, /metrics, /openapi.json and /docs needs an API key (Authorization: Bearer <key> or X-API-Key: <key>); the key decides the tenant. Times are the meter's wall clock without a zone, on the hour. Every response carries X-Request-ID (an incoming one is kept). Any route may also answer, as the same JSON error: 405 (unknown method, with Allow), 413 (body over 64 KiB, chunked too), 415 (a Content-Encoding other than identity), 431 (header over 16 KiB or 64 fields) and 503 with Retry-After (the server is busy or has too many connections)."
  },
  "components": {
    "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "A tenant key ('voltedge tenant key TENANT', with --admin a tenant-admin key) or an operator key ('voltedge operator key')."},
      "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": ["error", "request_id"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
              "status": {"type": "integer"},
              "field": {"type": "string", "description": "The request field at fault, e.g. horizon_hours or target_hours[2]."},
              "message": {"type": "string"},
              "hint": {"type": "string", "description": "What to do about it."}
            }
          },
          "request_id": {"type": "string"}
        }
      },
      "PredictRequest": {
        "description": "Exactly one of the three fields.",
        "oneOf": [
          {"type": "object", "required": ["horizon_hours"], "additionalProperties": false,
           "properties": {"horizon_hours": {"type": "integer", "minimum": 1, "maximum": null,
             "description": "Forecast the next N hours after the tenant's latest data (at most the model's longest horizon)."}}},
          {"type": "object", "required": ["target_hour"], "additionalProperties": false,
           "properties": {"target_hour": {"$ref": "#/components/schemas/Hour"}}},
          {"type": "object", "required": ["target_hours"], "additionalProperties": false,
           "properties": {"target_hours": {"type": "array", "minItems": 1, "maxItems": null, "items": {"$ref": "#/components/schemas/Hour"}}}}
        ]
      },
      "Hour": {"type": "string", "pattern": "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)[T ](?:[01][0-9]|2[0-3]):00(?::00)?$",
        "description": "YYYY-MM-DDTHH:00, a space instead of T and a trailing :00 allowed, ASCII digits only; a real calendar date (Gregorian leap years), hour 00-23, on the hour, no zone.",
        "examples": ["2010-11-27T08:00"]},
      "Model": {
        "type": "object",
        "required": ["name", "version", "family"],
        "properties": {"name": {"type": "string"}, "version": {"type": "string"}, "family": {"type": "string"}}
      },
      "Prediction": {
        "type": "object",
        "required": ["id", "target_hour", "horizon_hours", "value_kw", "cached"],
        "properties": {
          "id": {"type": "string", "format": "uuid", "description": "For GET /explain/{id}."},
          "target_hour": {"type": "string"},
          "horizon_hours": {"type": "integer", "description": "The lead: hours between the last data the forecast saw and target_hour (it saw data up to target_hour - horizon_hours)."},
          "value_kw": {"type": "number", "description": "Forecast mean active power of the hour, kW."},
          "lower_80": {"type": "number", "description": "80 % prediction interval, lower bound (kW): split-conformal on the backtest errors at this lead and daypart. Absent when the model version has no calibration for the lead."},
          "upper_80": {"type": "number", "description": "80 % prediction interval, upper bound (kW)."},
          "lower_95": {"type": "number", "description": "95 % prediction interval, lower bound (kW)."},
          "upper_95": {"type": "number", "description": "95 % prediction interval, upper bound (kW)."},
          "cached": {"type": "boolean", "description": "Served from the cache: the same stored prediction (and id) as an earlier request."}
        }
      },
      "PredictResponse": {
        "type": "object",
        "required": ["request_id", "tenant_id", "model", "predictions"],
        "properties": {
          "request_id": {"type": "string"},
          "tenant_id": {"type": "string"},
          "model": {"$ref": "#/components/schemas/Model"},
          "predictions": {"type": "array", "items": {"$ref": "#/components/schemas/Prediction"}}
        }
      },
      "Explanation": {
        "type": "object",
        "required": ["id", "value_kw", "base_value", "contributions", "contribution_sum", "global_importance", "method", "model"],
        "properties": {
          "id": {"type": "string"},
          "target_hour": {"type": "string"},
          "origin_hour": {"type": "string", "description": "The feature row the inputs came from."},
          "horizon_hours": {"type": "integer"},
          "value_kw": {"type": "number"},
          "model": {"$ref": "#/components/schemas/Model"},
          "method": {"type": "string", "description": "TreeSHAP for tree models (exact on the log scale they fit, scaled by one common factor so the contributions sum to the kW forecast), coefficient x centred value for linear, sampled-permutation Shapley for the MLP, the mean of its members' for an ensemble."},
          "base_value": {"type": "number"},
          "contribution_sum": {"type": "number", "description": "base_value + sum of contributions; equals value_kw within 1e-4."},
          "contributions": {"type": "array", "items": {"type": "object", "required": ["feature", "value", "contribution"],
            "properties": {"feature": {"type": "string"}, "value": {"type": ["number", "null"]}, "contribution": {"type": "number"}}}},
          "global_importance": {"type": "object", "additionalProperties": {"type": "number"}, "description": "Mean |contribution| per feature over the training data."},
          "request_id": {"type": "string", "description": "The request that made the prediction."}
        }
      },
      "AskRequest": {
        "type": "object", "required": ["question"], "additionalProperties": false,
        "properties": {
          "question": {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": "^[^\\u0000]*[^ \\t\\r\\n\\u0000][^\\u0000]*$"},
          "thread_id": {"type": "string", "description": "A follow-up question in this thread (a UUID from an earlier answer); leave out to start a thread.",
            "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"},
          "max_citations": {"type": "integer", "minimum": 1, "maximum": 10, "description": "At most this many answer sentences, each citing one chunk (default 3)."},
          "tools": {"type": "array", "maxItems": 7, "items": {"type": "string", "enum": ["search", "forecast", "data_quality", "model_info", "run_eval", "open_pr", "file_issue"]},
            "description": "Narrow the tools this request may use (default: every tool the tenant and the key's role allow; write tools need a tenant-admin key)."},
          "backend": {"type": "string", "enum": ["graph", "chain", "minimal"], "description": "Default: the server's AGENT_BACKEND."}}
      },
      "ApprovalRequest": {
        "type": "object", "required": ["approve"], "additionalProperties": false,
        "properties": {"approve": {"type": "boolean", "description": "true runs the drafted write calls; false rejects them (nothing is sent)."},
          "comment": {"type": "string", "maxLength": 2000, "pattern": "^[^\\u0000]*$", "description": "Why; kept with the calls."}}
      },
      "AskResponse": {
        "type": "object",
        "required": ["request_id", "tenant_id", "thread_id", "status", "answer", "citations", "abstained", "reason", "intent", "tool_calls", "backend", "composer", "tokens", "cost_usd", "steps"],
        "properties": {
          "request_id": {"type": "string"}, "tenant_id": {"type": "string"}, "thread_id": {"type": "string"},
          "status": {"type": "string", "enum": ["answered", "abstained", "awaiting_approval"]},
          "answer": {"type": "string", "description": "Sentences quoted from the evidence, each followed by its citation marker [n]; or ABSTAIN: and the reason."},
          "citations": {"type": "array", "items": {"type": "object", "required": ["marker", "chunk_id", "doc_path", "revision", "line_start", "line_end", "quote"],
            "properties": {"marker": {"type": "integer"}, "chunk_id": {"type": "string", "description": "doc_path#ordinal"}, "doc_path": {"type": "string"},
              "revision": {"type": "string"}, "line_start": {"type": "integer"}, "line_end": {"type": "integer"}, "quote": {"type": "string", "description": "The evidence the answer quotes."}}}},
          "abstained": {"type": "boolean"}, "reason": {"type": ["string", "null"]},
          "intent": {"type": "string", "enum": ["documentation", "data", "action"]},
          "tool_calls": {"type": "array", "items": {"type": "object", "required": ["id", "name", "arguments", "writes", "status", "summary", "result", "reviewer", "comment"],
            "properties": {"id": {"type": "string", "description": "Cited as tool:<id>."}, "name": {"type": "string"}, "arguments": {"type": "object"},
              "writes": {"type": "boolean", "description": "A write tool: run only after a tenant admin approves it."},
              "status": {"type": "string", "enum": ["planned", "done", "failed", "awaiting_approval", "rejected"]},
              "summary": {"type": "string"}, "result": {"type": "object", "description": "The tool's output; for a call awaiting approval, the draft."},
              "reviewer": {"type": ["string", "null"]}, "comment": {"type": ["string", "null"]}}}},
          "backend": {"type": "string", "enum": ["graph", "chain", "minimal"]}, "composer": {"type": "string", "enum": ["extractive", "llm"]},
          "composer_note": {"type": ["string", "null"], "description": "What the critic dropped of the language model's answer, or why the extractive composer answered instead."},
          "tokens": {"type": "object", "properties": {"prompt": {"type": "integer"}, "completion": {"type": "integer"},
            "embedded": {"type": "integer", "description": "Tokens the extractive composer embedded (question and candidate sentences)."}}},
          "cost_usd": {"type": "number"},
          "steps": {"type": "array", "items": {"type": "object", "properties": {"node": {"type": "string"}, "ms": {"type": "number"}}}}}
      },
      "AgentThread": {
        "type": "object", "required": ["thread_id", "question", "backend", "status", "created_at", "updated_at", "steps"],
        "properties": {
          "thread_id": {"type": "string"}, "question": {"type": "string", "description": "Redacted."}, "backend": {"type": "string"},
          "status": {"type": "string", "enum": ["running", "answered", "abstained", "awaiting_approval", "failed"]},
          "created_at": {"type": "string"}, "updated_at": {"type": "string"},
          "steps": {"type": "array", "items": {"type": "object", "required": ["step", "node", "at", "state"],
            "properties": {"step": {"type": "integer"}, "node": {"type": "string"}, "at": {"type": "string"}, "state": {"type": "object", "description": "The state after the step, redacted."}}}}}
      },
      "SearchResponse": {
        "type": "object",
        "required": ["request_id", "tenant_id", "fusion", "hits"],
        "properties": {
          "request_id": {"type": "string"}, "tenant_id": {"type": "string"}, "fusion": {"type": "string", "enum": ["rrf", "weighted"]},
          "hits": {"type": "array", "items": {"type": "object",
            "required": ["doc_path", "ordinal", "revision", "kind", "line_start", "line_end", "section", "snippet", "score", "fts_score", "vector_score", "fts_rank", "vector_rank"],
            "properties": {
              "doc_path": {"type": "string"}, "ordinal": {"type": "integer", "description": "The chunk's place in its document; with doc_path it names one chunk."}, "revision": {"type": "string", "description": "Git commit of the file, or the run it was generated from."},
              "kind": {"type": "string"}, "line_start": {"type": "integer"}, "line_end": {"type": "integer"},
              "section": {"type": "string"}, "snippet": {"type": "string", "description": "The matched words between « and »."},
              "score": {"type": "number", "description": "The fused score."}, "fts_score": {"type": "number"}, "vector_score": {"type": "number", "description": "Cosine similarity."},
              "fts_rank": {"type": ["integer", "null"], "description": "Rank among the full-text candidates; null when not one."},
              "vector_rank": {"type": ["integer", "null"]}}}}
        }
      },
      "JobRequest": {
        "type": "object", "additionalProperties": false, "required": ["kind"],
        "properties": {
          "kind": {"type": "string", "enum": ["ablate", "batch_score", "canary", "eval", "features", "index", "ingest", "promote", "retrain", "rollback", "train", "tune"],
                   "description": "The job kind (voltedge jobs kinds). promote, rollback and canary need a tenant-admin key; tune (it rewrites the training configuration every tenant shares) an operator key."},
          "payload": {"type": "object", "description": "Handed to the job's handler. Fields naming server paths (source, root, paths, config_path, weather_csv) need an operator key."},
          "dedupe_key": {"type": "string", "minLength": 1, "maxLength": 200, "description": "While a job of the tenant with this key is queued, running or waiting to retry, the same job is returned instead of a new one."},
          "tenant": {"type": "string", "description": "Required with an operator key; a tenant's key may name only its own."}}
      },
      "Job": {
        "type": "object", "required": ["job_id", "tenant", "kind", "state", "attempts", "max_attempts"],
        "properties": {
          "job_id": {"type": "string"}, "tenant": {"type": "string"}, "kind": {"type": "string"}, "payload": {"type": "object"},
          "dedupe_key": {"type": ["string", "null"]},
          "state": {"type": "string", "enum": ["queued", "running", "retrying", "succeeded", "failed", "dead"], "description": "dead: out of attempts, in the dead-letter stream (voltedge jobs retry)."},
          "attempts": {"type": "integer"}, "max_attempts": {"type": "integer"},
          "error": {"type": ["string", "null"], "description": "The last failed attempt's error."}, "hint": {"type": ["string", "null"]},
          "result": {"description": "What the handler returned (a summary and its figures), once it succeeded."},
          "worker": {"type": ["string", "null"]},
          "created_at": {"type": ["string", "null"]}, "started_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]},
          "next_attempt_at": {"type": ["string", "null"]}, "request_id": {"type": "string"}}
      },
      "ReloadRequest": {
        "type": "object", "additionalProperties": false,
        "properties": {"tenant": {"type": "string", "description": "Only this tenant (a tenant-admin key may name only its own). When absent: the key's own tenant, or for an operator key every tenant with a registered forecaster."}}
      },
      "ReloadResponse": {
        "type": "object",
        "required": ["models"],
        "properties": {"models": {"type": "array", "items": {"type": "object", "properties": {
          "tenant_id": {"type": "string"}, "model": {"type": "string"}, "previous_version": {"type": "string"},
          "version": {"type": ["string", "null"]}, "changed": {"type": "boolean"}}}},
          "request_id": {"type": "string"}}
      },
      "Readiness": {
        "type": "object",
        "required": ["status", "checks", "missing"],
        "properties": {
          "status": {"enum": ["ready", "degraded", "unavailable"], "description": "degraded: Redis is down; predictions are served uncached."},
          "checks": {"type": "object"},
          "missing": {"type": "array", "items": {"enum": ["database", "model", "redis"]}},
          "models": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Operator key only: the version each tenant is served."},
          "model_loads_pending": {"type": "integer", "minimum": 0, "description": "Operator key only."},
          "db_connections_replaced": {"type": "integer", "minimum": 0, "description": "Operator key only."}
        }
      }
    },
    "responses": {
      "BadRequest": {"description": "The body is not JSON, not an object, or names a key twice; or the request is not well-formed HTTP/1.1.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "No API key, or an unknown or revoked one.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "UnknownKey": {"description": "A key was sent and it is unknown or revoked (sending none is fine).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Forbidden": {"description": "The key's scope does not allow it: a tenant key on /reload, a tenant-admin key naming another tenant, an operator key on a tenant's route.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "No such prediction for this tenant (another tenant's id looks exactly like a missing one).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Conflict": {"description": "The resource is not in a state that allows this: the tenant has no features to forecast from yet (/predict), or the thread is not waiting for approval (/ask).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "The body is over 64 KiB (chunked too), or target_hours has more entries than its maxItems.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unprocessable": {"description": "A field is unknown, of the wrong type or out of range; error.field names it.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "A dependency (database, MLflow) is down, the tenant has no production model (message 'no model in production'), or the server is busy (then with Retry-After).",
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Malformed": {"description": "The request is not well-formed HTTP/1.1 (answered before routing).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "BodyTooLarge": {"description": "The body is over 64 KiB, chunked too (answered before routing, whatever the route).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "UnsupportedEncoding": {"description": "A Content-Encoding other than identity: bodies are not accepted compressed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "HeaderTooLarge": {"description": "The request header is over 16 KiB or has more than 64 fields.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Busy": {"description": "The server is busy or has too many connections; retry after Retry-After seconds.",
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "headers": {
      "RetryAfter": {"description": "Seconds to wait; sent when the server is busy.", "schema": {"type": "string", "pattern": "^[0-9]+$"}}
    }
  },
  "security": [{"bearer": []}, {"apiKey": []}],
  "paths": {
    "/healthz": {"get": {"summary": "Liveness: the process answers.", "security": [],
      "responses": {"200": {"description": "Alive.", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ok"}}}}}}}}},
    "/readyz": {"get": {"summary": "Readiness: database, Redis, at least one model loaded; says which is missing. No key needed; with an operator key, also which tenants are served with which versions.", "security": [],
      "responses": {
        "401": {"$ref": "#/components/responses/UnknownKey"},
        "200": {"description": "Ready, or degraded (Redis down: still serving, uncached).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
        "503": {"description": "Database down or no model loaded (a Readiness), or the server is busy (an Error, with Retry-After).",
          "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
          "content": {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/Readiness"}, {"$ref": "#/components/schemas/Error"}]}}}}}}},
    "/predict": {"post": {"summary": "Forecast hourly load: the next N hours, one given hour, or a batch of given hours. Each prediction is stored and returned with its id.",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"},
        "examples": {"next24": {"value": {"horizon_hours": 24}}, "one": {"value": {"target_hour": "2010-11-27T08:00"}},
                     "batch": {"value": {"target_hours": ["2010-11-27T08:00", "2010-11-27T09:00"]}}}}}},
      "responses": {
        "200": {"description": "Forecasts in the order asked.",
          "headers": {"X-VoltEdge-Stale": {"description": "Present when the database could not be asked: these are the cached forecasts of the last data it gave.", "schema": {"type": "string"}}},
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictResponse"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"}, "409": {"$ref": "#/components/responses/Conflict"}, "413": {"$ref": "#/components/responses/TooLarge"},
        "422": {"$ref": "#/components/responses/Unprocessable"}, "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/explain/{id}": {"get": {"summary": "Why a stored prediction has its value: base value plus one contribution per input, and the model's global importance.",
      "parameters": [{"name": "id", "in": "path", "required": true, "description": "A prediction id as POST /predict returned it: a UUID, hex digits of either case.",
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}}],
      "responses": {
        "200": {"description": "The explanation.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Explanation"}}}},
        "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "422": {"$ref": "#/components/responses/Unprocessable"}, "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/reload": {"post": {"summary": "Admin: load the versions MLflow's production alias points to and swap them in; requests in flight finish on the old model. A tenant-admin key reloads its own tenant; an operator key the tenant named, or every tenant.",
      "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReloadRequest"}}}},
      "responses": {
        "200": {"description": "What each tenant serves now.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReloadResponse"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics: requests and latency by route and status, cache hits and misses, Redis state. No key needed; with an operator key, also the per-tenant state (models served).", "security": [],
      "responses": {"200": {"description": "Prometheus text format 0.0.4.", "content": {"text/plain": {"schema": {"type": "string"}}}},
        "401": {"$ref": "#/components/responses/UnknownKey"}}}},
    "/search": {"get": {"summary": "Hybrid search (full text + vectors, fused) in the key's tenant's index: the platform's docs and code, the data dictionary, the tenant's own documents.",
      "parameters": [
        {"name": "q", "in": "query", "required": true, "description": "What to look for, in words.", "schema": {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": "[^ \\t\\r\\n]"}},
        {"name": "k", "in": "query", "required": false, "description": "How many hits (default 10).", "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
        {"name": "kind", "in": "query", "required": false, "schema": {"type": "string", "enum": ["doc", "code", "data_dictionary", "model_card", "dq_report", "backtest", "tenant_doc"]}},
        {"name": "path_prefix", "in": "query", "required": false, "description": "Only documents whose path starts with this.", "schema": {"type": "string"}},
        {"name": "fusion", "in": "query", "required": false, "description": "rrf (reciprocal rank fusion, k = 60; the default) or weighted (0.5 x min-max normalised full-text score + 0.5 x vector score).", "schema": {"type": "string", "enum": ["rrf", "weighted"]}},
        {"name": "rerank", "in": "query", "required": false, "description": "true: the top 30 fused hits are re-ordered by exact matches of the query's identifiers, file names and word pairs (a lexical re-rank; no cross-encoder). Default false.", "schema": {"type": "string", "enum": ["true", "false"]}}],
      "responses": {
        "200": {"description": "The hits, best first.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResponse"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/ask": {"post": {"summary": "Ask a question about the platform: answered only from the tenant's retrieved chunks, every sentence cited, or ABSTAIN with the reason.",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskRequest"}}}},
      "responses": {
        "200": {"description": "The answer (or the abstention) and the thread it is stored in.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskResponse"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
        "409": {"$ref": "#/components/responses/Conflict"},
        "422": {"$ref": "#/components/responses/Unprocessable"}, "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/ask/{thread_id}/resume": {"post": {"summary": "Approve or reject the write calls a thread drafted (tenant-admin keys only); the thread then finishes. A thread is resumed once.",
      "parameters": [{"name": "thread_id", "in": "path", "required": true, "description": "As POST /ask returned it.",
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApprovalRequest"}}}},
      "responses": {
        "200": {"description": "The finished thread's answer: the calls' results, or the rejection.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskResponse"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
        "405": {"description": "An empty thread id: the path is then /ask/resume, which is GET /ask/{thread_id} of a thread named resume.",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "409": {"$ref": "#/components/responses/Conflict"},
        "422": {"$ref": "#/components/responses/Unprocessable"}, "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/ask/{thread_id}": {"get": {"summary": "A thread's steps: the state after every node of the agent's graph, redacted.",
      "parameters": [{"name": "thread_id", "in": "path", "required": true, "description": "As POST /ask returned it.",
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}}],
      "responses": {
        "200": {"description": "The thread.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AgentThread"}}}},
        "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"}, "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/jobs": {"post": {"summary": "Queue a job for the workers (Redis Streams) in the key's tenant, or with an operator key the tenant named. Returns at once; follow it with GET /jobs/{id}.",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"},
        "examples": {"features": {"value": {"kind": "features"}}, "eval": {"value": {"kind": "eval", "payload": {"suite": "retrieval"}, "dedupe_key": "eval-retrieval"}}}}}},
      "responses": {
        "202": {"description": "Queued (or the active job with the same dedupe key).",
          "headers": {"Location": {"description": "/jobs/{id}", "schema": {"type": "string"}}},
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"}, "413": {"$ref": "#/components/responses/TooLarge"},
        "422": {"$ref": "#/components/responses/Unprocessable"},
        "429": {"description": "The tenant already has VOLTEDGE_MAX_ACTIVE_JOBS jobs queued or running; retry after Retry-After seconds.",
          "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/jobs/{id}": {"get": {"summary": "A job's state, attempts, last error and result. Another tenant's job is 404.",
      "parameters": [{"name": "id", "in": "path", "required": true, "description": "As POST /jobs returned it.",
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}}],
      "responses": {
        "200": {"description": "The job.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
        "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"}, "503": {"$ref": "#/components/responses/Unavailable"}}}},
    "/openapi.json": {"get": {"summary": "This document.", "security": [],
      "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/docs": {"get": {"summary": "This document as a web page.", "security": [],
      "responses": {"200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}}}}}
  }
})json";

std::string escape_html(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace

nlohmann::json openapi_document(std::size_t max_batch) {
    static const nlohmann::json base = nlohmann::json::parse(kDocument);
    nlohmann::json doc = base;
    // The limits come from where they are enforced, so the document cannot drift from the server.
    auto& forms = doc["components"]["schemas"]["PredictRequest"]["oneOf"];
    forms[0]["properties"]["horizon_hours"]["maximum"] = serving::kMaxHorizonHours;
    forms[2]["properties"]["target_hours"]["maxItems"] = max_batch;
    // What the transport answers before routing (http::Server), any operation may answer; where an operation
    // documents the status itself, its own response (which says more) stays.
    static const std::pair<const char*, const char*> kTransport[] = {{"400", "Malformed"},
                                                                     {"413", "BodyTooLarge"},
                                                                     {"415", "UnsupportedEncoding"},
                                                                     {"431", "HeaderTooLarge"},
                                                                     {"503", "Busy"}};
    for (auto& [path, item] : doc["paths"].items())
        for (auto& [method, op] : item.items())
            for (const auto& [status, name] : kTransport)
                if (!op["responses"].contains(status))
                    op["responses"][status] = {{"$ref", std::string("#/components/responses/") + name}};
    return doc;
}

std::string docs_page(std::size_t max_batch) {
    const auto doc = openapi_document(max_batch);
    std::string html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>VoltEdge API</title><style>"
                       "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
                       "code,pre{background:#f4f4f4;padding:2px 4px}pre{padding:8px;overflow-x:auto}"
                       "h2{border-top:1px solid #ccc;padding-top:1em}</style></head><body>";
    html += "<h1>" + escape_html(doc["info"]["title"]) + "</h1><p>" + escape_html(doc["info"]["description"]) + "</p>";
    html += "<p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a>.</p>";
    for (const auto& [path, item] : doc["paths"].items())
        for (const auto& [method, op] : item.items()) {
            std::string upper = method;
            for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            html += "<h2><code>" + upper + " " + escape_html(path) + "</code></h2><p>" + escape_html(op["summary"]) + "</p>";
            html += op.contains("security") ? "<p>No key needed.</p>" : "<p>Needs an API key.</p>";
            if (op.contains("requestBody"))
                for (const auto& [type, content] : op["requestBody"]["content"].items()) {
                    if (!content.contains("examples")) continue;
                    html += "<p>Request body examples:</p>";
                    for (const auto& [name, ex] : content["examples"].items())
                        html += "<pre>" + escape_html(ex["value"].dump()) + "</pre>";
                }
            html += "<ul>";
            for (const auto& [status, response] : op["responses"].items()) {
                std::string description;
                if (response.contains("$ref")) {
                    const std::string ref = response["$ref"];
                    description = doc["components"]["responses"][ref.substr(ref.rfind('/') + 1)]["description"];
                } else {
                    description = response["description"];
                }
                html += "<li><b>" + status + "</b>: " + escape_html(description) + "</li>";
            }
            html += "</ul>";
        }
    html +=
        "<h2>Errors</h2><p>Every error is JSON: <code>{\"error\": {\"status\", \"field\", \"message\", \"hint\"}, \"request_id\"}</code>; "
        "<code>field</code> names the part of the request at fault.</p></body></html>";
    return html;
}

}  // namespace voltedge::api
