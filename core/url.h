#pragma once
// The one URL parser: scheme://[user[:password]@]host[:port][/path][?query], as the database, Redis,
// MLflow and download URLs use it. No percent-decoding: none of our URLs need it.
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace voltedge
