#pragma once
// The route groups. Each installs its routes on the server; all share the services the server owns.
#include "api/http_layer.h"
#include "api/server.h"
#include "serving/predictor.h"

namespace voltedge::api {

struct Services {
    const ServeOptions& options;
    security::KeyResolver& keys;
    serving::Predictor& predictor;
};

void install_system_routes(http::Server& server, Services& services);   // healthz, readyz, metrics, openapi, docs
void install_predict_routes(http::Server& server, Services& services);  // predict, explain
void install_admin_routes(http::Server& server, Services& services);    // reload

}  // namespace voltedge::api
