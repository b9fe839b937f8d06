#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/log.h"

namespace voltedge::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Runs handlers on a fixed set of threads; refuses work when `limit` tasks already wait.
class WorkerPool {
public:
    WorkerPool(int threads, std::size_t limit) : limit_(limit) {
        for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
    }
    ~WorkerPool() { stop(); }
    bool submit(std::function<void()> task) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ || queue_.size() >= limit_) return false;
            queue_.push_back(std::move(task));
        }
        ready_.notify_one();
        return true;
    }
    // Finishes what is queued, then ends the threads.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ && threads_.empty()) return;
            stopping_ = true;
        }
        ready_.notify_all();
        for (auto& t : threads_) t.join();
        threads_.clear();
    }

private:
    void run() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;
                task = std::move(queue_.front());
                queue_.pop_front();
            }
            task();
        }
    }

    std::size_t limit_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
};

struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{...}" matches any one segment
    Handler handler;
};

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 1;
    while (start <= path.size()) {
        const auto end = path.find('/', start);
        out.emplace_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

bool matches(const Route& route, const std::vector<std::string>& segments, std::vector<std::string>& params) {
    if (route.segments.size() != segments.size()) return false;
    std::vector<std::string> found;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string& want = route.segments[i];
        if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
            if (segments[i].empty()) return false;
            found.push_back(segments[i]);
        } else if (want != segments[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

std::string reason(int status) {
    const auto r = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    return std::string(r.data(), r.size());
}

}  // namespace

std::string Request::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k == name) return v;
    return {};
}

bool Request::has_header(std::string_view name) const {
    for (const auto& h : headers)
        if (h.first == name) return true;
    return false;
}

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    ServerOptions options;
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::vector<Route> routes;
    RejectionRenderer render_rejection;
    ResponseObserver observe;
    std::unique_ptr<WorkerPool> workers;
    std::vector<std::thread> io_threads;
    std::atomic<std::size_t> connections{0};
    std::atomic<int> in_flight{0};  // requests accepted for handling whose response is not written yet
    std::atomic<bool> stopping{false};

    explicit Impl(ServerOptions o) : options(std::move(o)), ioc(std::max(1, options.io_threads)) {}

    void accept();
    void refuse_connection(tcp::socket& socket);
    Response rejection(const Request& request, const Rejection& r) const {
        Response res;
        res.status = r.status;
        if (render_rejection) {
            render_rejection(request, r, res);
        } else {
            res.content_type = "text/plain";
            res.body = r.message + "\n";
        }
        return res;
    }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, std::shared_ptr<Server::Impl> server) : stream_(std::move(socket)), server_(std::move(server)) {
        ++server_->connections;
    }
    ~Session() { --server_->connections; }

    void start() { wait_for_request(); }

