#pragma once
// Lowercase hexadecimal, the one encoder (key ids, hashes).
#include <cstddef>
#include <string>

namespace voltedge {

// Writes 2n digits at `out`.
inline void write_hex(char* out, const unsigned char* bytes, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 15];
    }
}

inline std::string to_hex(const unsigned char* bytes, std::size_t n) {
    std::string out(2 * n, '0');
    write_hex(out.data(), bytes, n);
    return out;
}

}  // namespace voltedge
