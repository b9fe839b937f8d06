// POST /reload: re-read the production alias of one tenant or all, and swap the models in.
#include "api/routes.h"

namespace voltedge::api {
namespace {

// Scopes: a tenant key may not reload; a tenant-admin key reloads its own tenant (the default when the body
// names none); an operator key reloads the tenant named, or every tenant.
void reload(Services& s, const http::Request& req, http::Response& res) {
    // The key's scope first: a tenant key gets 403 whatever the body says.
    const security::Principal who = authenticate(s.keys, req);
    if (who.scope == security::Scope::tenant)
        throw ApiError(403, "Authorization", "reloading models needs a tenant-admin or operator key",
                       "voltedge tenant key TENANT --admin");
    std::optional<std::string> tenant;
    if (!req.body.empty()) {
        const Json j = parse_json_body(req.body);
        if (j.is_discarded() || !j.is_object()) throw ApiError(400, "body", "the request body must be a JSON object or empty");
        for (const auto& [key, value] : j.items()) {
            if (key != "tenant") throw ApiError(422, key, "unknown field '" + key + "'", "the only field is tenant");
            if (!value.is_string()) throw ApiError(422, "tenant", "tenant must be a string");
            tenant = value.get<std::string>();
        }
    }
    if (who.scope == security::Scope::tenant_admin) {
        if (tenant && *tenant != who.tenant)
            throw ApiError(403, "tenant", "a tenant-admin key reloads its own tenant only", "omit tenant, or name your own");
        tenant = who.tenant;
    }
    Json out = Json::array();
    for (const auto& r : s.predictor.reload(request_context(s, req, tenant.value_or("")), tenant))
        out.push_back({{"tenant_id", r.tenant},
                       {"model", r.name},
                       {"previous_version", r.previous_version},
                       {"version", r.version.empty() ? Json(nullptr) : Json(r.version)},
                       {"changed", r.changed}});
    send_json(res, 200, {{"models", out}, {"request_id", current_request().request_id}});
}

}  // namespace

void install_admin_routes(http::Server& server, Services& s) {
    server.route("POST", "/reload", guarded([&s](const auto& req, auto& res) { reload(s, req, res); }));
}

}  // namespace voltedge::api
