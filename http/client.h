#pragma once
// The one HTTP client (libcurl): JSON calls to MLflow, artifact transfers, and file downloads. Transport
// failures (refused, timed out, DNS) throw Unreachable; HTTP statuses are returned for the caller to judge,
// except by download_to_file, which treats any status >= 400 as a failure.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace voltedge::http {

class Unreachable : public Error {
public:
    using Error::Error;
};

struct ClientRequest {
    std::string method = "GET";
    std::string url;
    std::string body;                  // sent for every method but GET
    std::vector<std::string> headers;  // "Name: value"
    long connect_timeout_seconds = 5;
    long timeout_seconds = 120;  // the whole transfer
};

struct ClientResponse {
    long status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;   // of the final response; names in lower case
    std::string header(std::string_view lowercase_name) const;  // "" when absent
};

ClientResponse send(const ClientRequest& request);

// Streams `url` into `path` (following redirects); throws Unreachable naming the URL on any failure and
// leaves no partial file at `path`.
void download_to_file(const std::string& url, const std::string& path, long connect_timeout_seconds = 20);

// Percent-encodes a query parameter value.
std::string escape(std::string_view text);

bool is_http_url(std::string_view text);

}  // namespace voltedge::http
