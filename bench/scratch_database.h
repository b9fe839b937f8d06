#pragma once
// A database of its own for one benchmark run, so that a run measures from empty and leaves the demo's and the
// tests' databases as they were.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <pqxx/pqxx>
#include <string>

#include "bench/child_run.h"
#include "core/config.h"
#include "core/error.h"
#include "db/connection.h"

namespace voltedge::bench {

// A database of its own for the run: created and migrated on construction, dropped on destruction.
class ScratchDatabase {
public:
    explicit ScratchDatabase(const Config& base, const std::string& purpose = "bench")
        : base_(base), name_(fmt::format("voltedge_{}_{}", purpose, getpid())) {
        exec_admin("DROP DATABASE IF EXISTS " + name_);
        exec_admin("CREATE DATABASE " + name_);
        config_ = base;
        config_.database_url = with_database(base.database_url);
        config_.database_admin_url = with_database(base.database_admin_url);
        // Children (voltedge ingest, migrate) read their configuration from the environment.
        setenv("DATABASE_URL", config_.database_url.c_str(), 1);
        setenv("DATABASE_ADMIN_URL", config_.database_admin_url.c_str(), 1);
        if (run_child({VOLTEDGE_BIN, "migrate"}, "/dev/null").status != 0) throw Error("migrating " + name_ + " failed");
    }
    ~ScratchDatabase() {
        if (keep_) {
            std::fprintf(stderr, "kept database %s (DROP DATABASE %s WITH (FORCE) when done)\n", name_.c_str(), name_.c_str());
            return;
        }
        try {
            exec_admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "could not drop %s: %s\n", name_.c_str(), e.what());
        }
    }
    const Config& config() const { return config_; }
    // Leaves the database in place for a look at what was measured.
    void keep() { keep_ = true; }

    // Flushes dirty pages so a run does not pay for the previous one's writes (superuser only; else skipped).
    void checkpoint() const {
        try {
            auto conn = db::connect(config_.database_admin_url);
            pqxx::nontransaction(conn).exec("CHECKPOINT");
        } catch (const pqxx::sql_error&) {
        }
    }

private:
    void exec_admin(const std::string& sql) const {
        auto conn = db::connect(base_.database_admin_url);
        pqxx::nontransaction(conn).exec(sql);
    }
    std::string with_database(const std::string& url) const {
        const auto slash = url.rfind('/');
        const auto query = url.find('?', slash);
        return url.substr(0, slash + 1) + name_ + (query == std::string::npos ? "" : url.substr(query));
    }
    Config base_, config_;
    std::string name_;
    bool keep_ = false;
};

}  // namespace voltedge::bench