private:
    using Parser = bhttp::request_parser<bhttp::string_body>;

    // Idle: a keep-alive connection may wait for its next request's first byte up to idle_timeout. Bytes
    // already buffered (a pipelined request) start the header deadline at once.
    void wait_for_request() {
        if (server_->stopping) return close();
        if (buffer_.size() > 0) return read_header();
        stream_.expires_after(server_->options.idle_timeout);
        stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
            if (ec) return self->close();
            self->buffer_.commit(n);
            self->read_header();
        });
    }

    void read_header() {
        request_ = Request{};  // nothing of the previous request on this connection may leak into this one's log
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
        parser_->body_limit(server_->options.max_body_bytes);
        started_ = Clock::now();
        stream_.expires_after(server_->options.header_timeout);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    // Whether a read failed, and if so answered or closed: limits get their status, a deadline or a client
    // that left gets nothing (nobody to answer), anything else is a malformed request.
    bool failed(beast::error_code ec) {
        if (!ec) return false;
        if (ec == bhttp::error::header_limit)
            reject({431, "headers", "the request header is too large",
                    fmt::format("keep the header under {} bytes", server_->options.max_header_bytes)});
        else if (ec == bhttp::error::body_limit)  // a Content-Length over it fails already with the header
            reject({413, "body",
                    fmt::format("the request body is too large (the limit is {} bytes)", server_->options.max_body_bytes),
                    "split the batch"});
        else if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream || ec == net::error::eof ||
                 ec == net::error::operation_aborted || ec == net::error::connection_reset)
            close();
        else
            reject({400, "", "the request could not be read (" + ec.message() + ")", "send a well-formed HTTP/1.1 request"});
        return true;
    }

    void on_header(beast::error_code ec) {
        if (failed(ec)) return;
        copy_header();
        const auto& m = parser_->get();
        if (static_cast<std::size_t>(std::distance(m.begin(), m.end())) > server_->options.max_header_count)
            return reject({431, "headers", "the request has too many header fields",
                           fmt::format("send at most {}", server_->options.max_header_count)});
        const std::string encoding = request_.header("content-encoding");
        if (!encoding.empty() && encoding != "identity")
            return reject({415, "Content-Encoding", "compressed request bodies are not accepted (" + encoding + ")",
                           "send the body uncompressed"});
        if (parser_->is_done()) return dispatch();
        stream_.expires_after(server_->options.body_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
    }

    void on_body(beast::error_code ec) {
        if (failed(ec)) return;
        request_.body = std::move(parser_->get().body());
        dispatch();
    }

    void copy_header() {
        const auto& m = parser_->get();
        request_ = Request{};
        request_.method = std::string(m.method_string());
        request_.target = std::string(m.target());
        request_.path = request_.target.substr(0, request_.target.find('?'));
        request_.received = started_;
        for (const auto& field : m) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            request_.headers.emplace_back(std::move(name), std::string(field.value()));
        }
        keep_alive_ = m.keep_alive();
        version_ = m.version();
    }

    void dispatch() {
        const auto segments = split_path(request_.path);
        const Route* found = nullptr;
        std::string allow;
        for (const auto& r : server_->routes) {
            std::vector<std::string> params;
            if (!matches(r, segments, params)) continue;
            allow += (allow.empty() ? "" : ", ") + r.method;
            if (r.method == request_.method) {
                found = &r;
                request_.params = std::move(params);
                request_.route = r.pattern;
            }
        }
        if (!found) {
            if (allow.empty())
                return respond(server_->rejection(request_, {404, "path", "no route " + request_.method + " " + request_.path,
                                                             "see GET /openapi.json or /docs"}));
            Response res = server_->rejection(request_,
                                              {405, "method", "method " + request_.method + " is not allowed on " + request_.path,
                                               "use " + allow});
            res.headers.emplace_back("Allow", allow);
            return respond(std::move(res));
        }
        ++server_->in_flight;
        const bool queued = server_->workers->submit([self = shared_from_this(), handler = found->handler] {
            Response res;
            try {
                handler(self->request_, res);
            } catch (const std::exception& e) {  // handlers answer their own errors; this is a last resort
                log_event("error", "handler_failed", {{"route", self->request_.route}, {"error", e.what()}});
                res = self->server_->rejection(self->request_, {500, "", "internal error", ""});
            }
            self->observe(res);
            net::post(self->stream_.get_executor(),
                      [self, res = std::move(res)]() mutable { self->write(std::move(res), self->keep_alive_, true); });
        });
        if (!queued) {
            --server_->in_flight;
            Response res = server_->rejection(request_, {503, "", "the server is busy", "retry in a second"});
            res.headers.emplace_back("Retry-After", "1");
            respond(std::move(res));
        }
    }

    // A response decided on the I/O thread (rejections, 404, 405, shedding): observed here, then written.
    void respond(Response res) {
        observe(res);
        write(std::move(res), keep_alive_);
    }

    // A request that cannot be read any further: answered, then the connection closes (its remaining bytes
    // cannot be trusted to start the next request).
    void reject(const Rejection& r) {
        if (request_.method.empty() && parser_->is_header_done()) copy_header();
        Response res = server_->rejection(request_, r);
        observe(res);
        write(std::move(res), false);
    }

    void observe(const Response& res) {
        if (!server_->observe) return;
        try {
            server_->observe(request_, res, std::chrono::duration<double>(Clock::now() - started_).count());
        } catch (const std::exception& e) {
            log_event("error", "response_observer_failed", {{"error", e.what()}});
        }
    }

    // `handled`: the response of a request a worker took (counted in in_flight until written).
    void write(Response res, bool keep_alive, bool handled = false) {
        auto message = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(res.status),
                                                                             version_ ? version_ : 11);
        message->set(bhttp::field::content_type, res.content_type);
        for (const auto& [k, v] : res.headers) message->set(k, v);
        message->body() = std::move(res.body);
        message->keep_alive(keep_alive && !server_->stopping);
        message->prepare_payload();
        stream_.expires_after(server_->options.body_timeout);
        bhttp::async_write(stream_, *message, [self = shared_from_this(), message, handled](beast::error_code ec, std::size_t) {
            if (handled) --self->server_->in_flight;
            if (ec || !message->keep_alive()) return self->close();
            self->wait_for_request();
        });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.close();
    }

    beast::tcp_stream stream_;
    std::shared_ptr<Server::Impl> server_;
    beast::flat_buffer buffer_{server_->options.max_header_bytes + 4096};
    std::optional<Parser> parser_;
    Request request_;
    bool keep_alive_ = true;
    unsigned version_ = 11;
    Clock::time_point started_ = Clock::now();
};

}  // namespace

