#pragma once
// The API described for machines (OpenAPI 3.1) and for people (an HTML page rendered from the same document).
#include <nlohmann/json.hpp>
#include <string>

namespace voltedge::api {

const nlohmann::json& openapi_document();
std::string docs_page();

}  // namespace voltedge::api
