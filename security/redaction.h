#pragma once
// Masks sensitive values in free text before it reaches a generative model, a log line or a stored checkpoint;
// the same filter runs on the model's outputs (plan T-140/T-141). Hand-written scanners, not std::regex: linear
// in the input (a megabyte in milliseconds), no recursion, never throws on any bytes (invalid UTF-8 included).
//
// What each kind accepts, and what it leaves alone on purpose:
//   email         local@domain.tld: local part of letters, digits, . _ % + - (up to 64), dotted domain ending in
//                 an alphabetic TLD. Not `postgres@localhost` or `a@b` (no dot: service accounts, not people),
//                 not `pkg@1.32.0`, not the user of a URL (`https://john@example.com/`).
//   phone         `+<country> ...` / `00<country> ...` with 7-15 digits (10+ when written without separators);
//                 North American `(415) 555-0132`, `415-555-0132`, `1 415 555 0132`; trunk-prefixed `020 7946 0958`,
//                 `030-12345678`, `06 12 34 56 78`. National forms need separators, and a national number right
//                 after a short number ("12 020 7946 0958") is read as the tail of that sequence and left alone.
//                 Not timestamps, dates, times, decimals, thousands (`1,500`), versions, IPs, UUIDs, hex hashes,
//                 plain numbers or long ids.
//   iban          country code + 2 check digits + BBAN of the country's registered length, contiguous or in
//                 groups of 4, passing ISO 13616 mod 97. Unknown countries and wrong check digits are left alone.
//   payment_card  13-19 digits starting 2-6 (the card networks), contiguous or in groups of 4-6 split by single
//                 spaces or dashes, passing Luhn. Luhn failures, numbers starting 0, 1, 7-9, and (as for phones)
//                 numbers right after a short number ("years 2021 2022 2023 2024") are left alone.
//   api_key       VoltEdge keys (`ve_` + 8 hex + `_` + 64 hex, see api_keys.h), `sk-` + 20 or more characters
//                 with a digit, AWS access key ids (`AKIA`/`ASIA` + 16), and the value of `api_key=`, `apikey:`,
//                 `secret=`, `client_secret=`, `access_key=`, `private_key=` settings.
//   bearer_token  the token of `Authorization: <scheme> <token>`, of `Bearer <token>` when it looks random (16+
//                 characters with letters and digits), JWTs (`eyJ...` three base64url segments), GitHub tokens
//                 (`ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_`, `github_pat_`), Slack tokens (`xoxa-`, `xoxb-`, `xoxp-`,
//                 `xoxr-`, `xoxs-`), and the value of `token=` / `access_token: "..."` settings.
//   url_password  the password of `scheme://user:password@host` (only the password), and the value of
//                 `password=`, `passwd=`, `passphrase=` settings (`DB_PASSWORD=...`, `"password": "..."`).
// Settings are `name=value` anywhere (query strings included), `name: "value"` / `"name": value`, and an unquoted
// `name: value` only when the value ends its line (so "Token: the unit of text" stays). Their values are left alone
// when they are literals (`true`, `null`, ...), references (`$DB_PASSWORD`, `${TOKEN}`) or code computing the
// secret (`password = cfg.get(...)`, `"X-API-Key: " + key`): retrieval feeds the repository's own code through here.
//
// Overlapping findings are masked once, over their whole extent, named by the longest (on a tie: by the named
// setting or header before the shape). Markers are never masked again, and the text is scanned again after
// masking until nothing more is found (what a glued neighbour hid): redacted(redacted(x)) == redacted(x).
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace voltedge::security {

enum class SecretKind { email, phone, iban, payment_card, api_key, bearer_token, url_password };

// "email", "phone", "iban", "payment_card", "api_key", "bearer_token", "url_password".
std::string_view kind_name(SecretKind kind);
// What replaces a finding: "[email]", "[phone]", "[iban]", "[card]", "[api_key]", "[token]", "[password]".
std::string_view marker(SecretKind kind);

struct Redaction {
    std::string text;                  // the input with every finding replaced by its kind's marker
    std::map<SecretKind, int> counts;  // findings per kind; kinds not found are absent
};

Redaction redact(std::string_view text);
std::string redacted(std::string_view text);  // redact(text).text
// A copy of `j` with every string in it redacted (object keys are left as they are).
nlohmann::json redacted_json(const nlohmann::json& j);

}  // namespace voltedge::security
