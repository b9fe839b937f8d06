#include "security/api_keys.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/error.h"

namespace voltedge::security {
namespace {

std::string hex(const unsigned char* bytes, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(2 * n, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 15];
    }
    return out;
}

std::string random_hex(std::size_t bytes) {
    unsigned char buf[64];
    if (bytes > sizeof buf || RAND_bytes(buf, static_cast<int>(bytes)) != 1) throw Error("no randomness available for API keys");
    return hex(buf, bytes);
}

}  // namespace

std::string sha256_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    return hex(digest, len);
}

NewApiKey generate_api_key() {
    NewApiKey key;
    key.key_id = random_hex(4);
    key.secret = "ve_" + key.key_id + "_" + random_hex(32);
    key.hash = sha256_hex(key.secret);
    return key;
}

}  // namespace voltedge::security
