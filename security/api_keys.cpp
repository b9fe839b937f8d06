#include "security/api_keys.h"

#include <openssl/rand.h>

#include "core/error.h"
#include "core/hex.h"
#include "core/sha256.h"

namespace voltedge::security {
namespace {

std::string random_hex(std::size_t bytes) {
    unsigned char buf[64];
    if (bytes > sizeof buf || RAND_bytes(buf, static_cast<int>(bytes)) != 1) throw Error("no randomness available for API keys");
    return to_hex(buf, bytes);
}

}  // namespace

NewApiKey generate_api_key() {
    NewApiKey key;
    key.key_id = random_hex(4);
    key.secret = "ve_" + key.key_id + "_" + random_hex(32);
    key.hash = sha256_hex(key.secret);
    return key;
}

bool is_well_formed_key(std::string_view key) {
    if (key.size() != 3 + 8 + 1 + 64 || key.substr(0, 3) != "ve_" || key[11] != '_') return false;
    const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    for (std::size_t i = 3; i < key.size(); ++i)
        if (i != 11 && !hex(key[i])) return false;
    return true;
}

}  // namespace voltedge::security
