#pragma once
// The OTLP/HTTP trace export request (ExportTraceServiceRequest) in its two encodings, protobuf (the OTLP
// default: about a third of the bytes, no escaping) and JSON, for the exporter in tracing.cpp. The exporter
// queues spans already encoded (append_span), one after another, and wraps each batch with write_body().
#include <string>
#include <string_view>
#include <vector>

#include "observability/tracing.h"

namespace voltedge::observability::otlp {

// One span as a batch holds it: a JSON span object, or a protobuf Span message framed as a `spans` field of
// ScopeSpans. Spans follow each other with separator() between them.
void append_span(std::string& out, const SpanRecord& span, OtlpProtocol protocol);
std::string_view separator(OtlpProtocol protocol);

// The whole request around `spans` (append_span's output): the resource (service.name, service.version,
// telemetry.sdk.language), the scope, then the spans. Replaces what `out` held, in the memory it already has.
void write_body(std::string& out, std::string_view spans, const TracingOptions& options);

}  // namespace voltedge::observability::otlp
