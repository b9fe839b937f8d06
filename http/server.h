#pragma once
// The HTTP server plumbing, on Boost.Beast and Asio. A few I/O threads run every connection asynchronously,
// so an idle or slow connection costs a little memory, never a thread. Each connection has deadlines: for
// the first byte of a request (idle keep-alive), for the whole header, for the whole body. The parser limits
// header bytes, header count and body bytes (chunked bodies too); a compressed body is refused (415) rather
// than inflated. Pipelined requests are answered in order. Handlers, which block on Postgres and Redis, run
// on a bounded worker pool: when its queue is full a request is answered 503 with Retry-After at once (load
// shedding) instead of waiting behind the others. Past the connection limit, new connections get 503 and are
// closed.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace voltedge::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port
    int io_threads = 1;
    int workers = 8;                // handler threads
    std::size_t queue_limit = 256;  // requests waiting for a worker; beyond it, 503 at once
    std::size_t max_connections = 10'000;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_header_count = 64;
    std::size_t max_body_bytes = 64 * 1024;
    std::chrono::milliseconds idle_timeout{60'000};    // waiting for a request's first byte
    std::chrono::milliseconds header_timeout{10'000};  // from its first byte to the end of its header
    std::chrono::milliseconds body_timeout{30'000};    // for the whole body, and for writing the response
};

struct Request {
    std::string method, target, path;                          // path: the target without its query
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::string body;
    std::vector<std::string> params;                 // the values of the route's {param} segments, in order
    std::string route;                               // the route's pattern, e.g. "/explain/{id}" (empty: none matched)
    std::chrono::steady_clock::time_point received;  // when its first byte arrived (request deadlines count from it)

    std::string header(std::string_view lowercase_name) const;  // "" when absent
    bool has_header(std::string_view lowercase_name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

// What the server answers by itself: malformed requests, limits, unknown routes and methods, shedding.
struct Rejection {
    int status;
    std::string field, message, hint;
};

using Handler = std::function<void(const Request&, Response&)>;
// Renders a rejection (the API makes it its JSON error). Runs on the thread that rejects.
using RejectionRenderer = std::function<void(const Request&, const Rejection&, Response&)>;
// Sees every response once it is decided, on the thread that decided it (the handler's for routed requests),
// for the request log and metrics.
using ResponseObserver = std::function<void(const Request&, const Response&, double seconds)>;

class Server {
public:
    explicit Server(ServerOptions options);
    ~Server();  // stops
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // pattern: a path whose segments in braces ("/explain/{id}") match any one non-empty segment.
    void route(const std::string& method, const std::string& pattern, Handler handler);
    void on_rejection(RejectionRenderer renderer);
    void on_response(ResponseObserver observer);

    // Binds and listens (a port in use throws Error), then starts the threads; returns the port.
    int start();
    // Stops accepting, lets the requests being handled finish and their responses go out, then closes.
    void stop();
    std::size_t open_connections() const;

    struct Impl;  // named here so server.cpp's connection type can share it

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace voltedge::http
