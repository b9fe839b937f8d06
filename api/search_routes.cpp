// GET /search: hybrid search in the key's tenant's index (rag/search.h).
#include <fmt/format.h>

#include <charconv>
#include <set>

#include "api/routes.h"
#include "core/deadline.h"
#include "core/url.h"
#include "rag/search.h"

namespace voltedge::api {
namespace {

int integer_param(const std::string& name, const std::string& value) {
    int n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size())
        throw ApiError(422, name, name + " must be an integer, not '" + value + "'");
    return n;
}

rag::SearchQuery parse_search(const http::Request& req) {
    const auto question = req.target.find('?');
    const auto params = parse_query(question == std::string::npos ? "" : std::string_view(req.target).substr(question + 1));
    if (!params) throw ApiError(400, "query", "the query string is malformed (a bad %-escape or a NUL byte)");
    rag::SearchQuery q;
    q.text.clear();
    bool has_q = false;
    std::set<std::string> seen;
    for (const auto& [name, value] : *params) {
        if (!seen.insert(name).second)
            throw ApiError(400, name, "the query names '" + name + "' twice", "give each parameter once");
        if (name == "q") {
            q.text = value;
            has_q = true;
        } else if (name == "k") {
            q.k = integer_param(name, value);
        } else if (name == "kind") {
            q.kind = value;
        } else if (name == "path_prefix") {
            q.path_prefix = value;
        } else if (name == "fusion") {
            if (value != "rrf" && value != "weighted")
                throw ApiError(422, "fusion", "unknown fusion '" + value + "'", "rrf or weighted");
            q.fusion = value == "rrf" ? rag::Fusion::rrf : rag::Fusion::weighted;
        } else if (name == "rerank") {
            if (value != "true" && value != "false")
                throw ApiError(422, "rerank", "rerank must be true or false, not '" + value + "'");
            q.rerank = value == "true";
        } else {
            throw ApiError(422, name, "unknown parameter '" + name + "'",
                           "the parameters are q, k, kind, path_prefix, fusion, rerank");
        }
    }
    if (!has_q) throw ApiError(422, "q", "no query", "GET /search?q=how+is+the+tenant+set");
    try {
        rag::validate(q);
    } catch (const rag::BadQuery& e) {
        throw ApiError(422, e.field(), e.what(), e.hint());
    }
    return q;
}

void search(Services& s, const http::Request& req, http::Response& res) {
    const std::string tenant = tenant_of(authenticate(s.keys, req));
    const rag::SearchQuery query = parse_search(req);
    if (!s.embedder)
        throw ApiError(503, "", "search is unavailable: the embedding model is not installed", "operators: run make bootstrap");
    ScopedDeadline deadline(req.received + s.options.request_timeout);
    const auto hits = s.pool.read([&](pqxx::connection& conn) {
        const auto second = s.pool.try_acquire();  // none free: the vector stage runs after the full-text one
        return rag::search(conn, tenant, query, *s.embedder, second ? &**second : nullptr);
    });
    Json out = Json::array();
    for (const auto& h : hits)
        out.push_back({{"doc_path", h.doc_path},
                       {"ordinal", h.ordinal},
                       {"revision", h.revision},
                       {"kind", h.kind},
                       {"line_start", h.line_start},
                       {"line_end", h.line_end},
                       {"section", h.section},
                       {"snippet", h.snippet},
                       {"score", h.score},
                       {"fts_score", h.fts_score},
                       {"vector_score", h.vector_score},
                       {"fts_rank", h.fts_rank ? Json(h.fts_rank) : Json(nullptr)},
                       {"vector_rank", h.vector_rank ? Json(h.vector_rank) : Json(nullptr)}});
    send_json(res, 200,
              {{"request_id", current_request().request_id},
               {"tenant_id", tenant},
               {"fusion", query.fusion == rag::Fusion::rrf ? "rrf" : "weighted"},
               {"hits", std::move(out)}});
}

}  // namespace

void install_search_routes(http::Server& server, Services& s) {
    server.route("GET", "/search", guarded([&s](const auto& req, auto& res) { search(s, req, res); }));
}

}  // namespace voltedge::api
