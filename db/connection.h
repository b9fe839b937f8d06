#pragma once
// Connections and tenant-scoped transactions. Tenant context lives only inside a transaction
// (set_config(..., true) == SET LOCAL), so a connection reused for another tenant never inherits it.
#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "observability/tracing.h"

namespace voltedge::db {

// Opens a connection; failures become an Error naming the server and what to check.
pqxx::connection connect(const std::string& url);
// The same, on the heap, for pools.
std::unique_ptr<pqxx::connection> connect_shared(const std::string& url);

// Sets app.tenant_id for the current transaction only, and, when the thread has a deadline (core/deadline.h),
// the time left as the transaction's statement_timeout: a query for a request never outlives the request.
void set_tenant(pqxx::transaction_base& tx, const std::string& tenant_id);

// The thread's deadline as the statement_timeout of a transaction that sets no tenant.
void bound_by_deadline(pqxx::transaction_base& tx);
// Whether a statement was cancelled by its statement_timeout (SQLSTATE 57014).
bool is_deadline_cancel(const pqxx::sql_error& e);

// A tenant that is being deleted, or was (tenants.deleting_at is set): it accepts no new work.
class TenantClosed : public Error {
public:
    using Error::Error;
};

// Sets the tenant and checks that it exists (visible under its own policy) and is not being deleted; throws
// Error for an unknown tenant, TenantClosed for one being deleted or deleted. One round trip.
void enter_tenant(pqxx::transaction_base& tx, const std::string& tenant_id);

// Transaction-local settings, name and value (e.g. hnsw.ef_search for one search).
using Settings = std::vector<std::pair<std::string, std::string>>;
void set_local(pqxx::transaction_base& tx, const Settings& settings);

// enter_tenant and `settings` sent ahead on a transaction, without waiting: the database handles them while the
// caller works on, and wait() takes their answer (throwing as enter_tenant does). The transaction runs nothing
// else until wait() has returned or this is gone.
class TenantEntryInFlight {
public:
    TenantEntryInFlight(pqxx::transaction_base& tx, const std::string& tenant_id, const Settings& settings);
    void wait();

private:
    pqxx::pipeline pipeline_;
    std::string tenant_id_;
    pqxx::pipeline::query_id settings_ = 0, check_ = 0;
};

// Runs `sql` (one or more statements) as one transaction with the tenant set for it alone, in a single round
// trip: BEGIN; set_config(..., true); sql; COMMIT. For hot write paths; rolls back and rethrows on error.
void exec_as_tenant(pqxx::connection& conn, const std::string& tenant_id, const std::string& sql);

// Tells listeners (the API's caches) that a tenant's usage or features changed; delivered on commit.
inline constexpr const char* kDataChannel = "voltedge_data";
void notify_data_changed(pqxx::transaction_base& tx, const std::string& tenant_id);

// A session-level advisory lock named `name`, tried until `wait` has passed (once when it is zero). It belongs
// to the connection, so a process that dies releases it; whoever holds it knows no live process is doing the
// same work (e.g. ingesting or training the same tenant), and may clean up what a dead one left behind.
class SessionLock {
public:
    SessionLock(pqxx::connection& conn, const std::string& name, std::chrono::milliseconds wait = {});
    ~SessionLock();
    SessionLock(const SessionLock&) = delete;
    SessionLock& operator=(const SessionLock&) = delete;
    bool held() const { return held_; }

private:
    pqxx::connection& conn_;
    std::string name_;
    bool held_ = false;
};

// A client span (db.system postgresql, db.namespace, db.operation.name, server.*) and a sample of
// voltedge_db_transaction_duration_seconds{operation} for one transaction or statement; the span is marked
// failed when the scope is left by an exception. `operation` is a fixed name for what the work does
// ("predict.usage"), never text a user chose: it is a metric label.
class QuerySpan {
public:
    QuerySpan(pqxx::connection& conn, const char* operation);
    ~QuerySpan();
    QuerySpan(const QuerySpan&) = delete;
    QuerySpan& operator=(const QuerySpan&) = delete;
    void fail(std::string_view message) { span_.set_error(message); }
    observability::Span& span() { return span_; }

private:
    observability::Span span_;
    const char* operation_;
    std::chrono::steady_clock::time_point start_;
    int exceptions_;  // in flight when made: one more at destruction means the work threw
};

// Runs fn(tx) in one transaction with the tenant set; commits when fn returns, rolls back if it throws.
template <class Fn>
auto with_tenant(pqxx::connection& conn, const std::string& tenant_id, Fn&& fn) {
    QuerySpan span(conn, "tenant_transaction");
    if (span.span().recording()) span.span().set("tenant.id", tenant_id);
    pqxx::work tx(conn);
    enter_tenant(tx, tenant_id);
    if constexpr (std::is_void_v<decltype(fn(tx))>) {
        fn(tx);
        tx.commit();
    } else {
        auto result = fn(tx);
        tx.commit();
        return result;
    }
}

// with_tenant for work whose first step is the caller's own, such as a query's embedding: the tenant's entry and
// `settings` are sent first and prepare() runs while the database handles them, so their round trips do not add
// to the wait; then fn(tx, what prepare returned). Commits when fn returns, rolls back if anything throws.
template <class Prepare, class Fn>
auto with_tenant_overlapped(pqxx::connection& conn, const std::string& tenant_id, const Settings& settings, Prepare&& prepare,
                            Fn&& fn) {
    QuerySpan span(conn, "tenant_transaction");
    if (span.span().recording()) span.span().set("tenant.id", tenant_id);
    pqxx::work tx(conn);
    auto prepared = [&] {
        TenantEntryInFlight entry(tx, tenant_id, settings);
        auto value = prepare();
        entry.wait();
        return value;
    }();
    auto result = fn(tx, std::move(prepared));
    tx.commit();
    return result;
}

}  // namespace voltedge::db
