#pragma once
// An error the client caused or can act on, with the HTTP status it maps to and the request field at fault.
#include <string>

#include "core/error.h"

namespace voltedge::api {

class ApiError : public Error {
public:
    ApiError(int status, std::string field, std::string what, std::string hint = {})
        : Error(std::move(what), std::move(hint)), status_(status), field_(std::move(field)) {}
    int status() const { return status_; }
    const std::string& field() const { return field_; }

private:
    int status_;
    std::string field_;
};

}  // namespace voltedge::api
