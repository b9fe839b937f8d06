#pragma once
// API keys: 256 random bits, shown once; only their SHA-256 is stored.
#include <string>
#include <string_view>

namespace voltedge::security {

struct NewApiKey {
    std::string key_id;  // public identifier, also the key's prefix
    std::string secret;  // the whole key, e.g. "ve_1a2b3c4d_..." — never stored
    std::string hash;    // hex SHA-256 of secret
};

NewApiKey generate_api_key();
// Exactly "ve_" + 8 hex digits + "_" + 64 hex digits (lower case), as generate_api_key makes them.
bool is_well_formed_key(std::string_view key);

}  // namespace voltedge::security
