#pragma once
// Governance commands: `voltedge audit verify` (the chain itself is security/audit.h's).
#include <optional>
#include <ostream>
#include <string>

#include "core/config.h"

namespace voltedge::cli {

// Prints rows checked per tenant, or each broken chain's first broken row; 1 when any chain is broken.
int run_audit_verify(const Config& config, const std::optional<std::string>& tenant, std::ostream& out);

}  // namespace voltedge::cli
