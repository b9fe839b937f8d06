#pragma once
// The route groups. Each installs its routes on the server; all share the services the server owns.
#include "agents/agent.h"
#include "api/http_layer.h"
#include "api/server.h"
#include "jobs/job.h"
#include "rag/encoder.h"
#include "serving/predictor.h"

namespace voltedge::api {

struct Services {
    const ServeOptions& options;
    security::KeyResolver& keys;
    serving::Predictor& predictor;
    db::ConnectionPool& pool;
    const rag::Embedder* embedder;  // null when the embedding model is not installed: /search answers 503
    const agents::Agent* agent;     // null likewise: /ask answers 503
    jobs::Queue* queue;             // the workers' queue; null: /jobs answers 503
};

// The Predictor's view of a request: its id, the tenant, and its deadline (the request timeout counted from
// its arrival, so time spent queued for a worker counts too).
inline serving::RequestContext request_context(const Services& s, const http::Request& req, const std::string& tenant,
                                               const std::string& sticky_key = {}) {
    return {current_request().request_id, tenant, sticky_key, req.received + s.options.request_timeout};
}

// The tenant a key acts for; an operator key acts for none.
inline const std::string& tenant_of(const security::Principal& who) {
    if (who.scope == security::Scope::operator_)
        throw ApiError(403, "Authorization", "an operator key acts for no tenant", "use one of the tenant's keys");
    return who.tenant;
}

// Whether the request carries an operator key: no key is false, an unknown key is 401.
inline bool is_operator(Services& s, const http::Request& req) {
    if (presented_key(req.header("authorization"), req.header("x-api-key")).empty()) return false;
    return authenticate(s.keys, req).scope == security::Scope::operator_;
}

void install_system_routes(http::Server& server, Services& services);   // healthz, readyz, metrics, openapi, docs
void install_predict_routes(http::Server& server, Services& services);  // predict, explain
void install_admin_routes(http::Server& server, Services& services);    // reload
void install_search_routes(http::Server& server, Services& services);   // search
void install_ask_routes(http::Server& server, Services& services);      // ask, ask/{thread_id}
void install_job_routes(http::Server& server, Services& services);      // jobs, jobs/{id}

}  // namespace voltedge::api
