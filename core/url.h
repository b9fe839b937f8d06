#pragma once
// The one URL parser: scheme://[user[:password]@]host[:port][/path][?query], as the database, Redis,
// MLflow and download URLs use it; and a query string's parameters, percent-decoded (GET /search).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace voltedge {

struct Url {
    std::string scheme, user, password, host, path, query;  // path keeps its leading '/'
    int port = 0;                                           // 0: not given
    bool has_password = false;
};

// nullopt when `text` has no "scheme://", an empty host with no path, or a port that is not 1..65535.
std::optional<Url> parse_url(std::string_view text);

// `text` with any password replaced by "***", for messages and logs; text that is not a URL is unchanged.
std::string redact_url(std::string_view text);

// "a=1&b=x%20y" -> {{"a", "1"}, {"b", "x y"}} in order ('+' is a space); nullopt when an escape is not two
// hex digits or a decoded name or value holds a NUL byte.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

}  // namespace voltedge
