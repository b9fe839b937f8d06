#pragma once
// LISTEN on a channel on a dedicated connection, calling back for every notification, reconnecting until
// stopped. Notifications sent while it is disconnected are lost: on_reconnect is called when the connection
// is lost and again once it is back, so the owner can treat everything as changed.
#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace voltedge::db {

class Subscriber {
public:
    using OnNotify = std::function<void(const std::string& payload)>;
    using OnReconnect = std::function<void()>;
    Subscriber(std::string database_url, std::string channel, OnNotify on_notify, OnReconnect on_reconnect);
    ~Subscriber();  // stops and joins
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

private:
    void run();

    std::string url_, channel_;
    OnNotify on_notify_;
    OnReconnect on_reconnect_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace voltedge::db
