#include "cli/governance.h"

#include <fmt/format.h>

#include <algorithm>

#include "db/connection.h"
#include "security/audit.h"

namespace voltedge::cli {

int run_audit_verify(const Config& config, const std::optional<std::string>& tenant, std::ostream& out) {
    auto admin = db::connect(config.database_admin_url);
    const auto report = security::verify_audit_chain(admin, tenant);
    long rows = 0;
    for (const auto& t : report.tenants) {
        rows += t.rows;
        if (t.ok) {
            out << fmt::format("ok      {:<40} {} rows\n", t.tenant, t.rows);
        } else if (t.broken_id != 0) {
            out << fmt::format("BROKEN  {:<40} at row {} ({}) after {} rows checked: {}\n", t.tenant, t.broken_id,
                               t.broken_action, t.rows, t.problem);
        } else {
            out << fmt::format("BROKEN  {:<40} {}\n", t.tenant, t.problem);
        }
    }
    if (report.tenants.empty()) out << (tenant ? "tenant " + *tenant + " has no audit rows\n" : "no audit rows\n");
    const auto broken = std::count_if(report.tenants.begin(), report.tenants.end(), [](const auto& t) { return !t.ok; });
    out << fmt::format("{} tenant(s), {} rows checked, {} broken chain(s)\n", report.tenants.size(), rows, broken);
    return report.ok() ? 0 : 1;
}

}  // namespace voltedge::cli
