// Masking of sensitive values before text reaches a model, a log or a checkpoint (security/redaction.h).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/log.h"
#include "security/api_keys.h"
#include "security/redaction.h"

using namespace voltedge::security;

namespace {

int count(const Redaction& r, SecretKind kind) {
    const auto it = r.counts.find(kind);
    return it == r.counts.end() ? 0 : it->second;
}

int total(const Redaction& r) {
    int n = 0;
    for (const auto& [kind, k] : r.counts) n += k;
    return n;
}

// `in` becomes `out`, with exactly one finding, of `kind`.
void expect_masked(const std::string& in, const std::string& out, SecretKind kind) {
    const Redaction r = redact(in);
    EXPECT_EQ(r.text, out) << in;
    EXPECT_EQ(count(r, kind), 1) << in;
    EXPECT_EQ(total(r), 1) << in;
}

void expect_untouched(const std::string& in) {
    const Redaction r = redact(in);
    EXPECT_EQ(r.text, in);
    EXPECT_TRUE(r.counts.empty()) << in;
}

const std::string kJwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
                         "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const std::string kVeKey = "ve_1a2b3c4d_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

}  // namespace

TEST(Redaction, KindsHaveNamesAndMarkers) {
    EXPECT_EQ(kind_name(SecretKind::email), "email");
    EXPECT_EQ(kind_name(SecretKind::payment_card), "payment_card");
    EXPECT_EQ(kind_name(SecretKind::url_password), "url_password");
    EXPECT_EQ(marker(SecretKind::payment_card), "[card]");
    EXPECT_EQ(marker(SecretKind::bearer_token), "[token]");
    EXPECT_EQ(marker(SecretKind::url_password), "[password]");
    expect_untouched("");
}

TEST(Redaction, EmailAddresses) {
    expect_masked("Mail john.doe+tag@example.co.uk today.", "Mail [email] today.", SecretKind::email);
    expect_masked("<ops@mail.example.com>", "<[email]>", SecretKind::email);
    expect_masked("mailto:ann@example.org,", "mailto:[email],", SecretKind::email);
    expect_masked("“jane@example.org”", "“[email]”", SecretKind::email);
    expect_masked("José: josé@example.com.", "José: [email].", SecretKind::email);
}

TEST(Redaction, EmailLookalikesStay) {
    expect_untouched("postgres@localhost");  // no dot in the domain: a service account (documented choice)
    expect_untouched("a@b");
    expect_untouched("pip install pkg@1.32.0");
    expect_untouched("recall@10 and nDCG@10 on the golden set");
    expect_untouched("user@example.c user@-example.com user.@example.com @example.com");
    expect_untouched("https://john@example.com/repo.git");  // the user of a URL, not an address
}

TEST(Redaction, PhoneNumbers) {
    expect_masked("Call +44 20 7946 0958 now", "Call [phone] now", SecretKind::phone);
    expect_masked("US: +1 (415) 555-0132.", "US: [phone].", SecretKind::phone);
    expect_masked("tel 020 7946 0958", "tel [phone]", SecretKind::phone);
    expect_masked("(415) 555-0132 or", "[phone] or", SecretKind::phone);
    expect_masked("phone=415-555-0132&x=1", "phone=[phone]&x=1", SecretKind::phone);
    expect_masked("FR +33 6 12 34 56 78", "FR [phone]", SecretKind::phone);
    expect_masked("FR 06 12 34 56 78", "FR [phone]", SecretKind::phone);
    expect_masked("+44 (0)20 7946 0958", "[phone]", SecretKind::phone);
    expect_masked("0044 20 7946 0958", "[phone]", SecretKind::phone);
    expect_masked("(+4420794609580)", "([phone])", SecretKind::phone);
    expect_masked("1-415-555-0132", "[phone]", SecretKind::phone);
}

