#include "db/subscriber.h"

#include <chrono>
#include <utility>
#include <pqxx/pqxx>

#include "core/log.h"

namespace voltedge::db {

Subscriber::Subscriber(std::string database_url, std::string channel, OnNotify on_notify, OnReconnect on_reconnect)
    : url_(std::move(database_url)),
      channel_(std::move(channel)),
      on_notify_(std::move(on_notify)),
      on_reconnect_(std::move(on_reconnect)),
      thread_([this] { run(); }) {}

Subscriber::~Subscriber() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void Subscriber::run() {
    struct Receiver : pqxx::notification_receiver {
        const OnNotify& fn;
        Receiver(pqxx::connection_base& c, const std::string& channel, const OnNotify& f)
            : pqxx::notification_receiver(c, channel), fn(f) {}
        void operator()(const std::string& payload, int) override { fn(payload); }
    };
    bool lost = false;
    while (!stopping_) {
        try {
            pqxx::connection conn(url_);
            Receiver receiver(conn, channel_, on_notify_);
            if (std::exchange(lost, false)) on_reconnect_();         // what changed while away was not heard
            while (!stopping_) conn.await_notification(0, 200'000);  // wakes every 0.2 s to see stopping_
        } catch (const std::exception& e) {
            log_event("warn", "subscriber_reconnecting", {{"channel", channel_}, {"error", e.what()}});
            lost = true;
            on_reconnect_();  // and nothing will be heard until it is back
            for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

}  // namespace voltedge::db
