#include "observability/otlp.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <iterator>

#include "core/hex.h"
#include "core/log.h"

namespace voltedge::observability::otlp {
namespace {

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// ---- OTLP/JSON (ids in hex, 64-bit integers as strings)

template <std::size_t N>
void append_hex(std::string& out, const std::array<std::uint8_t, N>& bytes) {
    char text[2 * N];
    write_hex(text, bytes.data(), N);
    out.append(text, 2 * N);
}

// `text` as a JSON string. Exporting is the tracer's hot loop, so plain ASCII (nearly every attribute) is escaped
// here in one pass; text with other bytes goes through json_quoted, which also repairs invalid UTF-8 (one bad
// byte would make the collector refuse the whole batch).
void append_quoted(std::string& out, std::string_view text) {
    for (const char c : text)
        if (static_cast<unsigned char>(c) >= 0x80) {
            out += json_quoted(text);
            return;
        }
    out += '"';
    std::size_t run = 0;  // start of the characters not yet appended: they need no escaping, and go in at once
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else {
            out += fmt::format("\\u{:04x}", static_cast<int>(c));
        }
    }
    out.append(text.data() + run, text.size() - run);
    out += '"';
}

void append_attribute(std::string& out, const SpanAttribute& a) {
    out += R"({"key":)";
    append_quoted(out, a.key);
    out += R"(,"value":{)";
    switch (a.type) {
        case SpanAttribute::Type::text:
            out += R"("stringValue":)";
            append_quoted(out, a.text);
            break;
        case SpanAttribute::Type::integer: fmt::format_to(std::back_inserter(out), R"("intValue":"{}")", a.integer); break;
        case SpanAttribute::Type::real:
            // JSON has no NaN or infinity; OTLP/JSON would want them as strings, which collectors read poorly.
            out += std::isfinite(a.real) ? fmt::format(R"("doubleValue":{})", a.real) : R"("stringValue":"NaN")";
            break;
        case SpanAttribute::Type::boolean: out += a.boolean ? R"("boolValue":true)" : R"("boolValue":false)"; break;
    }
    out += "}}";
}

void append_attributes(std::string& out, const std::vector<SpanAttribute>& attributes) {
    out += '[';
    for (std::size_t i = 0; i < attributes.size(); ++i) {
        if (i) out += ',';
        append_attribute(out, attributes[i]);
    }
    out += ']';
}

void append_json_span(std::string& out, const SpanRecord& s) {
    out += R"({"traceId":")";
    append_hex(out, s.context.trace_id);
    out += R"(","spanId":")";
    append_hex(out, s.context.span_id);
    if (!all_zero(s.parent_span_id)) {
        out += R"(","parentSpanId":")";
        append_hex(out, s.parent_span_id);
    }
    out += R"(","name":)";
    append_quoted(out, s.name);
    fmt::format_to(std::back_inserter(out), R"(,"kind":{},"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":)",
                   static_cast<int>(s.kind), s.start_ns, s.end_ns);
    append_attributes(out, s.attributes);
    out += R"(,"events":[)";
    for (std::size_t j = 0; j < s.events.size(); ++j) {
        const SpanEvent& e = s.events[j];
        if (j) out += ',';
        out += fmt::format(R"({{"timeUnixNano":"{}","name":{},"attributes":)", e.time_ns, json_quoted(e.name));
        std::vector<SpanAttribute> detail;
        if (!e.detail.empty()) {
            auto& a = detail.emplace_back();
            a.key = e.name == "exception" ? "exception.message" : "message";
            a.text = e.detail;
        }
        append_attributes(out, detail);
        out += '}';
    }
    out += R"(],"status":)";
    out += s.error ? R"({"code":2,"message":)" + json_quoted(s.status_message) + "}" : R"({"code":0})";
    out += '}';
}