TEST(Redaction, NumbersOfThisProductAreNotPhoneNumbers) {
    expect_untouched("2026-12-02 07:04:53 INFO trained in 12.5 s");
    expect_untouched("2006-12-16T17:24:00Z 2026-12-02T07:04:53+01:00 16/12/2006 02-12-2026 02 12 2026 2026.12.02");
    expect_untouched("16/12/2006;17:24:00;4.216;0.418;234.840;18.400;0.000;1.000;17.000");
    expect_untouched("4.216 kW at 234.84 V, 1,500 chunks, 1,500,000 rows, 234.84 235.10 236.01 234.99");
    expect_untouched("delta +234.84 235.10 236.01, +1 -1, 3.14159265358979, batches 100 150 2000");
    expect_untouched("PT15M P1DT2H30M horizon 168 hours, lightgbm 1.32.0, v2.1.0-rc1, UTC+05:30, +12.5%");
    expect_untouched("run 550e8400-e29b-41d4-a716-446655440000 12345678-1234-1234-1234-123456789012");
    expect_untouched("sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_untouched("ids 1733123093 1733123093123 20261202070453 12345678901234567890 order #12345678");
    expect_untouched("192.168.1.100 10.0.0.1:8080 port 5432 ids 10 20 30 4000 0207 946 0958");
}

TEST(Redaction, IbansWithValidCheckDigits) {
    expect_masked("IBAN GB82 WEST 1234 5698 7654 32, thanks", "IBAN [iban], thanks", SecretKind::iban);
    expect_masked("to DE89370400440532013000.", "to [iban].", SecretKind::iban);
    expect_masked("FR14 2004 1010 0505 0001 3M02 606", "[iban]", SecretKind::iban);
    expect_masked("iban=NL91ABNA0417164300", "iban=[iban]", SecretKind::iban);
    expect_masked("(CH93 0076 2011 6238 5295 7)", "([iban])", SecretKind::iban);
    expect_masked("de89 3704 0044 0532 0130 00", "[iban]", SecretKind::iban);
}

TEST(Redaction, IbansWithWrongCheckDigitsOrShapeStay) {
    expect_untouched("GB83 WEST 1234 5698 7654 32");
    expect_untouched("DE88 3704 0044 0532 0130 00");
    expect_untouched("NL92 ABNA 0417 1643 00");
    expect_untouched("DE89 3704 0044 0532 0130");  // too short for Germany
    expect_untouched("DE89370400440532013000X");   // runs on
    expect_untouched("XX89370400440532013000");    // no such country
}

TEST(Redaction, PaymentCardsPassingLuhn) {
    expect_masked("card 4111 1111 1111 1111, exp", "card [card], exp", SecretKind::payment_card);
    expect_masked("4111-1111-1111-1111", "[card]", SecretKind::payment_card);
    expect_masked("pan=4111111111111111;", "pan=[card];", SecretKind::payment_card);
    expect_masked("Amex 3782 822463 10005", "Amex [card]", SecretKind::payment_card);
    expect_masked("5555555555554444 12/28 cvv 123", "[card] 12/28 cvv 123", SecretKind::payment_card);
    expect_masked("4111 1111 1111 1111 12/28", "[card] 12/28", SecretKind::payment_card);
    expect_masked("6011111111111117", "[card]", SecretKind::payment_card);
}

TEST(Redaction, NumbersFailingLuhnOrOutsideTheCardNetworksStay) {
    expect_untouched("4111 1111 1111 1112");
    expect_untouched("4111-1111-1111-1112 and 4111111111111112");
    expect_untouched("1234567812345670 9999999999999995 0000000000000000");  // pass Luhn, no card network
    expect_untouched("41111111111111111111");                                // 20 digits
    expect_untouched("411111111111");                                        // 12 digits
    expect_untouched("4111111111111111.5 x4111111111111111 4111111111111111abc");
    expect_untouched("years 2021 2022 2023 2024, pairs 40 12 88 88 88 88 18 81");
}

TEST(Redaction, ApiKeys) {
    expect_masked("key " + kVeKey + " done", "key [api_key] done", SecretKind::api_key);
    const std::string generated = generate_api_key().secret;
    expect_masked("X-API-Key: " + generated, "X-API-Key: [api_key]", SecretKind::api_key);
    expect_masked("OPENAI_KEY sk-proj-Ab3dEfGhIjKlMnOpQrStUvWx9", "OPENAI_KEY [api_key]", SecretKind::api_key);
    expect_masked("aws AKIAIOSFODNN7EXAMPLE.", "aws [api_key].", SecretKind::api_key);
    expect_masked("GET /v1?api_key=AbC123xyz&format=json", "GET /v1?api_key=[api_key]&format=json", SecretKind::api_key);
    expect_masked("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = [api_key]",
                  SecretKind::api_key);
    expect_masked(R"({"client_secret": "abc def", "user": "x"})", R"({"client_secret": "[api_key]", "user": "x"})",
                  SecretKind::api_key);
    expect_masked("secret: s3cr3t\nnext: line", "secret: [api_key]\nnext: line", SecretKind::api_key);
}

TEST(Redaction, ApiKeyLookalikesStay) {
    expect_untouched("the ve_ingest table, key id ve_1a2b3c4d, prefix ve_");
    expect_untouched(kVeKey.substr(0, kVeKey.size() - 1));  // 63 hex digits
    expect_untouched(kVeKey + "0");                         // 65
    expect_untouched("ve_1A2B3C4D_0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef");
    expect_untouched("sk-learn-compatible-estimators, sk-short1, risk-adjusted-sk-12345678901234567890");
    expect_untouched("AKIAEXAMPLE AKIAIOSFODNN7EXAMPLEX");
    expect_untouched("api_key= (empty), Secret: we never store it, max_tokens=512, password_min_length=8");
    expect_untouched("bool secret = false; url.password = credentials.substr(colon + 1); if (token == x)");
    expect_untouched(R"(headers.push_back("X-API-Key: " + key); key.secret = "ve_" + key_id;)");
    expect_untouched("PGPASSWORD=$ADMIN_PASSWORD psql; token=${TOKEN}");
}

TEST(Redaction, BearerTokens) {
    expect_masked("Authorization: Bearer " + kJwt, "Authorization: Bearer [token]", SecretKind::bearer_token);
    expect_masked("curl -H 'Authorization: Bearer abc123'", "curl -H 'Authorization: Bearer [token]'", SecretKind::bearer_token);
    expect_masked("authorization: Basic dXNlcjpwYXNz", "authorization: Basic [token]", SecretKind::bearer_token);
    expect_masked("sent Bearer 8f14e45fceea167a5a36dedd4bea2543.", "sent Bearer [token].", SecretKind::bearer_token);
    expect_masked("id_token " + kJwt + " expired", "id_token [token] expired", SecretKind::bearer_token);
    expect_masked("GITHUB_TOKEN ghp_0123456789abcdefghijABCDEFGHIJ012345", "GITHUB_TOKEN [token]", SecretKind::bearer_token);
    expect_masked("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[token]", SecretKind::bearer_token);
    expect_masked("slack xoxb-123456789012-abcdefghijkl", "slack [token]", SecretKind::bearer_token);
    expect_masked("?code=x&access_token=ya29.a0Af&state=1", "?code=x&access_token=[token]&state=1", SecretKind::bearer_token);
}

TEST(Redaction, BearerWithoutATokenStays) {
    expect_untouched("the Bearer scheme; Bearer authentication is used");
    expect_untouched("Authorization: Bearer");
    expect_untouched("Authorization: Bearer <token>, Authorization: Bearer $TOKEN");
    expect_untouched("Bearer abc");  // not random-looking without the header
    expect_untouched("ghp_short xoxb-short eyJhbGci.eyJ");
    expect_untouched("the token: the unit of text a model reads");
}

TEST(Redaction, PasswordsInUrlsOnlyThePassword) {
    expect_masked("postgresql://user:s3cret@db.example.com:5432/voltedge",
                  "postgresql://user:[password]@db.example.com:5432/voltedge", SecretKind::url_password);
    expect_masked("REDIS_URL=redis://:redispw@localhost:6379/0", "REDIS_URL=redis://:[password]@localhost:6379/0",
                  SecretKind::url_password);
    expect_masked("postgresql://u:p@ss@host/db", "postgresql://u:[password]@host/db", SecretKind::url_password);
    expect_masked("amqp://guest:guest@mq/vhost done", "amqp://guest:[password]@mq/vhost done", SecretKind::url_password);
    expect_masked("DB_PASSWORD=hunter2 make serve", "DB_PASSWORD=[password] make serve", SecretKind::url_password);
    expect_masked(R"({"password": "p@ss word"})", R"({"password": "[password]"})", SecretKind::url_password);
    expect_masked("  POSTGRES_PASSWORD: voltedge_admin\n", "  POSTGRES_PASSWORD: [password]\n", SecretKind::url_password);
}

TEST(Redaction, UrlsWithoutPasswordsStay) {
    expect_untouched("postgresql://voltedge@localhost/voltedge");
    expect_untouched("https://example.com:8443/a@b?x=1#y and x://user:@host");
    expect_untouched("postgresql://u:***@h/db (as core/url.h's redact_url writes it)");
    expect_untouched("see https://docs.example.com/path, or ftp://files.example.com/");
}

TEST(Redaction, OverlappingFindingsAreMaskedOnce) {
    // The setting and the shape of its value: one finding.
    expect_masked("token=" + kJwt, "token=[token]", SecretKind::bearer_token);
    expect_masked("password=john@example.com", "password=[password]", SecretKind::url_password);
    expect_masked("api_key=" + kVeKey, "api_key=[api_key]", SecretKind::api_key);
    // An IBAN whose digits also read as a card number or a phone number.
    expect_masked("DE89 3704 0044 0532 0130 00", "[iban]", SecretKind::iban);
    // A number glued to an address: no digit of it is left behind.
    const Redaction r = redact("+44 20 7946 0958john@example.com");
    EXPECT_EQ(r.text.find_first_of("0123456789"), std::string::npos) << r.text;
    EXPECT_EQ(count(r, SecretKind::email), 1);
}

TEST(Redaction, SeveralKindsInOneText) {
    const std::string log =
        "2026-12-02 07:04:53 WARN user john@example.com (+44 20 7946 0958) paid with 4111 1111 1111 1111 from "
        "GB82 WEST 1234 5698 7654 32; key=" +
        kVeKey + " Authorization: Bearer " + kJwt + " db=postgresql://app:hunter2@db:5432/voltedge load 4.216 kW";
    const Redaction r = redact(log);
    EXPECT_EQ(r.text, "2026-12-02 07:04:53 WARN user [email] ([phone]) paid with [card] from [iban]; key=[api_key] "
                      "Authorization: Bearer [token] db=postgresql://app:[password]@db:5432/voltedge load 4.216 kW");
    for (SecretKind kind : {SecretKind::email, SecretKind::phone, SecretKind::iban, SecretKind::payment_card, SecretKind::api_key,
                            SecretKind::bearer_token, SecretKind::url_password})
        EXPECT_EQ(count(r, kind), 1) << kind_name(kind);
}

TEST(Redaction, IsIdempotent) {
    const std::vector<std::string> parts = {"john@example.com",
                                            "+44 20 7946 0958",
                                            "020 7946 0958",
                                            "(415) 555-0132",
                                            "GB82 WEST 1234 5698 7654 32",
                                            "4111 1111 1111 1111",
                                            "378282246310005",
                                            kVeKey,
                                            "Bearer ",
                                            "Authorization: ",
                                            kJwt,
                                            "AKIAIOSFODNN7EXAMPLE",
                                            "password=",
                                            "token: ",
                                            "\"secret\": \"",
                                            "postgresql://u:",
                                            "@",
                                            "://",
                                            ":",
                                            "=",
                                            " ",
                                            "\n",
                                            "-",
                                            ".",
                                            ",",
                                            "(",
                                            ")",
                                            "\"",
                                            "0",
                                            "12",
                                            "2026",
                                            "example.com",
                                            "é",
                                            "\xff",
                                            "[card]",
                                            "[password]",
                                            "[token]",
                                            "+",
                                            "_",
                                            "/"};
    std::mt19937 rng(140);  // fixed: the same texts every run
    for (int t = 0; t < 20000; ++t) {
        std::string text;
        for (int k = rng() % 10; k > 0; --k) text += parts[rng() % parts.size()];
        const std::string once = redacted(text);
        ASSERT_EQ(redacted(once), once) << "input: " << text;
    }
}

TEST(Redaction, NeverThrowsOnOddInput) {
    std::mt19937 rng(141);
    for (int t = 0; t < 500; ++t) {
        std::string bytes(rng() % 4000, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        EXPECT_NO_THROW(redacted(bytes));
    }
    const char odd[] = "a\0b 4111111111111111\0\xff\xfe+44 20 7946 0958\x80";
    const char odd_masked[] = "a\0b [card]\0\xff\xfe[phone]\x80";
    EXPECT_EQ(redacted(std::string(odd, sizeof odd - 1)), std::string(odd_masked, sizeof odd_masked - 1));
    expect_untouched("[card] [phone] [token] Authorization: Bearer [token] password=[password] https://u:[password]@h/");
    expect_untouched(std::string(100000, '@') + std::string(100000, '=') + std::string(100000, '4'));
}

TEST(Redaction, AMegabyteOfMixedTextWithPlantedSecrets) {
    const std::string filler =
        "2026-12-02 07:04:53 INFO ingest tenant 550e8400-e29b-41d4-a716-446655440000: 1,500 chunks, 4.216 kW at "
        "234.84 V, model lightgbm 1.32.0 horizon 168 h, sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b78"
        "52b855, took PT15M\n";
    const std::vector<std::pair<std::string, SecretKind>> planted = {{"ops@example.com", SecretKind::email},
                                                                     {"+1 (415) 555-0132", SecretKind::phone},
                                                                     {"DE89 3704 0044 0532 0130 00", SecretKind::iban},
                                                                     {"5555 5555 5555 4444", SecretKind::payment_card},
                                                                     {kVeKey, SecretKind::api_key},
                                                                     {kJwt, SecretKind::bearer_token},
                                                                     {"hunter2x", SecretKind::url_password}};
    std::string text;
    std::vector<int> expected(planted.size(), 0);
    for (int line = 1; text.size() < (1u << 20); ++line) {
        text += filler;
        if (line % 40 != 0) continue;
        const size_t k = line / 40 % planted.size();
        ++expected[k];
        const auto& [secret, kind] = planted[k];
        text += kind == SecretKind::url_password ? "url postgresql://app:" + secret + "@db/v\n" : "see " + secret + " ok\n";
    }
    const Redaction r = redact(text);
    for (size_t k = 0; k < planted.size(); ++k) {
        EXPECT_EQ(r.text.find(planted[k].first), std::string::npos) << planted[k].first;
        EXPECT_EQ(count(r, planted[k].second), expected[k]) << kind_name(planted[k].second);
    }
    EXPECT_NE(r.text.find("4.216 kW at 234.84 V, model lightgbm 1.32.0 horizon 168 h"), std::string::npos);
}

TEST(Redaction, LogLinesPassThroughTheFilterTheBinaryInstalls) {
    voltedge::set_log_filter(&redacted);
    testing::internal::CaptureStderr();
    voltedge::log_event("error", "request_failed",
                        {{"error", "cannot parse 'ops@example.com' with key ve_0123abcd_" + std::string(64, 'a')}});
    const std::string line = testing::internal::GetCapturedStderr();
    voltedge::set_log_filter(nullptr);
    EXPECT_EQ(line.find("ops@example.com"), std::string::npos) << line;
    EXPECT_NE(line.find("[email]"), std::string::npos) << line;
    EXPECT_NE(line.find("[api_key]"), std::string::npos) << line;
    EXPECT_NE(line.find("\"event\":\"request_failed\""), std::string::npos) << line;  // the line's own fields stay
}
