#pragma once
// An OpenAI-compatible chat-completions client (llama.cpp's llama-server, vLLM, or a hosted API) for the
// optional generative composer. The only code that knows that wire format. Every message it is given must
// already be redacted (the composer does it); it logs nothing of them.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace voltedge::agents {

struct LlmConfig {
    std::string url;  // base URL up to /v1, e.g. http://127.0.0.1:28081/v1
    std::string model = "smollm2";
    std::string api_key;                                      // sent as a bearer token when set
    int max_tokens = 256;                                     // the completion budget per request
    double usd_per_1k_prompt = 0, usd_per_1k_completion = 0;  // configured prices, for the cost estimate
    long timeout_seconds = 30;
};

struct ChatMessage {
    std::string role, content;  // system, user or assistant
};

struct LlmReply {
    std::string content, finish_reason;  // finish_reason "stop" when the model finished, "length" when cut off
    long long prompt_tokens = 0, completion_tokens = 0;
    double cost_usd = 0;
};

// The server answered with an error, or with something that is not a chat completion.
class LlmError : public Error {
public:
    using Error::Error;
};

// One completion whose content must satisfy `schema` (response_format json_schema, which llama-server turns into
// a grammar). Throws LlmError, or http::Unreachable when the server cannot be reached.
LlmReply complete_json(const LlmConfig& config, const std::vector<ChatMessage>& messages, const nlohmann::json& schema);

}  // namespace voltedge::agents
