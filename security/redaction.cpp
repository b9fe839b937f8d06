#include "security/redaction.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "security/api_keys.h"

namespace voltedge::security {
namespace {

using std::nullopt;
using std::optional;
using std::size_t;
using std::string_view;

struct Finding {
    size_t begin = 0, end = 0;  // the masked bytes
    SecretKind kind{};
};
using Findings = std::vector<Finding>;

constexpr std::array kAllKinds{SecretKind::email,   SecretKind::phone,        SecretKind::iban,        SecretKind::payment_card,
                               SecretKind::api_key, SecretKind::bearer_token, SecretKind::url_password};

// ---- Bytes. ASCII classes by hand: <cctype> depends on the locale and is undefined for the negative chars of
// UTF-8 and of invalid input.

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) { return is_upper(c) || is_lower(c); }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_space(char c) { return is_blank(c) || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_high(char c) { return static_cast<unsigned char>(c) >= 0x80; }  // a byte of a UTF-8 sequence (or garbage)
bool one_of(char c, string_view set) { return c != '\0' && set.find(c) != string_view::npos; }
char lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

// The byte at i, or '\0' outside the text: scanners look past both ends without checking.
char at(string_view s, size_t i) { return i < s.size() ? s[i] : '\0'; }
char before(string_view s, size_t i) { return i > 0 && i <= s.size() ? s[i - 1] : '\0'; }

// Where the run of `pred` bytes from i ends, after at most `max` of them (bounds keep every scanner linear).
template <class Pred>
size_t skip(string_view s, size_t i, Pred pred, size_t max = string_view::npos) {
    if (i >= s.size()) return i;
    const size_t stop = max < s.size() - i ? i + max : s.size();
    while (i < stop && pred(s[i])) ++i;
    return i;
}

template <class Pred>
bool any_of(string_view s, Pred pred) {
    return std::any_of(s.begin(), s.end(), pred);
}

bool starts_with_ci(string_view s, size_t i, string_view word) {
    if (s.size() - i < word.size()) return false;
    for (size_t k = 0; k < word.size(); ++k)
        if (lower(s[i + k]) != word[k]) return false;
    return true;
}

bool starts_with_marker(string_view s) {
    return std::any_of(kAllKinds.begin(), kAllKinds.end(), [&](SecretKind k) { return s.starts_with(marker(k)); });
}
bool ends_with_marker(string_view s) {
    return std::any_of(kAllKinds.begin(), kAllKinds.end(), [&](SecretKind k) { return s.ends_with(marker(k)); });
}

// Glued to the word before it, so not where a finding starts. A marker counts as the word it replaced, so that a
// second pass sees what the first saw: redacted(redacted(x)) == redacted(x).
bool after_word(string_view s, size_t i, bool (*word)(char)) {
    return word(before(s, i)) || (before(s, i) == ']' && ends_with_marker(s.substr(0, i)));
}

// Already masked (a marker, or the "***" of core/url.h's redact_url): masking it again would not be idempotent.
bool is_placeholder(string_view value) {
    return starts_with_marker(value) || std::all_of(value.begin(), value.end(), [](char c) { return c == '*'; });
}

// ---- E-mail addresses.

bool is_local_char(char c) { return is_alnum(c) || one_of(c, "._%+-") || is_high(c); }
bool is_label_char(char c) { return is_alnum(c) || c == '-'; }

// "https://john@host/" and "postgresql://u:pw@host/": the user or the password of a URL, not an address.
bool is_url_userinfo(string_view s, size_t local) {
    size_t i = local;
    if (before(s, local) == ':') {  // a password: step back over the user
        const size_t stop = local > 129 ? local - 129 : 0;
        for (i = local - 1; i > stop && is_local_char(s[i - 1]);) --i;
    }
    return i >= 2 && s.substr(i - 2, 2) == "//";
}

// Typographic quotes are UTF-8 bytes too, but not part of the address: “john@example.com”.
size_t after_opening_quote(string_view s, size_t i, size_t end) {
    for (string_view quote : {"\u201c", "\u2018", "\u00ab"})
        if (s.substr(i, end - i).starts_with(quote)) return i + quote.size();
    return i;
}

// The local part before '@': at most 64 bytes (RFC 5321), not starting or ending with a dot.
optional<size_t> local_part_start(string_view s, size_t at_sign) {
    size_t i = at_sign;
    while (i > 0 && is_local_char(s[i - 1])) {
        if (at_sign - i == 64) return nullopt;
        --i;
    }
    i = after_opening_quote(s, i, at_sign);
    while (i < at_sign && s[i] == '.') ++i;
    if (i == at_sign || s[at_sign - 1] == '.' || is_url_userinfo(s, i)) return nullopt;
    return i;
}

// Dot-separated labels (letters, digits, inner hyphens), at least two, the last an alphabetic TLD: "localhost",
// "10.0.0.1" and "1.32.0" are not mail domains.
optional<size_t> domain_end(string_view s, size_t from) {
    size_t i = from, end = from;
    int labels = 0;
    bool alphabetic_tld = false;
    while (i - from < 253) {
        const size_t label_end = skip(s, i, is_label_char, 63);
        if (label_end == i || s[i] == '-' || s[label_end - 1] == '-' || is_label_char(at(s, label_end))) break;
        ++labels;
        end = label_end;
        const string_view label = s.substr(i, label_end - i);
        alphabetic_tld = label.size() >= 2 && std::all_of(label.begin(), label.end(), is_alpha);
        if (at(s, label_end) != '.') break;
        i = label_end + 1;
    }
    if (labels < 2 || !alphabetic_tld) return nullopt;
    return end;
}

void find_emails(string_view s, Findings& out) {
    for (size_t a = s.find('@'); a != string_view::npos; a = s.find('@', a + 1)) {
        const auto begin = local_part_start(s, a);
        const auto end = begin ? domain_end(s, a + 1) : nullopt;
        if (end) out.push_back({*begin, *end, SecretKind::email});
    }
}

// ---- Passwords in URLs: scheme://user:password@host, as core/url.h parses them (the last '@' ends the
// credentials, so a password may hold '@').

bool ends_authority(char c) { return is_space(c) || one_of(c, "/?#\"'<>`"); }

void find_url_passwords(string_view s, Findings& out) {
    for (size_t p = s.find("://"); p != string_view::npos; p = s.find("://", p + 3)) {
        if (!is_alnum(before(s, p))) continue;  // not after a scheme
        const size_t from = p + 3;
        const string_view authority = s.substr(from, skip(s, from, [](char c) { return !ends_authority(c); }) - from);
        const size_t at_sign = authority.rfind('@');
        const size_t colon = authority.substr(0, at_sign).find(':');
        if (at_sign == string_view::npos || colon == string_view::npos) continue;  // no credentials, or a user only
        const string_view password = authority.substr(colon + 1, at_sign - colon - 1);
        if (password.empty() || is_placeholder(password)) continue;
        out.push_back({from + colon + 1, from + at_sign, SecretKind::url_password});
    }
}

// ---- Settings whose name says they hold a secret: DB_PASSWORD=..., ?token=...&, "client_secret": "...".

bool is_name_char(char c) { return is_alnum(c) || one_of(c, "_-."); }
bool ends_value(char c) { return is_space(c) || one_of(c, "&;,\"'<>()[]{}`"); }

// The kind a setting's name announces, by how the name ends, case and separators aside ("X-Api-Key",
// "aws_secret_access_key", "refresh_token"); "max_tokens" and "password_min_length" announce nothing.
optional<SecretKind> secret_name_kind(string_view name) {
    std::string key;
    for (char c : name)
        if (is_alnum(c)) key += lower(c);
    const auto ends = [&](string_view suffix) { return string_view(key).ends_with(suffix); };
    if (ends("password") || ends("passwd") || ends("passphrase")) return SecretKind::url_password;
    if (ends("token")) return SecretKind::bearer_token;
    if (ends("apikey") || ends("secret") || ends("secretkey") || ends("accesskey") || ends("privatekey"))
        return SecretKind::api_key;
    return nullopt;
}

// '=' or ':' as an assignment, not "==", "!=", "<=", "=>", "::" or "://".
bool is_assignment(string_view s, size_t op) {
    const char next = at(s, op + 1), prev = before(s, op);
    if (s[op] == '=') return !one_of(next, "=>") && !one_of(prev, "=!<>");
    return s[op] == ':' && !one_of(next, ":/=") && prev != ':';
}

// The setting's name before `op`, possibly quoted ("password": ...), at most 64 bytes.
string_view name_before(string_view s, size_t op, bool& quoted) {
    size_t end = op;
    while (end > 0 && op - end < 8 && is_blank(s[end - 1])) --end;
    quoted = one_of(before(s, end), "\"'");
    if (quoted) --end;
    size_t i = end;
    while (i > 0 && end - i < 64 && is_name_char(s[i - 1])) --i;
    if (i >= 2 && s.substr(i - 2, 2) == "//") return {};  // scheme://user:password@, the URL scanner's
    return s.substr(i, end - i);
}

size_t closing_quote(string_view s, size_t i, char quote) {
    while (i < s.size() && s[i] != quote && s[i] != '\n' && s[i] != '\r') i += s[i] == '\\' ? 2 : 1;
    return std::min(i, s.size());
}

bool ends_line(string_view s, size_t i) {
    i = skip(s, i, is_blank);
    return i == s.size() || s[i] == '\n' || s[i] == '\r';
}

// Values after a secret's name that are not secrets: literals, variable references, and code that computes
// the secret. The text this filter sees includes the repository's own code (retrieval indexes it), where
// `has_password = true`, `secret = config.get(...)` and `"X-API-Key: " + key` are common and harmless.
bool not_a_secret(string_view s, size_t op, size_t begin, size_t end, bool quoted) {
    const string_view value = s.substr(begin, end - begin);
    if (quoted) {  // `"X-API-Key: " + key`: the quote closes a literal; `"ve_" + id`: a piece of one
        return is_blank(value[0]) || at(s, skip(s, end + 1, is_blank, 8)) == '+';
    }
    std::string word;
    for (char c : value.substr(0, 10)) word += lower(c);
    if (word == "true" || word == "false" || word == "null" || word == "none" || word == "nil" || word == "undefined")
        return true;
    if (value[0] == '$' &&
        (value.size() == 1 || at(s, begin + 1) == '{' || is_upper(at(s, begin + 1)) || at(s, begin + 1) == '_'))
        return true;  // $DB_PASSWORD, ${TOKEN}: a reference
    const char next = at(s, end);
    return next == '(' || (next == '>' && value.back() == '-') || (next == ';' && is_blank(before(s, op)));
}

// Masks the value of the setting whose '=' or ':' is at `op`; returns where scanning goes on: past a masked value
// (one pass over a value full of '='), else right after `op`. `prose_end` ends the last value judged prose: a ':'
// inside it would have the same end and the same verdict, so it is not scanned again (linear on "a:a:a:...").
size_t scan_setting(string_view s, size_t op, size_t& prose_end, Findings& out) {
    bool quoted_name = false;
    if (!is_assignment(s, op)) return op + 1;
    const auto kind = secret_name_kind(name_before(s, op, quoted_name));
    if (!kind) return op + 1;
    const size_t v = skip(s, op + 1, is_blank, 8);
    const bool quoted = at(s, v) == '"' || at(s, v) == '\'';
    const size_t begin = quoted ? v + 1 : v;
    if (starts_with_marker(s.substr(begin))) return op + 1;
    // Unquoted after ':' only as the last thing on its line (YAML, headers): "Secret: we never store it" is prose.
    const bool prose_risk = !quoted && !quoted_name && s[op] == ':';
    if (prose_risk && op + 1 < prose_end) return op + 1;
    const size_t end = quoted ? closing_quote(s, begin, s[v]) : skip(s, begin, [](char c) { return !ends_value(c); });
    if (prose_risk && !ends_line(s, end)) {
        prose_end = end;
        return op + 1;
    }
    if (begin == end) return op + 1;
    if (not_a_secret(s, op, begin, end, quoted)) return quoted ? op + 1 : end;  // unquoted: no setting starts inside
    if (!is_placeholder(s.substr(begin, end - begin))) out.push_back({begin, end, *kind});
    return end;
}

void find_settings(string_view s, Findings& out) {
    size_t prose_end = 0;
    for (size_t i = 0; i < s.size();) i = s[i] == '=' || s[i] == ':' ? scan_setting(s, i, prose_end, out) : i + 1;
}

// ---- Credentials by their shape, tried where a word starts.

bool is_token_char(char c) { return is_word(c) || c == '-'; }                     // base64url
bool is_b64token_char(char c) { return is_token_char(c) || one_of(c, ".~+/="); }  // RFC 6750 b64token
bool is_upper_alnum(char c) { return is_upper(c) || is_digit(c); }

// `prefix` and then at least `min_rest` bytes of `allowed`: how vendors shape their secrets.
template <class Pred>
optional<Finding> prefixed(string_view s, size_t i, string_view prefix, size_t min_rest, Pred allowed, SecretKind kind) {
    if (s.substr(i, prefix.size()) != prefix) return nullopt;
    const size_t end = skip(s, i + prefix.size(), allowed);
    if (end - i - prefix.size() < min_rest) return nullopt;
    return Finding{i, end, kind};
}

optional<Finding> voltedge_key(string_view s, size_t i) {
    constexpr size_t kLength = 3 + 8 + 1 + 64;
    if (s.substr(i, 3) != "ve_" || is_token_char(at(s, i + kLength)) || !is_well_formed_key(s.substr(i, kLength))) return nullopt;
    return Finding{i, i + kLength, SecretKind::api_key};
}

// OpenAI-like "sk-...": real keys are random, so they hold digits; "sk-learn-compatible-estimators" does not.
optional<Finding> sk_key(string_view s, size_t i) {
    auto found = prefixed(s, i, "sk-", 20, is_token_char, SecretKind::api_key);
    if (found && !any_of(s.substr(i + 3, found->end - i - 3), is_digit)) return nullopt;
    return found;
}

optional<Finding> aws_access_key(string_view s, size_t i) {
    if (s.substr(i, 4) != "AKIA" && s.substr(i, 4) != "ASIA") return nullopt;
    const size_t end = skip(s, i + 4, is_upper_alnum, 16);
    if (end != i + 20 || is_token_char(at(s, end))) return nullopt;
    return Finding{i, end, SecretKind::api_key};
}

optional<Finding> github_token(string_view s, size_t i) {
    for (string_view prefix : {"ghp_", "gho_", "ghs_", "ghu_", "ghr_"})
        if (auto found = prefixed(s, i, prefix, 30, is_alnum, SecretKind::bearer_token)) return found;
    return prefixed(s, i, "github_pat_", 22, is_word, SecretKind::bearer_token);
}

optional<Finding> slack_token(string_view s, size_t i) {
    if (s.substr(i, 3) != "xox" || !one_of(at(s, i + 3), "abprs") || at(s, i + 4) != '-') return nullopt;
    return prefixed(s, i, s.substr(i, 5), 10, is_label_char, SecretKind::bearer_token);
}

// A JWT: "eyJ" (base64 of '{"'), then header.payload.signature in base64url.
optional<Finding> jwt(string_view s, size_t i) {
    if (s.substr(i, 3) != "eyJ") return nullopt;
    const size_t header = skip(s, i, is_token_char);
    if (header - i < 10 || at(s, header) != '.') return nullopt;
    const size_t payload = skip(s, header + 1, is_token_char);
    if (payload - header < 3 || at(s, payload) != '.') return nullopt;
    const size_t signature = skip(s, payload + 1, is_token_char);
    if (signature == payload + 1) return nullopt;
    return Finding{i, signature, SecretKind::bearer_token};
}

// The b64token at i, without a sentence's closing dots.
size_t token_end(string_view s, size_t i) {
    size_t end = skip(s, i, is_b64token_char);
    while (end > i && s[end - 1] == '.') --end;
    return end;
}

// "Bearer <token>" in prose or a log: only a token that looks random (16+ bytes, letters and digits), so that
// "the Bearer scheme" and "Bearer authentication" stay.
optional<Finding> bearer(string_view s, size_t i) {
    if (!starts_with_ci(s, i, "bearer")) return nullopt;
    const size_t from = skip(s, i + 6, is_blank, 8);
    if (from == i + 6) return nullopt;
    const size_t end = token_end(s, from);
    const string_view token = s.substr(from, end - from);
    if (token.size() < 16 || !any_of(token, is_digit) || !any_of(token, is_alpha)) return nullopt;
    return Finding{from, end, SecretKind::bearer_token};
}

// "Authorization: Bearer <token>", "Authorization: Basic <base64>": the header says it is a credential, whatever
// it looks like.
optional<Finding> authorization(string_view s, size_t i) {
    if (!starts_with_ci(s, i, "authorization")) return nullopt;
    size_t p = skip(s, i + 13, is_blank, 8);
    if (at(s, p) != ':') return nullopt;
    p = skip(s, p + 1, is_blank, 8);
    size_t end = token_end(s, p);
    const bool scheme = starts_with_ci(s, p, "bearer") || starts_with_ci(s, p, "basic") || starts_with_ci(s, p, "token");
    if (scheme && is_blank(at(s, end))) {
        p = skip(s, end, is_blank, 8);
        end = token_end(s, p);
    } else if (scheme) {
        return nullopt;  // the scheme alone ("Authorization: Bearer", end of line)
    }
    if (end == p) return nullopt;
    return Finding{p, end, SecretKind::bearer_token};
}

// The matchers for a word's first letter (a table, not all of them everywhere: this runs at every word).
optional<Finding> match_credential(string_view s, size_t i) {
    switch (s[i]) {
        case 'v': return voltedge_key(s, i);
        case 's': return sk_key(s, i);
        case 'g': return github_token(s, i);
        case 'x': return slack_token(s, i);
        case 'e': return jwt(s, i);
        case 'A':
            if (auto found = aws_access_key(s, i)) return found;
            return authorization(s, i);
        case 'a': return authorization(s, i);
        case 'B':
        case 'b': return bearer(s, i);
        default: return nullopt;
    }
}

void find_shaped_credentials(string_view s, Findings& out) {
    for (size_t i = 0; i < s.size();) {
        const auto found = is_alpha(s[i]) && !after_word(s, i, is_token_char) ? match_credential(s, i) : nullopt;
        if (found) out.push_back(*found);
        // Nothing starts inside a word: on to its end.
        i = found ? found->end : is_token_char(s[i]) ? skip(s, i, is_token_char) : i + 1;
    }
}

// ---- Numbers: IBANs, payment cards, phone numbers.

// A number starts at a boundary: not inside a word, a decimal, a date, a version or a path ("1,500",
// "2026-12-02", "1.32.0", "16/12/2006").
bool number_starts(string_view s, size_t i) { return !after_word(s, i, is_word) && !one_of(before(s, i), ".,-+/"); }

// Nor right after "<short digit group> " or "<marker> ": that is the tail of a longer digit sequence (an IBAN's
// groups, a list of years), which was judged as a whole. A masked number counts, so that a second pass agrees.
bool continues_digit_groups(string_view s, size_t i) {
    if (before(s, i) != ' ') return false;
    const string_view head = s.substr(0, i - 1);
    if (ends_with_marker(head)) return true;
    size_t k = head.size();
    while (k > 0 && is_digit(head[k - 1]) && head.size() - k <= 6) --k;
    return head.size() - k >= 1 && head.size() - k <= 6;
}

// A number ends at a boundary too: "4111111111111111.5" or "020 7946 0958-12" are something else.
bool number_ends(string_view s, size_t end) {
    const char c = at(s, end);
    return !is_word(c) && !(one_of(c, ".,-/:") && is_digit(at(s, end + 1)));
}

// Lengths of the IBANs of the countries that issue them (SWIFT IBAN registry).
constexpr string_view kIbanLengths =
    "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22DJ27DK18DO28EE20EG29ES24FI18FK18FO18FR27GB22"
    "GE22GI23GL18GR27GT28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20LV21LY25MC27MD24ME22MK19MN20MR27"
    "MT31MU30NI28NL18NO15OM23PK24PL28PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28TL23TN24TR26UA29"
    "VA22VG24XK20YE30";

size_t iban_length(char a, char b) {
    for (size_t i = 0; i + 4 <= kIbanLengths.size(); i += 4)
        if (kIbanLengths[i] == a && kIbanLengths[i + 1] == b)
            return (kIbanLengths[i + 2] - '0') * 10 + (kIbanLengths[i + 3] - '0');
    return 0;
}

// ISO 13616: country code and check digits moved to the end, letters read as 10..35, the number mod 97 is 1.
bool iban_checks(string_view compact) {
    int r = 0;
    const auto add = [&](char c) { r = is_digit(c) ? (r * 10 + (c - '0')) % 97 : (r * 100 + (lower(c) - 'a' + 10)) % 97; };
    for (char c : compact.substr(4)) add(c);
    for (char c : compact.substr(0, 4)) add(c);
    return r == 1;
}

optional<Finding> iban_at(string_view s, size_t i) {
    if (!is_alpha(s[i]) || !is_alpha(at(s, i + 1)) || !is_digit(at(s, i + 2)) || !is_digit(at(s, i + 3))) return nullopt;
    const size_t length = iban_length(upper(s[i]), upper(s[i + 1]));
    if (length == 0 || after_word(s, i, is_word)) return nullopt;
    const bool grouped = at(s, i + 4) == ' ';  // "DE89 3704 0044 ..." or "DE8937040044..."
    std::string compact(s.substr(i, 4));
    size_t p = i + 4;
    while (compact.size() < length) {
        if (grouped && compact.size() % 4 == 0 && at(s, p++) != ' ') return nullopt;
        if (!is_alnum(at(s, p))) return nullopt;
        compact += s[p++];
    }
    if (is_word(at(s, p)) || !iban_checks(compact)) return nullopt;
    return Finding{i, p, SecretKind::iban};
}

bool luhn(string_view digits) {
    int sum = 0;
    for (size_t k = 0; k < digits.size(); ++k) {
        int d = digits[digits.size() - 1 - k] - '0';
        if (k % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return sum % 10 == 0;
}

// The longest run from i of 13..19 digits that passes Luhn: contiguous, or groups of 4..6 (the last shorter)
// split by one separator, the same throughout ("4111 1111 1111 1111", "3782-822463-10005"). Later groups may be
// something else ("4111 1111 1111 1111 12/28").
optional<Finding> card_at(string_view s, size_t i) {
    if (s[i] < '2' || s[i] > '6' || !number_starts(s, i) || continues_digit_groups(s, i)) return nullopt;
    std::string digits;
    size_t p = i, best = 0;
    char separator = 0;
    for (int group = 0; group < 8; ++group) {
        const size_t end = skip(s, p, is_digit, 20);
        digits.append(s.substr(p, end - p));
        if (digits.size() > 19) break;
        if (digits.size() >= 13 && number_ends(s, end) && luhn(digits)) best = end;
        const char next = at(s, end);
        const bool joins = (next == ' ' || next == '-') && (separator == 0 || next == separator) && is_digit(at(s, end + 1));
        if (end - p < 4 || end - p > 6 || !joins) break;
        separator = next;
        p = end + 1;
    }
    if (best == 0) return nullopt;
    return Finding{i, best, SecretKind::payment_card};
}

struct DigitGroup {
    size_t begin = 0;    // first digit
    size_t digits = 0;   // how many
    bool paren = false;  // "(415)"
    char separator = 0;  // what came before it: ' ', '-', '.', or 0 (first, or right after ')')
};

struct DigitGroups {
    std::array<DigitGroup, 8> group;
    size_t count = 0, digits = 0, end = 0;
};

// Digit groups from i joined by single spaces, dashes or dots, or bracketed ("+44 (0)20 7946 0958"); nothing
// when the sequence runs on past 8 groups or 15 digits, or ends inside something else.
optional<DigitGroups> read_digit_groups(string_view s, size_t i) {
    DigitGroups g;
    char separator = 0;
    while (true) {
        if (g.count == g.group.size()) return nullopt;
        DigitGroup& d = g.group[g.count++];
        d.paren = at(s, i) == '(';
        d.separator = separator;
        d.begin = d.paren ? i + 1 : i;
        i = skip(s, d.begin, is_digit, 16);
        d.digits = i - d.begin;
        g.digits += d.digits;
        if (d.digits == 0 || g.digits > 15 || (d.paren && (d.digits > 5 || at(s, i++) != ')'))) return nullopt;
        const char next = at(s, i);
        if (one_of(next, " -.") && (is_digit(at(s, i + 1)) || at(s, i + 1) == '(')) {
            separator = next;
            ++i;
        } else if (d.paren && is_digit(next)) {
            separator = 0;  // "(415)555-0132"
        } else {
            break;
        }
    }
    if (!number_ends(s, i)) return nullopt;
    g.end = i;
    return g;
}

// Written with '+' (or "00"): 7-15 digits; dots only if every separator is one ("+44.20.7946.0958"), so that a
// list of decimals is not a number; without separators 10 digits at least.
bool international(const DigitGroups& g, size_t digits) {
    size_t dots = 0, others = 0;
    for (size_t k = 1; k < g.count; ++k) (g.group[k].separator == '.' ? dots : others) += 1;
    if (dots > 0 && others > 0) return false;
    return digits >= (g.count == 1 ? 10u : 7u) && digits <= 15;
}

// "0044 20 7946 0958": the international prefix of most countries; grouped only, to spare zero-padded ids.
bool international_00(string_view s, const DigitGroups& g) {
    const DigitGroup& first = g.group[0];
    if (first.paren || first.digits < 3 || g.count < 2 || s[first.begin + 1] != '0' || s[first.begin] != '0') return false;
    return s[first.begin + 2] != '0' && international(g, g.digits - 2);
}

// (415) 555-0132, 415-555-0132, 415.555.0132, 415 555 0132, 1-415-555-0132: area code and exchange start 2..9.
bool north_american(string_view s, const DigitGroups& g) {
    const size_t k = (g.count == 4 && g.group[0].digits == 1 && s[g.group[0].begin] == '1' && !g.group[0].paren) ? 1 : 0;
    if (g.count - k != 3) return false;
    const DigitGroup &area = g.group[k], &exchange = g.group[k + 1], &line = g.group[k + 2];
    if (area.digits != 3 || exchange.digits != 3 || line.digits != 4 || exchange.paren || line.paren) return false;
    if (s[area.begin] < '2' || s[exchange.begin] < '2') return false;
    if (area.paren) return exchange.separator == 0 || exchange.separator == ' ';
    return exchange.separator == line.separator;
}

// A trunk prefix '0' and 9-12 digits, one separator throughout: "020 7946 0958", "(020) 7946 0958",
// "030-12345678", or five pairs "06 12 34 56 78"; other groups of two are dates and lists ("02 12 2026").
bool trunk_prefixed(string_view s, const DigitGroups& g) {
    const DigitGroup& first = g.group[0];
    if (s[first.begin] != '0' || first.digits < 2 || first.digits > 5 || s[first.begin + 1] == '0') return false;
    if (g.count < 2 || g.count > 6 || g.digits < 9 || g.digits > 12) return false;
    const char separator = g.group[1].separator;
    if (separator != ' ' && (first.paren || separator != '-')) return false;
    const bool pairs = g.count == 5 &&
                       std::all_of(g.group.begin(), g.group.begin() + 5, [](const DigitGroup& d) { return d.digits == 2; });
    for (size_t k = 1; k < g.count; ++k)
        if (g.group[k].paren || g.group[k].separator != separator || (!pairs && g.group[k].digits < 3)) return false;
    return true;
}

optional<Finding> phone_at(string_view s, size_t i) {
    const bool plus = s[i] == '+';
    if (!(plus || is_digit(s[i]) || s[i] == '(') || !number_starts(s, i)) return nullopt;
    if (!plus && continues_digit_groups(s, i)) return nullopt;
    const auto g = read_digit_groups(s, plus ? i + 1 : i);
    if (!g) return nullopt;
    const bool ok = plus ? !g->group[0].paren && international(*g, g->digits)
                         : international_00(s, *g) || north_american(s, *g) || trunk_prefixed(s, *g);
    if (!ok) return nullopt;
    return Finding{i, g->end, SecretKind::phone};
}

void find_numbers(string_view s, Findings& out) {
    for (size_t i = 0; i < s.size();) {
        size_t next = i + 1;
        const auto take = [&](const optional<Finding>& found) {
            if (!found) return;
            out.push_back(*found);
            next = std::max(next, found->end);
        };
        if (is_alpha(s[i])) take(iban_at(s, i));
        if (is_digit(s[i])) take(card_at(s, i));
        if (is_digit(s[i]) || s[i] == '+' || s[i] == '(') take(phone_at(s, i));
        i = next > i + 1 || !is_word(s[i]) ? next : skip(s, i, is_word);  // nothing starts inside a word
    }
}

// ---- Overlaps and output.

// On equal extent the finding with context (a URL, a header, a setting's name) names it before a bare shape.
int rank(SecretKind kind) {
    switch (kind) {
        case SecretKind::url_password: return 0;
        case SecretKind::bearer_token: return 1;
        case SecretKind::api_key: return 2;
        case SecretKind::iban: return 3;
        case SecretKind::payment_card: return 4;
        case SecretKind::email: return 5;
        case SecretKind::phone: return 6;
    }
    return 7;
}

bool names_better(const Finding& a, const Finding& b) {
    const size_t la = a.end - a.begin, lb = b.end - b.begin;
    return la != lb ? la > lb : rank(a.kind) < rank(b.kind);
}

// Overlapping findings become one mask over their union (no byte of any of them survives), named by the longest.
Findings merge_overlaps(Findings found) {
    std::sort(found.begin(), found.end(),
              [](const Finding& a, const Finding& b) { return a.begin != b.begin ? a.begin < b.begin : a.end > b.end; });
    Findings merged;
    Finding best;
    for (const Finding& f : found) {
        if (merged.empty() || f.begin >= merged.back().end) {
            merged.push_back(f);
            best = f;
            continue;
        }
        merged.back().end = std::max(merged.back().end, f.end);
        if (names_better(f, best)) {
            best = f;
            merged.back().kind = f.kind;
        }
    }
    return merged;
}

Findings find_all(string_view s) {
    Findings found;
    find_emails(s, found);
    find_url_passwords(s, found);
    find_settings(s, found);
    find_shaped_credentials(s, found);
    find_numbers(s, found);
    return merge_overlaps(std::move(found));
}

// One pass: `s` with its findings replaced by their markers.
std::string mask(string_view s, std::map<SecretKind, int>& counts) {
    std::string out;
    out.reserve(s.size());
    size_t copied = 0;
    for (const Finding& f : find_all(s)) {
        out.append(s.substr(copied, f.begin - copied));
        out.append(marker(f.kind));
        ++counts[f.kind];
        copied = f.end;
    }
    out.append(s.substr(copied));
    return out;
}

}  // namespace

std::string_view kind_name(SecretKind kind) {
    switch (kind) {
        case SecretKind::email: return "email";
        case SecretKind::phone: return "phone";
        case SecretKind::iban: return "iban";
        case SecretKind::payment_card: return "payment_card";
        case SecretKind::api_key: return "api_key";
        case SecretKind::bearer_token: return "bearer_token";
        case SecretKind::url_password: return "url_password";
    }
    return "unknown";
}

std::string_view marker(SecretKind kind) {
    switch (kind) {
        case SecretKind::email: return "[email]";
        case SecretKind::phone: return "[phone]";
        case SecretKind::iban: return "[iban]";
        case SecretKind::payment_card: return "[card]";
        case SecretKind::api_key: return "[api_key]";
        case SecretKind::bearer_token: return "[token]";
        case SecretKind::url_password: return "[password]";
    }
    return "[redacted]";
}

Redaction redact(std::string_view text) {
    Redaction r;
    r.text = mask(text, r.counts);
    // Masking can uncover what a neighbour hid: in "+44 20 7946 0958john@example.com" the number is glued to the
    // address, and "+44 20 7946 " is left once the address is masked. Again until nothing is found (twice when
    // anything was), so that redacted(redacted(x)) == redacted(x); the bound is a guard, two passes are the rule.
    bool changed = r.text != text;
    for (int pass = 0; changed && pass < 8; ++pass) {
        std::string again = mask(r.text, r.counts);
        changed = again != r.text;
        r.text = std::move(again);
    }
    return r;
}

std::string redacted(std::string_view text) { return redact(text).text; }

nlohmann::json redacted_json(const nlohmann::json& j) {
    if (j.is_string()) return redacted(j.get<std::string>());
    if (!j.is_structured()) return j;
    nlohmann::json out = j;
    for (auto& item : out) item = redacted_json(item);
    return out;
}

}  // namespace voltedge::security
