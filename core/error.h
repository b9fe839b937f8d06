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

}  // namespace voltedge
