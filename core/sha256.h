#pragma once
// SHA-256 as lowercase hex: API key hashes, document content hashes.
#include <string>

namespace voltedge {

std::string sha256_hex(const std::string& data);

}  // namespace voltedge
