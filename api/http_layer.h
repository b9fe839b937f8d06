#pragma once
// The HTTP layer every route group shares: the request's context (id, tenant, route, model version, cache
// outcome), JSON responses and errors, mapping of errors to statuses, authentication, the request log line
// and request metrics. Routing, a handler and the log line of one request run on one thread (httplib).
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "api/api_error.h"
#include "core/civil_time.h"
#include "security/key_resolver.h"
#include "serving/predictor.h"  // before httplib: Eigen must come first (see below)

// Last: it pulls in <resolv.h>, whose `_res` macro breaks Eigen headers included after it.
#include <httplib.h>

namespace voltedge::api {

using Json = nlohmann::json;

// What the request log line and the metrics need to know about the request on this thread.
struct RequestState {
    const httplib::Request* request = nullptr;
    std::chrono::steady_clock::time_point start;
    std::string request_id, tenant, route, model_version, cache;
};
RequestState& current_request();

// Starts the request's context (request id, log context) and echoes the id in X-Request-ID.
void begin_request(const httplib::Request& req, httplib::Response& res);
// Writes the request log line and the request metrics, then ends the context.
void finish_request(const httplib::Request& req, const httplib::Response& res);

void send_json(httplib::Response& res, int status, const Json& body);
void send_error(httplib::Response& res, int status, const std::string& field, const std::string& message,
                const std::string& hint = {});

// Wraps a route handler: records the route template and turns every error into a JSON error response with
// the right status (the client's mistakes 4xx, unavailable dependencies 503, anything else 500).
httplib::Server::Handler guarded(std::string route, std::function<void(const httplib::Request&, httplib::Response&)> fn);

// The key a request carries: "Authorization: Bearer <key>" or "X-API-Key: <key>"; empty if none.
std::string presented_key(const std::string& authorization, const std::string& x_api_key);
// Resolves the request's key to its tenant (which joins the request's context); throws ApiError 401.
security::Principal authenticate(security::KeyResolver& keys, const httplib::Request& req);

// "YYYY-MM-DDTHH:MM:SS"
std::string iso_hour(Minute m);

}  // namespace voltedge::api