std::vector<SpanAttribute> resource_attributes(const TracingOptions& options) {
    std::vector<SpanAttribute> resource(2);
    resource[0].key = "service.name";
    resource[0].text = options.service_name;
    resource[1].key = "telemetry.sdk.language";
    resource[1].text = "cpp";
    if (!options.service_version.empty()) {
        auto& version = resource.emplace_back();
        version.key = "service.version";
        version.text = options.service_version;
    }
    return resource;
}

constexpr std::string_view kScopeName = "voltedge.observability";

std::string json_body(std::string_view spans, const TracingOptions& options) {
    std::string out;
    out.reserve(512 + spans.size());
    out += R"({"resourceSpans":[{"resource":{"attributes":)";
    append_attributes(out, resource_attributes(options));
    out += R"(},"scopeSpans":[{"scope":{"name":")";
    out += kScopeName;
    out += R"(","version":)" + json_quoted(options.service_version) + R"(},"spans":[)";
    out += spans;
    out += "]}]}]}";
    return out;
}

// ---- OTLP/protobuf (opentelemetry/proto/trace/v1/trace.proto and common/v1, resource/v1; field numbers there)

enum Wire { kVarint = 0, kFixed64 = 1, kLength = 2 };

void put_varint(std::string& out, std::uint64_t v) {
    for (; v >= 0x80; v >>= 7) out += static_cast<char>(v | 0x80);
    out += static_cast<char>(v);
}

void put_key(std::string& out, int field, Wire wire) { put_varint(out, (static_cast<std::uint64_t>(field) << 3) | wire); }

void put_fixed64(std::string& out, int field, std::uint64_t v) {
    put_key(out, field, kFixed64);
    for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}

void put_bytes(std::string& out, int field, std::string_view bytes) {
    put_key(out, field, kLength);
    put_varint(out, bytes.size());
    out.append(bytes);
}

template <std::size_t N>
void put_id(std::string& out, int field, const std::array<std::uint8_t, N>& id) {
    put_bytes(out, field, {reinterpret_cast<const char*>(id.data()), N});
}

// Whether `text` is UTF-8 as protobuf's string fields require (no overlong forms, no surrogates).
std::size_t utf8_length_at(std::string_view text, std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n <= 1 || i + n > text.size()) return n == 1 ? 1 : 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
    const auto d = static_cast<unsigned char>(text[i + 1]);
    if ((c == 0xE0 && d < 0xA0) || (c == 0xED && d >= 0xA0) || (c == 0xF0 && d < 0x90) || (c == 0xF4 && d >= 0x90)) return 0;
    return n;
}

// A string field. Bytes that are not UTF-8 become U+FFFD: the collector would refuse the whole batch for one.
void put_string(std::string& out, int field, std::string_view text) {
    std::size_t i = 0;
    for (std::size_t n; i < text.size() && (n = utf8_length_at(text, i)) != 0;) i += n;
    if (i == text.size()) return put_bytes(out, field, text);
    std::string repaired;
    for (i = 0; i < text.size();) {
        const std::size_t n = utf8_length_at(text, i);
        repaired += n ? text.substr(i, n) : std::string_view("\xEF\xBF\xBD");
        i += n ? n : 1;
    }
    put_bytes(out, field, repaired);
}

// A nested message is written in place behind a one-byte length, widened when it turns out longer.
std::size_t open_message(std::string& out, int field) {
    put_key(out, field, kLength);
    out += '\0';
    return out.size();
}

void close_message(std::string& out, std::size_t start) {
    std::string length;
    put_varint(length, out.size() - start);
    out[start - 1] = length[0];
    if (length.size() > 1) out.insert(start, length, 1);
}

// KeyValue {1 key, 2 AnyValue {1 string, 2 bool, 3 int, 4 double}}
void put_attribute(std::string& out, int field, const SpanAttribute& a) {
    const auto pair = open_message(out, field);
    put_string(out, 1, a.key);
    const auto value = open_message(out, 2);
    switch (a.type) {
        case SpanAttribute::Type::text: put_string(out, 1, a.text); break;
        case SpanAttribute::Type::boolean:
            put_key(out, 2, kVarint);
            put_varint(out, a.boolean ? 1 : 0);
            break;
        case SpanAttribute::Type::integer:
            put_key(out, 3, kVarint);
            put_varint(out, static_cast<std::uint64_t>(a.integer));
            break;
        case SpanAttribute::Type::real: {
            std::uint64_t bits;
            std::memcpy(&bits, &a.real, sizeof bits);
            put_fixed64(out, 4, bits);
            break;
        }
    }
    close_message(out, value);
    close_message(out, pair);
}

