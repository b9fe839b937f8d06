#include "agents/json_schema.h"

#include <fmt/format.h>

#include <set>
#include <stdexcept>

namespace voltedge::agents {
namespace {

using nlohmann::json;

const std::set<std::string> kKnownKeywords = {"type",       "properties", "required", "additionalProperties",
                                              "enum",       "minimum",    "maximum",  "minLength",
                                              "maxLength",  "minItems",   "maxItems", "items",
                                              "description"};

bool has_type(const json& value, const std::string& type) {
    if (type == "object") return value.is_object();
    if (type == "array") return value.is_array();
    if (type == "string") return value.is_string();
    if (type == "boolean") return value.is_boolean();
    if (type == "integer")
        return value.is_number_integer() ||
               (value.is_number_float() &&
                value.get<double>() == static_cast<double>(static_cast<long long>(value.get<double>())));
    if (type == "number") return value.is_number();
    throw std::logic_error("JSON schema type '" + type + "' is not supported");
}

std::size_t characters(const std::string& s) {
    std::size_t n = 0;
    for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

std::optional<std::string> check_object(const json& schema, const json& value, const std::string& path) {
    const json properties = schema.value("properties", json::object());
    for (const auto& name : schema.value("required", json::array()))
        if (!value.contains(name.get<std::string>())) return fmt::format("{}.{} is required", path, name.get<std::string>());
    const bool closed = schema.contains("additionalProperties") && schema["additionalProperties"] == false;
    for (const auto& [key, item] : value.items()) {
        if (!properties.contains(key)) {
            if (!closed) continue;
            std::string known;
            for (const auto& [name, _] : properties.items()) known += (known.empty() ? "" : ", ") + name;
            return fmt::format("{}.{} is not an argument of this tool (its arguments: {})", path, key, known);
        }
        if (auto bad = schema_violation(properties[key], item, path + "." + key)) return bad;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> schema_violation(const json& schema, const json& value, const std::string& path) {
    for (const auto& [keyword, _] : schema.items())
        if (!kKnownKeywords.count(keyword)) throw std::logic_error("JSON schema keyword '" + keyword + "' is not supported");
    if (schema.contains("type")) {
        const std::string type = schema["type"];
        if (!has_type(value, type))
            return fmt::format("{} must be {} {}", path, type == "integer" || type == "array" || type == "object" ? "an" : "a",
                               type);
    }
    if (schema.contains("enum")) {
        bool listed = false;
        for (const auto& option : schema["enum"]) listed = listed || option == value;
        if (!listed) return fmt::format("{} must be one of {}", path, schema["enum"].dump());
    }
    if (value.is_number()) {
        const double v = value.get<double>();
        if (schema.contains("minimum") && v < schema["minimum"].get<double>())
            return fmt::format("{} must be at least {}", path, schema["minimum"].dump());
        if (schema.contains("maximum") && v > schema["maximum"].get<double>())
            return fmt::format("{} must be at most {}", path, schema["maximum"].dump());
    }
    if (value.is_string()) {
        const auto n = characters(value.get<std::string>());
        if (schema.contains("minLength") && n < schema["minLength"].get<std::size_t>())
            return fmt::format("{} must have at least {} characters", path, schema["minLength"].get<std::size_t>());
        if (schema.contains("maxLength") && n > schema["maxLength"].get<std::size_t>())
            return fmt::format("{} must have at most {} characters", path, schema["maxLength"].get<std::size_t>());
    }
    if (value.is_array()) {
        if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>())
            return fmt::format("{} must have at least {} items", path, schema["minItems"].get<std::size_t>());
        if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>())
            return fmt::format("{} must have at most {} items", path, schema["maxItems"].get<std::size_t>());
        if (schema.contains("items"))
            for (std::size_t i = 0; i < value.size(); ++i)
                if (auto bad = schema_violation(schema["items"], value[i], fmt::format("{}[{}]", path, i))) return bad;
    }
    if (value.is_object()) return check_object(schema, value, path);
    return std::nullopt;
}

}  // namespace voltedge::agents
