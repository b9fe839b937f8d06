#pragma once
// The route groups. Each installs its routes on the server; all share the services the server owns.
#include <map>

#include "api/http_layer.h"
#include "api/server.h"
#include "serving/predictor.h"

namespace voltedge::api {

// Installs routes on the server. It keeps the POST handlers by path as well: httplib refuses a POST that has
// neither Content-Length nor Transfer-Encoding before routing, though HTTP defines its body as empty
// (RFC 9112 §6.3), so the server's error handler hands such a request to its route here.
struct Router {
    httplib::Server& http;
    std::map<std::string, httplib::Server::Handler> posts;
    void get(const std::string& pattern, httplib::Server::Handler handler) { http.Get(pattern, std::move(handler)); }
    void post(const std::string& path, httplib::Server::Handler handler) {
        posts[path] = handler;
        http.Post(path, std::move(handler));
    }
};

struct Services {
    const ServeOptions& options;
    security::KeyResolver& keys;
    serving::Predictor& predictor;
};

void install_system_routes(Router& router, Services& services);   // healthz, readyz, metrics, openapi, docs
void install_predict_routes(Router& router, Services& services);  // predict, explain
void install_admin_routes(Router& router, Services& services);    // reload

}  // namespace voltedge::api