SpanAttribute text_attribute(std::string_view key, std::string text) {
    SpanAttribute a;
    a.key = key;
    a.text = std::move(text);
    return a;
}

// Span {1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start, 8 end, 9 attributes, 11 events
// {1 time, 2 name, 3 attributes}, 15 status {2 message, 3 code}}, as field 2 (spans) of ScopeSpans.
void append_protobuf_span(std::string& out, const SpanRecord& s) {
    const auto span = open_message(out, 2);
    put_id(out, 1, s.context.trace_id);
    put_id(out, 2, s.context.span_id);
    if (!all_zero(s.parent_span_id)) put_id(out, 4, s.parent_span_id);
    put_string(out, 5, s.name);
    put_key(out, 6, kVarint);
    put_varint(out, static_cast<std::uint64_t>(s.kind));
    put_fixed64(out, 7, static_cast<std::uint64_t>(s.start_ns));
    put_fixed64(out, 8, static_cast<std::uint64_t>(s.end_ns));
    for (const auto& a : s.attributes) put_attribute(out, 9, a);
    for (const auto& e : s.events) {
        const auto event = open_message(out, 11);
        put_fixed64(out, 1, static_cast<std::uint64_t>(e.time_ns));
        put_string(out, 2, e.name);
        if (!e.detail.empty())
            put_attribute(out, 3, text_attribute(e.name == "exception" ? "exception.message" : "message", e.detail));
        close_message(out, event);
    }
    if (s.error) {
        const auto status = open_message(out, 15);
        put_string(out, 2, s.status_message);
        put_key(out, 3, kVarint);
        put_varint(out, 2);  // STATUS_CODE_ERROR
        close_message(out, status);
    }
    close_message(out, span);
}

// ExportTraceServiceRequest {1 ResourceSpans {1 Resource {1 attributes}, 2 ScopeSpans {1 scope {1 name,
// 2 version}, 2 spans}}}: the spans are already framed, so only the lengths around them are computed here.
std::string protobuf_body(std::string_view spans, const TracingOptions& options) {
    std::string scope_spans_head;
    const auto scope = open_message(scope_spans_head, 1);
    put_string(scope_spans_head, 1, kScopeName);
    put_string(scope_spans_head, 2, options.service_version);
    close_message(scope_spans_head, scope);

    std::string resource_spans_head;
    const auto resource = open_message(resource_spans_head, 1);
    for (const auto& a : resource_attributes(options)) put_attribute(resource_spans_head, 1, a);
    close_message(resource_spans_head, resource);
    put_key(resource_spans_head, 2, kLength);
    put_varint(resource_spans_head, scope_spans_head.size() + spans.size());
    resource_spans_head += scope_spans_head;

    std::string out;
    out.reserve(resource_spans_head.size() + spans.size() + 16);
    put_key(out, 1, kLength);
    put_varint(out, resource_spans_head.size() + spans.size());
    out += resource_spans_head;
    out += spans;
    return out;
}

}  // namespace

void append_span(std::string& out, const SpanRecord& span, OtlpProtocol protocol) {
    if (protocol == OtlpProtocol::protobuf) return append_protobuf_span(out, span);
    append_json_span(out, span);
}

std::string_view separator(OtlpProtocol protocol) { return protocol == OtlpProtocol::json ? "," : ""; }

std::string body(std::string_view spans, const TracingOptions& options) {
    return options.protocol == OtlpProtocol::protobuf ? protobuf_body(spans, options) : json_body(spans, options);
}

}  // namespace voltedge::observability::otlp
