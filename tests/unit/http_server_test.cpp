// The HTTP server against real sockets: routing, pipelining, deadlines, limits, load shedding, the
// connection cap. No services needed.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "http/server.h"

using namespace voltedge;
using namespace std::chrono_literals;

namespace {

class Client {
public:
    explicit Client(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        timeval tv{3, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~Client() { close(fd_); }
    bool connected() const { return connected_; }
    bool send(const std::string& data) {
        return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
    }
    // Everything the server sends until it closes the connection or `count` responses arrived (or 3 s pass).
    std::string read(int count = 1) {
        std::string out;
        char buf[65536];
        while (responses(out) < count) {
            const auto n = recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = n == 0;
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }
    bool closed_by_server() {
        char c;
        const auto n = recv(fd_, &c, 1, 0);
        return n == 0 || closed_;
    }
    static int responses(const std::string& text) {
        int n = 0;
        for (auto at = text.find("HTTP/1.1 "); at != std::string::npos; at = text.find("HTTP/1.1 ", at + 1)) ++n;
        return n;
    }
    static int status(const std::string& text) { return text.size() > 12 ? std::stoi(text.substr(9, 3)) : 0; }

private:
    int fd_;
    bool connected_ = false, closed_ = false;
};

std::string get(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

class HttpServerTest : public ::testing::Test {
protected:
    void start(http::ServerOptions o = {}) {
        server = std::make_unique<http::Server>(o);
        server->route("GET", "/ping", [](const http::Request&, http::Response& r) { r.body = "pong"; });
        server->route("GET", "/items/{id}", [](const http::Request& q, http::Response& r) { r.body = "item " + q.params.at(0); });
        server->route("POST", "/echo", [](const http::Request& q, http::Response& r) { r.body = "[" + q.body + "]"; });
        server->route("GET", "/slow", [](const http::Request&, http::Response& r) {
            std::this_thread::sleep_for(300ms);
            r.body = "slow";
        });
        server->on_response([this](const http::Request&, const http::Response& r, double) {
            if (r.status >= 400) ++rejected;
        });
        port = server->start();
    }
    std::string ask(const std::string& request, int responses = 1) {
        Client c(port);
        c.send(request);
        return c.read(responses);
    }

    std::unique_ptr<http::Server> server;
    int port = 0;
    std::atomic<int> rejected{0};
};

}  // namespace

TEST_F(HttpServerTest, RoutesParamsUnknownRoutesAndMethods) {
    start();
    EXPECT_NE(ask(get("/ping")).find("\r\n\r\npong"), std::string::npos);
    EXPECT_NE(ask(get("/items/42?x=1")).find("item 42"), std::string::npos);
    EXPECT_EQ(Client::status(ask(get("/nope"))), 404);
    const std::string r = ask("DELETE /ping HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(Client::status(r), 405);
    EXPECT_NE(r.find("Allow: GET"), std::string::npos);
    EXPECT_EQ(Client::status(ask("TRACE /echo HTTP/1.1\r\nHost: t\r\n\r\n")), 405);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    const std::string r = ask(get("/items/1") + get("/items/2") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi",
                              3);
    ASSERT_EQ(Client::responses(r), 3) << r;
    EXPECT_LT(r.find("item 1"), r.find("item 2"));
    EXPECT_LT(r.find("item 2"), r.find("[hi]"));
}

TEST_F(HttpServerTest, APostWithoutContentLengthHasAnEmptyBody) {
    start();
    EXPECT_NE(ask("POST /echo HTTP/1.1\r\nHost: t\r\n\r\n").find("\r\n\r\n[]"), std::string::npos);
}

TEST_F(HttpServerTest, SlowHeadersAndBodiesAreCutOffWhileOthersAreServed) {
    http::ServerOptions o;
    o.header_timeout = 400ms;
    o.body_timeout = 400ms;
    start(o);
    Client slow_header(port), slow_body(port);
    ASSERT_TRUE(slow_body.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nab"));
    std::atomic<bool> done{false};
    std::thread dribble([&] {  // one header byte every 100 ms: never finishes in time
        for (char c : std::string("GET /ping HTTP/1.1\r\nHost: t\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
            if (done || !slow_header.send(std::string(1, c)))
                break;
            else
                std::this_thread::sleep_for(100ms);
    });
    EXPECT_NE(ask(get("/ping")).find("pong"), std::string::npos);  // others are served meanwhile
    std::this_thread::sleep_for(600ms);
    EXPECT_TRUE(slow_body.closed_by_server());
    EXPECT_TRUE(slow_header.closed_by_server());
    done = true;
    dribble.join();
}

TEST_F(HttpServerTest, ManyIdleConnectionsDoNotStopTheServer) {
    start();
    std::vector<std::unique_ptr<Client>> idle;
    for (int i = 0; i < 500; ++i) idle.push_back(std::make_unique<Client>(port));
    for (int i = 0; i < 20; ++i) EXPECT_NE(ask(get("/ping")).find("pong"), std::string::npos);
    EXPECT_GE(server->open_connections(), 500u);
}

TEST_F(HttpServerTest, BodyAndHeaderLimitsHoldForChunkedAndCompressedBodies) {
    http::ServerOptions o;
    o.max_body_bytes = 1024;
    o.max_header_count = 10;
    o.max_header_bytes = 2048;
    start(o);
    std::string chunked = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) chunked += "200\r\n" + std::string(512, 'x') + "\r\n";  // 4 KiB in 512 B chunks
    chunked += "0\r\n\r\n";
    EXPECT_EQ(Client::status(ask(chunked)), 413);
    EXPECT_EQ(Client::status(ask("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'))),
              413);
    EXPECT_EQ(Client::status(ask("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd")),
              415);
    std::string many = "GET /ping HTTP/1.1\r\nHost: t\r\n";
    for (int i = 0; i < 20; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(Client::status(ask(many + "\r\n")), 431);
    EXPECT_EQ(Client::status(ask(get("/ping", "Authorization: " + std::string(4000, 'k') + "\r\n"))), 431);
    EXPECT_NE(ask(get("/ping")).find("pong"), std::string::npos);  // and it still serves
}

TEST_F(HttpServerTest, AFullQueueIsShedWithRetryAfter) {
    http::ServerOptions o;
    o.workers = 1;
    o.queue_limit = 1;
    start(o);
    std::vector<std::string> replies(6);
    std::vector<std::chrono::steady_clock::duration> waited(6);
    std::vector<std::thread> clients;
    for (std::size_t i = 0; i < replies.size(); ++i)
        clients.emplace_back([&, i] {
            const auto start = std::chrono::steady_clock::now();
            replies[i] = ask(get("/slow"));
            waited[i] = std::chrono::steady_clock::now() - start;
        });
    for (auto& t : clients) t.join();
    int ok = 0, shed = 0;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        ok += Client::status(replies[i]) == 200;
        if (Client::status(replies[i]) == 503) {
            ++shed;
            EXPECT_NE(replies[i].find("Retry-After: 1"), std::string::npos);
            EXPECT_LT(waited[i], 250ms);  // at once, not after the slow handler (300 ms)
        }
    }
    EXPECT_GE(ok, 1);
    EXPECT_GE(shed, 1);  // one worker and one queue slot: the rest of 6 at once are refused
    EXPECT_EQ(ok + shed, 6);
}

TEST_F(HttpServerTest, ConnectionsPastTheLimitAreRefusedCleanly) {
    http::ServerOptions o;
    o.max_connections = 4;
    start(o);
    std::vector<std::unique_ptr<Client>> held;
    for (int i = 0; i < 4; ++i) held.push_back(std::make_unique<Client>(port));
    std::this_thread::sleep_for(100ms);
    Client extra(port);
    const std::string r = extra.read();
    EXPECT_EQ(Client::status(r), 503) << r;
    held.clear();
    std::this_thread::sleep_for(100ms);
    EXPECT_NE(ask(get("/ping")).find("pong"), std::string::npos);
}
