#include "core/sha256.h"

#include <openssl/evp.h>

#include "core/hex.h"

namespace voltedge {

std::string sha256_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    return to_hex(digest, len);
}

}  // namespace voltedge
