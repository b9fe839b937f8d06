#include "security/api_keys.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/error.h"
#include "core/hex.h"

namespace voltedge::security {
namespace {

std::string random_hex(std::size_t bytes) {
    unsigned char buf[64];
    if (bytes > sizeof buf || RAND_bytes(buf, static_cast<int>(bytes)) != 1) throw Error("no randomness available for API keys");
    return to_hex(buf, bytes);
}

}  // namespace

std::string sha256_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    return to_hex(digest, len);
}

NewApiKey generate_api_key() {
    NewApiKey key;
    key.key_id = random_hex(4);
    key.secret = "ve_" + key.key_id + "_" + random_hex(32);
    key.hash = sha256_hex(key.secret);
    return key;
}

}  // namespace voltedge::security
