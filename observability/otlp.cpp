#include "observability/otlp.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
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

// An event's detail as the attributes it is exported with: none, or one (exception.message for an exception).
std::vector<SpanAttribute> detail_attributes(const SpanEvent& e) {
    std::vector<SpanAttribute> attributes;
    if (e.detail.empty()) return attributes;
    auto& a = attributes.emplace_back();
    a.key = e.name == "exception" ? "exception.message" : "message";
    a.text = e.detail;
    return attributes;
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
        append_attributes(out, detail_attributes(e));
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

void json_body(std::string& out, std::string_view spans, const TracingOptions& options) {
    out.clear();
    out.reserve(512 + spans.size());
    out += R"({"resourceSpans":[{"resource":{"attributes":)";
    append_attributes(out, resource_attributes(options));
    out += R"(},"scopeSpans":[{"scope":{"name":")";
    out += kScopeName;
    out += R"(","version":)" + json_quoted(options.service_version) + R"(},"spans":[)";
    out += spans;
    out += "]}]}]}";
}

// ---- OTLP/protobuf (opentelemetry/proto/trace/v1/trace.proto and common/v1, resource/v1; field numbers there)

enum Wire { kVarint = 0, kFixed64 = 1, kLength = 2 };

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

// `text` as a string field may carry it: bytes that are not UTF-8 become U+FFFD (in `scratch`), as the collector
// would refuse the whole batch for one. At most 3 bytes per byte of `text`.
std::string_view valid_utf8(std::string_view text, std::string& scratch) {
    unsigned char high = 0;  // nearly every attribute is ASCII: one branch-free pass says so
    for (const char c : text) high |= static_cast<unsigned char>(c);
    if (high < 0x80) return text;
    std::size_t i = 0;
    for (std::size_t n; i < text.size() && (n = utf8_length_at(text, i)) != 0;) i += n;
    if (i == text.size()) return text;
    scratch.clear();
    for (i = 0; i < text.size();) {
        const std::size_t n = utf8_length_at(text, i);
        scratch += n ? text.substr(i, n) : std::string_view("\xEF\xBF\xBD");
        i += n ? n : 1;
    }
    return scratch;
}

// Writes protobuf into room made in a string beforehand (Writer::into), so each byte is a store rather than a
// call: encoding is the tracer's hot loop (a request's span is encoded on the request's thread), and appending
// byte by byte was two thirds of a span's cost (perf of the bench's tracer figure).
class Writer {
public:
    // Calls `write(Writer&)` with room for `bound` bytes at the end of `out`, then trims `out` to what it wrote.
    template <class Write>
    static void into(std::string& out, std::size_t bound, Write write) {
        const std::size_t start = out.size();
        out.resize(start + bound);
        Writer w(out.data() + start);
        write(w);
        const auto end = static_cast<std::size_t>(w.p_ - out.data());
        if (end > start + bound) std::abort();  // a bound below is wrong: stop before the heap is used further
        out.resize(end);
    }

    // What a field of `text` may take, nested messages' length bytes included: `into`'s bound is a sum of these.
    static constexpr std::size_t bound_of(std::size_t text_size) { return 3 * text_size + 24; }

    void varint(std::uint64_t v) {
        for (; v >= 0x80; v >>= 7) *p_++ = static_cast<char>(v | 0x80);
        *p_++ = static_cast<char>(v);
    }
    void key(int field, Wire wire) { varint((static_cast<std::uint64_t>(field) << 3) | wire); }
    void uint(int field, std::uint64_t v) {
        key(field, kVarint);
        varint(v);
    }
    void fixed64(int field, std::uint64_t v) {
        key(field, kFixed64);
        for (int i = 0; i < 8; ++i) *p_++ = static_cast<char>(v >> (8 * i));  // little-endian on the wire
    }
    void bytes(int field, std::string_view b) {
        key(field, kLength);
        varint(b.size());
        std::memcpy(p_, b.data(), b.size());
        p_ += b.size();
    }
    template <std::size_t N>
    void id(int field, const std::array<std::uint8_t, N>& id) {
        bytes(field, {reinterpret_cast<const char*>(id.data()), N});
    }
    void string(int field, std::string_view text) { bytes(field, valid_utf8(text, scratch_)); }

    // A nested message is written in place behind a one-byte length, moved along when it turns out longer.
    char* open(int field) {
        key(field, kLength);
        return p_++;
    }
    void close(char* length_at) {
        const auto size = static_cast<std::size_t>(p_ - (length_at + 1));
        char length[10];
        std::size_t n = 0;
        std::uint64_t v = size;
        for (; v >= 0x80; v >>= 7) length[n++] = static_cast<char>(v | 0x80);
        length[n++] = static_cast<char>(v);
        if (n > 1) std::memmove(length_at + n, length_at + 1, size);
        std::memcpy(length_at, length, n);
        p_ += n - 1;
    }

private:
    explicit Writer(char* p) : p_(p) {}
    char* p_;
    std::string scratch_;
};

