#pragma once
// The API described for machines (OpenAPI 3.1) and for people (an HTML page rendered from the same document).
#include <nlohmann/json.hpp>
#include <string>

namespace voltedge::api {

// max_batch: the configured limit of target_hours per request.
nlohmann::json openapi_document(std::size_t max_batch);
std::string docs_page(std::size_t max_batch);

}  // namespace voltedge::api
