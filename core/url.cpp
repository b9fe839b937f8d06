#include "core/url.h"

#include <cctype>
#include <charconv>

namespace voltedge {

std::optional<Url> parse_url(std::string_view text) {
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
    Url url;
    url.scheme = text.substr(0, scheme_end);
    std::string_view rest = text.substr(scheme_end + 3);
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        url.query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) url.path = rest.substr(slash);
    // The last '@' ends the credentials: a password may itself contain '@'.
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view credentials = authority.substr(0, at);
        const auto colon = credentials.find(':');
        url.user = credentials.substr(0, colon);
        if (colon != std::string_view::npos) {
            url.password = credentials.substr(colon + 1);
            url.has_password = true;
        }
        authority = authority.substr(at + 1);
    }
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
        const std::string_view port = authority.substr(colon + 1);
        int value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) return std::nullopt;
        url.port = value;
        authority = authority.substr(0, colon);
    }
    url.host = authority;
    if (url.host.empty() && url.path.empty()) return std::nullopt;
    return url;
}

std::string redact_url(std::string_view text) {
    const auto url = parse_url(text);
    if (!url || !url->has_password) return std::string(text);
    const auto start = text.find("://") + 3 + url->user.size() + 1;
    return std::string(text.substr(0, start)) + "***" + std::string(text.substr(start + url->password.size()));
}

namespace {

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
            if (i + 2 >= s.size()) return std::nullopt;
            if (!hex(s[i + 1]) || !hex(s[i + 2])) return std::nullopt;
            const char c = static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            if (c == '\0') return std::nullopt;
            out += c;
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (part.empty()) continue;
        const auto eq = part.find('=');
        auto name = percent_decode(part.substr(0, eq));
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
        if (!name || !value) return std::nullopt;
        out.emplace_back(std::move(*name), std::move(*value));
    }
    return out;
}

}  // namespace voltedge
