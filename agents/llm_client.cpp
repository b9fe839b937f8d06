#include "agents/llm_client.h"

#include <fmt/format.h>

#include "http/client.h"
#include "observability/tracing.h"

namespace voltedge::agents {

LlmReply complete_json(const LlmConfig& config, const std::vector<ChatMessage>& messages, const nlohmann::json& schema) {
    nlohmann::json body = {{"model", config.model},
                           {"temperature", 0},
                           {"max_tokens", config.max_tokens},
                           {"messages", nlohmann::json::array()},
                           {"response_format",
                            {{"type", "json_schema"}, {"json_schema", {{"name", "answer"}, {"schema", schema}}}}}};
    for (const auto& m : messages) body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    http::ClientRequest request;
    request.method = "POST";
    std::string base = config.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    request.url = base + "/chat/completions";
    request.body = body.dump();
    request.headers = {"Content-Type: application/json"};
    if (!config.api_key.empty()) request.headers.push_back("Authorization: Bearer " + config.api_key);
    request.timeout_seconds = config.timeout_seconds;
    // OpenTelemetry's generative-AI conventions; the prompt itself is never recorded (security/policy.md).
    observability::Span span("chat " + config.model, observability::SpanKind::client);
    span.set("gen_ai.operation.name", "chat");
    span.set("gen_ai.request.model", config.model);
    span.set("gen_ai.request.max_tokens", config.max_tokens);
    const auto response = http::send(request);
    if (response.status != 200)
        throw LlmError(fmt::format("the language model at {} answered {}", config.url, response.status),
                       "check VOLTEDGE_LLM_URL and that the server runs (make llm)");
    const auto j = nlohmann::json::parse(response.body, nullptr, false);
    if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() || j["choices"].empty() ||
        !j["choices"][0].contains("message") || !j["choices"][0]["message"].contains("content") ||
        !j["choices"][0]["message"]["content"].is_string())
        throw LlmError("the language model's answer is not a chat completion",
                       "is VOLTEDGE_LLM_URL an OpenAI-compatible /v1 URL?");
    LlmReply reply;
    reply.content = j["choices"][0]["message"]["content"];
    reply.finish_reason = j["choices"][0].value("finish_reason", "");
    if (j.contains("usage") && j["usage"].is_object()) {
        reply.prompt_tokens = j["usage"].value("prompt_tokens", 0LL);
        reply.completion_tokens = j["usage"].value("completion_tokens", 0LL);
    }
    reply.cost_usd = static_cast<double>(reply.prompt_tokens) / 1000 * config.usd_per_1k_prompt +
                     static_cast<double>(reply.completion_tokens) / 1000 * config.usd_per_1k_completion;
    span.set("gen_ai.usage.input_tokens", static_cast<std::int64_t>(reply.prompt_tokens));
    span.set("gen_ai.usage.output_tokens", static_cast<std::int64_t>(reply.completion_tokens));
    span.set("gen_ai.response.finish_reasons", reply.finish_reason);
    return reply;
}

}  // namespace voltedge::agents