void Server::Impl::refuse_connection(tcp::socket& socket) {
    Request none;
    Response res = rejection(none, {503, "", "the server has too many open connections", "retry shortly"});
    const std::string text =
        fmt::format("HTTP/1.1 503 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{}",
                    reason(503), res.content_type, res.body.size(), res.body);
    beast::error_code ec;
    socket.non_blocking(true, ec);
    net::write(socket, net::buffer(text), ec);  // a fresh socket's buffer takes this much without blocking
    socket.close(ec);
}

void Server::Impl::accept() {
    acceptor.async_accept(net::make_strand(ioc), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (self->stopping) return;
        if (!ec) {
            if (self->connections >= self->options.max_connections)
                self->refuse_connection(socket);
            else
                std::make_shared<Session>(std::move(socket), self)->start();
        }
        self->accept();
    });
}

Server::Server(ServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

Server::~Server() { stop(); }

void Server::route(const std::string& method, const std::string& pattern, Handler handler) {
    impl_->routes.push_back({method, pattern, split_path(pattern), std::move(handler)});
}

void Server::on_rejection(RejectionRenderer renderer) { impl_->render_rejection = std::move(renderer); }
void Server::on_response(ResponseObserver observer) { impl_->observe = std::move(observer); }

int Server::start() {
    auto& s = *impl_;
    beast::error_code ec;
    const auto address = net::ip::make_address(s.options.host, ec);
    if (ec) throw Error("cannot listen on '" + s.options.host + "': not an IP address", "use e.g. 127.0.0.1 or 0.0.0.0");
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(s.options.port));
    s.acceptor.open(endpoint.protocol(), ec);
    if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);  // not SO_REUSEPORT: a port in use is an error
    if (!ec) s.acceptor.bind(endpoint, ec);
    if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        throw Error(fmt::format("cannot listen on {}:{}: {}", s.options.host, s.options.port, ec.message()),
                    "is another voltedge serve running? set VOLTEDGE_API_PORT to another port");
    s.workers = std::make_unique<WorkerPool>(std::max(1, s.options.workers), s.options.queue_limit);
    s.accept();
    for (int i = 0; i < std::max(1, s.options.io_threads); ++i) s.io_threads.emplace_back([&s] { s.ioc.run(); });
    return s.acceptor.local_endpoint().port();
}

void Server::stop() {
    auto& s = *impl_;
    if (s.stopping.exchange(true)) return;
    net::post(s.ioc, [&s] {
        beast::error_code ec;
        s.acceptor.close(ec);
    });
    if (s.workers) s.workers->stop();  // the requests being handled finish
    // Their responses are written by the I/O threads; give them a moment.
    for (int i = 0; i < 200 && s.in_flight > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    s.ioc.stop();
    for (auto& t : s.io_threads) t.join();
    s.io_threads.clear();
}

std::size_t Server::open_connections() const { return impl_->connections; }

}  // namespace voltedge::http
