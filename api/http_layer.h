#pragma once
// The HTTP layer every route group shares: the request's context (id, tenant, route, model version, cache
// outcome), JSON responses and errors, mapping of errors to statuses, authentication, the request log line
// and request metrics. A request's handler, and then its log line, run on one worker thread.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/api_error.h"
#include "core/civil_time.h"
#include "http/server.h"
#include "security/key_resolver.h"

namespace voltedge::api {

using Json = nlohmann::json;

// What the request log line and the metrics need to know about the request on this thread.
struct RequestState {
    const http::Request* request = nullptr;
    std::string request_id, tenant, model_version, cache;
    std::string model_role;             // "production" or "canary" when a model answered
    int token_count = 0;                // language-model tokens the request used (/ask)
    std::vector<std::string> doc_refs;  // the evidence an answer cited (/ask)
};
RequestState& current_request();

void send_json(http::Response& res, int status, const Json& body);
void send_error(http::Response& res, int status, const std::string& field, const std::string& message,
                const std::string& hint = {});

// Wraps a route handler: starts the request's context (request id, echoed in X-Request-ID, and the log
// context) and turns every error into a JSON error response with the right status (the client's mistakes
// 4xx, unavailable dependencies 503, anything else 500).
http::Handler guarded(std::function<void(const http::Request&, http::Response&)> fn);
// What the server answers by itself (limits, 404/405, shedding), as the same JSON error.
void render_rejection(const http::Request& req, const http::Rejection& r, http::Response& res);
// Writes the request log line and the request metrics, then ends the request's context.
void finish_request(const http::Request& req, const http::Response& res, double seconds);

// The key a request carries: "Authorization: Bearer <key>" or "X-API-Key: <key>"; empty if none.
std::string presented_key(const std::string& authorization, const std::string& x_api_key);
// A JSON body, or discarded when it is not JSON; throws ApiError 400 naming a key given twice.
Json parse_json_body(std::string_view body);
// Resolves the request's key to its tenant (which joins the request's context); throws ApiError 401.
security::Principal authenticate(security::KeyResolver& keys, const http::Request& req);

// "YYYY-MM-DDTHH:MM:SS"
std::string iso_hour(Minute m);

}  // namespace voltedge::api