// KeyValue {1 key, 2 AnyValue {1 string, 2 bool, 3 int, 4 double}}
void put_attribute(Writer& w, int field, const SpanAttribute& a) {
    char* pair = w.open(field);
    w.string(1, a.key);
    char* value = w.open(2);
    switch (a.type) {
        case SpanAttribute::Type::text: w.string(1, a.text); break;
        case SpanAttribute::Type::boolean: w.uint(2, a.boolean ? 1 : 0); break;
        case SpanAttribute::Type::integer: w.uint(3, static_cast<std::uint64_t>(a.integer)); break;
        case SpanAttribute::Type::real: {
            std::uint64_t bits;
            std::memcpy(&bits, &a.real, sizeof bits);
            w.fixed64(4, bits);
            break;
        }
    }
    w.close(value);
    w.close(pair);
}

std::size_t attribute_bound(const SpanAttribute& a) { return Writer::bound_of(a.key.size() + a.text.size()) + 24; }

// Span {1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start, 8 end, 9 attributes, 11 events
// {1 time, 2 name, 3 attributes}, 15 status {2 message, 3 code}}, as field 2 (spans) of ScopeSpans.
void append_protobuf_span(std::string& out, const SpanRecord& s) {
    std::size_t bound = 96 + Writer::bound_of(s.name.size()) + Writer::bound_of(s.status_message.size());
    for (const auto& a : s.attributes) bound += attribute_bound(a);
    for (const auto& e : s.events) {
        bound += 16 + Writer::bound_of(e.name.size());
        for (const auto& a : detail_attributes(e)) bound += attribute_bound(a);
    }
    Writer::into(out, bound, [&](Writer& w) {
        char* span = w.open(2);
        w.id(1, s.context.trace_id);
        w.id(2, s.context.span_id);
        if (!all_zero(s.parent_span_id)) w.id(4, s.parent_span_id);
        w.string(5, s.name);
        w.uint(6, static_cast<std::uint64_t>(s.kind));
        w.fixed64(7, static_cast<std::uint64_t>(s.start_ns));
        w.fixed64(8, static_cast<std::uint64_t>(s.end_ns));
        for (const auto& a : s.attributes) put_attribute(w, 9, a);
        for (const auto& e : s.events) {
            char* event = w.open(11);
            w.fixed64(1, static_cast<std::uint64_t>(e.time_ns));
            w.string(2, e.name);
            for (const auto& a : detail_attributes(e)) put_attribute(w, 3, a);
            w.close(event);
        }
        if (s.error) {
            char* status = w.open(15);
            w.string(2, s.status_message);
            w.uint(3, 2);  // STATUS_CODE_ERROR
            w.close(status);
        }
        w.close(span);
    });
}

// ExportTraceServiceRequest {1 ResourceSpans {1 Resource {1 attributes}, 2 ScopeSpans {1 scope {1 name,
// 2 version}, 2 spans}}}: the spans are already framed, so only the lengths around them are computed here.
void protobuf_body(std::string& out, std::string_view spans, const TracingOptions& options) {
    const auto resource = resource_attributes(options);
    std::size_t bound = 96 + Writer::bound_of(kScopeName.size()) + Writer::bound_of(options.service_version.size());
    for (const auto& a : resource) bound += attribute_bound(a);
    std::string head;
    Writer::into(head, bound, [&](Writer& w) {
        char* resource_message = w.open(1);
        for (const auto& a : resource) put_attribute(w, 1, a);
        w.close(resource_message);
    });
    std::string scope;
    Writer::into(scope, bound, [&](Writer& w) {
        char* scope_message = w.open(1);
        w.string(1, kScopeName);
        w.string(2, options.service_version);
        w.close(scope_message);
    });
    // ResourceSpans = head, then ScopeSpans (field 2) = scope + spans; each length is known before its bytes.
    out.clear();
    out.reserve(head.size() + scope.size() + spans.size() + 32);
    Writer::into(out, 32, [&](Writer& w) {
        const std::size_t scope_spans = scope.size() + spans.size();
        std::size_t scope_spans_field = 1 + scope_spans + 1;
        for (std::uint64_t v = scope_spans; v >= 0x80; v >>= 7) ++scope_spans_field;
        w.key(1, kLength);
        w.varint(head.size() + scope_spans_field);
    });
    out += head;
    Writer::into(out, 16, [&](Writer& w) {
        w.key(2, kLength);
        w.varint(scope.size() + spans.size());
    });
    out += scope;
    out += spans;
}

}  // namespace

void append_span(std::string& out, const SpanRecord& span, OtlpProtocol protocol) {
    if (protocol == OtlpProtocol::protobuf) return append_protobuf_span(out, span);
    append_json_span(out, span);
}

std::string_view separator(OtlpProtocol protocol) { return protocol == OtlpProtocol::json ? "," : ""; }

void write_body(std::string& out, std::string_view spans, const TracingOptions& options) {
    if (options.protocol == OtlpProtocol::protobuf) return protobuf_body(out, spans, options);
    json_body(out, spans, options);
}

}  // namespace voltedge::observability::otlp
