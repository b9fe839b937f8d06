#pragma once
// Checks a tool call's arguments against the tool's JSON Schema before it runs. Only the part of JSON Schema
// the tools use: type (object, string, integer, number, boolean, array), properties, required,
// additionalProperties false, enum, minimum/maximum, minLength/maxLength, minItems/maxItems and items. A
// schema keyword outside that set is a programming error (std::logic_error), so a tool cannot believe it is
// checked when it is not.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace voltedge::agents {

// nullopt when `value` satisfies `schema`; else the first violation, naming the path of the value at fault,
// e.g. "arguments.horizon_hours must be at most 168".
std::optional<std::string> schema_violation(const nlohmann::json& schema, const nlohmann::json& value,
                                            const std::string& path = "arguments");

}  // namespace voltedge::agents
