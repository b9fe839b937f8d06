#include "api/http_layer.h"

#include <fmt/format.h>

#include <optional>
#include <set>

#include "core/deadline.h"
#include "core/log.h"
#include "core/uuid.h"
#include "observability/log_context.h"
#include "observability/metrics.h"
#include "observability/tracing.h"
#include "db/connection.h"
#include "security/api_keys.h"
#include "serving/predictor.h"

namespace voltedge::api {
namespace {

thread_local RequestState state;
thread_local std::optional<observability::ScopedLogContext> log_context;
// The request's server span: a child of the caller's traceparent when it sends a valid one.
thread_local std::optional<observability::Span> request_span;

// An incoming X-Request-ID is kept when it is a sane token; otherwise the server makes one.
std::string request_id_for(const http::Request& req) {
    const std::string incoming = req.header("x-request-id");
    if (!incoming.empty() && incoming.size() <= 128 &&
        std::all_of(incoming.begin(), incoming.end(), [](char c) { return c > ' ' && c < 127 && c != '"' && c != '\\'; }))
        return incoming;
    return new_uuid();
}

int status_of(serving::ServingError::Reason reason) {
    switch (reason) {
        case serving::ServingError::Reason::bad_request: return 422;
        case serving::ServingError::Reason::not_found: return 404;
        case serving::ServingError::Reason::no_features: return 409;
        case serving::ServingError::Reason::no_model:
        case serving::ServingError::Reason::model_loading: return 503;
    }
    return 500;
}

observability::CounterFamily& requests_total() {
    static auto& f = observability::metrics().counter_family("voltedge_http_requests_total",
                                                             "HTTP requests served, by route template and status.",
                                                             {"route", "status", "model_version"});
    return f;
}

observability::HistogramFamily& request_seconds() {
    static auto& f = observability::metrics().histogram_family(
        "voltedge_http_request_duration_seconds",
        "Time from routing to response, by route template, status and the model version that answered.",
        {"route", "status", "model_version"});
    return f;
}

// "a.md#3,b.cpp#1": the chunk ids an answer cited, for the log line and the span.
std::string doc_refs_text() {
    std::string out;
    for (const auto& ref : state.doc_refs) out += (out.empty() ? "" : ",") + ref;
    return out;
}

void start_request_span(const http::Request& req) {
    request_span.reset();
    if (!observability::tracing_enabled()) return;  // no name to build, no header to look up
    const std::string route = req.route.empty() ? "unmatched" : req.route;
    request_span.emplace(req.method + " " + route, observability::SpanKind::server,
                         observability::parse_traceparent(req.header("traceparent")));
    auto& span = *request_span;
    if (!span.recording()) return;
    span.set("http.request.method", req.method);
    span.set("http.route", route);
    span.set("url.path", req.path);
    span.set("url.scheme", "http");
    span.set("network.protocol.version", "1.1");
    if (const auto agent = req.header("user-agent"); !agent.empty()) span.set("user_agent.original", agent);
    span.set("http.request.body.size", static_cast<std::int64_t>(req.body.size()));
    span.set("request.id", state.request_id);
}

void end_request_span(const http::Response& res) {
    if (!request_span) return;
    auto& span = *request_span;
    span.set("http.response.status_code", res.status);
    span.set("http.response.body.size", static_cast<std::int64_t>(res.body.size()));
    if (!state.tenant.empty()) span.set("tenant.id", state.tenant);
    if (!state.model_version.empty()) span.set("model.version", state.model_version);
    if (!state.cache.empty()) span.set("cache.outcome", state.cache);
    if (!state.doc_refs.empty()) span.set("doc.refs", doc_refs_text());
    if (state.token_count > 0) span.set("gen_ai.usage.total_tokens", state.token_count);
    if (res.status >= 500) span.set_error("HTTP " + std::to_string(res.status));
    request_span.reset();
}

}  // namespace

RequestState& current_request() { return state; }

// Starts the request's context on this thread (once per request).
void begin_request(const http::Request& req, http::Response& res) {
    if (state.request != &req) {
        log_context.reset();
        state = RequestState{};
        state.request = &req;
        state.request_id = request_id_for(req);
        log_context.emplace(observability::LogContext{state.request_id, "", ""});
        start_request_span(req);
    }
    res.headers.emplace_back("X-Request-ID", state.request_id);
}

void finish_request(const http::Request& req, const http::Response& res, double seconds) {
    if (state.request != &req) {  // answered by the server itself, on another thread
        http::Response ignored;
        begin_request(req, ignored);
    }
    const std::string route = req.route.empty() ? "unmatched" : req.route;
    const std::string status = std::to_string(res.status);
    requests_total().with({route, status, state.model_version}).inc();
    request_seconds().with({route, status, state.model_version}).observe(seconds);
    // request_id and tenant_id come from the log context.
    std::string line = fmt::format(R"("method":{},"route":{},"status":{},"latency_ms":{:.2f},"model_version":{},"cache":{})",
                                   json_quoted(req.method), json_quoted(route), res.status, seconds * 1e3,
                                   json_quoted(state.model_version), json_quoted(state.cache));
    if (state.token_count > 0) line += fmt::format(R"(,"token_count":{})", state.token_count);
    if (!state.doc_refs.empty()) line += R"(,"doc_refs":)" + json_quoted(doc_refs_text());
    log_event_raw("info", "request", line);
    end_request_span(res);
    log_context.reset();
    state.request = nullptr;
}

void send_json(http::Response& res, int status, const Json& body) {
    res.status = status;
    res.content_type = "application/json";
    res.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void send_error(http::Response& res, int status, const std::string& field, const std::string& message, const std::string& hint) {
    Json error = {{"status", status}, {"message", message}};
    if (!field.empty()) error["field"] = field;
    if (!hint.empty()) error["hint"] = hint;
    send_json(res, status, {{"error", error}, {"request_id", state.request_id}});
}

http::Handler guarded(std::function<void(const http::Request&, http::Response&)> fn) {
    return [fn = std::move(fn)](const http::Request& req, http::Response& res) {
        begin_request(req, res);
        try {
            fn(req, res);
        } catch (const ApiError& e) {
            send_error(res, e.status(), e.field(), e.what(), e.hint());
        } catch (const serving::ServingError& e) {
            send_error(res, status_of(e.reason()), e.field(), e.what(), e.hint());
            if (e.reason() == serving::ServingError::Reason::model_loading) res.headers.emplace_back("Retry-After", "2");
        } catch (const DeadlineExceeded& e) {
            send_error(res, 503, "", e.what(), e.hint());
        } catch (const pqxx::broken_connection&) {
            send_error(res, 503, "", "the database is unavailable", "retry shortly; operators: check 'make status'");
        } catch (const pqxx::sql_error& e) {
            if (db::is_deadline_cancel(e)) {
                send_error(res, 503, "", "the request ran out of time (a database statement)",
                           "retry; if it keeps happening, ask for fewer hours per request");
            } else {  // a statement of ours failed: a bug, not the client's doing
                log_event("error", "request_failed", {{"route", req.route}, {"error", e.what()}});
                send_error(res, 500, "", "internal error", "report request id " + state.request_id);
            }
        } catch (const Error& e) {
            // Our own errors here come from a dependency (database, registry) or server state, not the client.
            // Their text can name hosts, users or URLs: it goes to the log, the client gets the request id.
            log_event("warn", "dependency_unavailable", {{"route", req.route}, {"error", e.what()}});
            send_error(res, 503, "", "a service the API depends on is unavailable",
                       "retry shortly; operators find the cause in the log under request id " + state.request_id);
        } catch (const std::exception& e) {
            log_event("error", "request_failed", {{"route", req.route}, {"error", e.what()}});
            send_error(res, 500, "", "internal error", "report request id " + state.request_id);
        }
    };
}

std::string presented_key(const std::string& authorization, const std::string& x_api_key) {
    if (!x_api_key.empty()) return x_api_key;
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.size() > kBearer.size() && authorization.compare(0, kBearer.size(), kBearer) == 0)
        return authorization.substr(kBearer.size());
    return authorization.empty() ? std::string() : authorization;  // not Bearer: refused as malformed below
}

Json parse_json_body(std::string_view body) {
    // Duplicate keys are refused: which one would count is a guess (nlohmann keeps the last).
    std::vector<std::set<std::string>> keys;
    std::string duplicate;
    const auto check = [&](int, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        if (event == Json::parse_event_t::object_end) keys.pop_back();
        if (event == Json::parse_event_t::key && !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty())
            duplicate = parsed.get<std::string>();
        return true;
    };
    Json j = Json::parse(body, check, false);
    if (!duplicate.empty()) throw ApiError(400, duplicate, "the body names '" + duplicate + "' twice", "give each field once");
    return j;
}

void render_rejection(const http::Request& req, const http::Rejection& r, http::Response& res) {
    begin_request(req, res);
    send_error(res, r.status, r.field, r.message, r.hint);
}

security::Principal authenticate(security::KeyResolver& keys, const http::Request& req) {
    const std::string key = presented_key(req.header("authorization"), req.header("x-api-key"));
    if (key.empty())
        throw ApiError(401, "Authorization", "no API key", "send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'");
    // Refused before any lookup: garbage keys cost no database round trip.
    if (!security::is_well_formed_key(key))
        throw ApiError(401, "Authorization", "malformed API key",
                       "a key is 've_' + 8 + '_' + 64 lower-case hex digits, as 'voltedge tenant key TENANT' prints it");
    const auto who = keys.resolve(key);
    if (!who)
        throw ApiError(401, "Authorization", "unknown or revoked API key",
                       "ask an operator for a key: voltedge tenant key TENANT");
    state.tenant = who->tenant;
    if (log_context) log_context->set_tenant(who->tenant);
    return *who;
}

std::string iso_hour(Minute m) {
    std::string s = format_minute(m);
    s[10] = 'T';
    return s;
}

}  // namespace voltedge::api
