#pragma once
// One error type for everything a user can cause or fix: it says what is wrong and what to do about it.
#include <stdexcept>
#include <string>

namespace voltedge {

class Error : public std::runtime_error {
public:
    Error(std::string what, std::string hint = {}) : std::runtime_error(std::move(what)), hint_(std::move(hint)) {}
    const std::string& hint() const { return hint_; }

private:
    std::string hint_;
};

// A request that cannot be run as given; `field` names the part at fault (the API answers 422 naming it).
class FieldError : public Error {
public:
    FieldError(std::string field, std::string what, std::string hint = {})
        : Error(std::move(what), std::move(hint)), field_(std::move(field)) {}
    const std::string& field() const { return field_; }

private:
    std::string field_;
};

}  // namespace voltedge
