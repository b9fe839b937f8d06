// The API's pure parts: request validation, forecast planning.
#include <gtest/gtest.h>

#include "api/api_error.h"
#include "api/http_layer.h"
#include "api/predict_request.h"
#include "api/server.h"
#include "http/client.h"
#include "security/api_keys.h"
#include "serving/forecast.h"

using namespace voltedge;

namespace {

int status_of(const std::string& body, std::string* field = nullptr) {
    try {
        api::parse_predict_request(body, 3);
        return 200;
    } catch (const api::ApiError& e) {
        if (field) *field = e.field();
        return e.status();
    }
}

}  // namespace

TEST(PredictRequest, AcceptsTheThreeShapes) {
    EXPECT_EQ(*api::parse_predict_request(R"({"horizon_hours": 48})", 3).horizon_hours, 48);
    EXPECT_EQ(*api::parse_predict_request(R"({"horizon_hours": 24.0})", 3).horizon_hours, 24);  // an integer to JSON Schema
    EXPECT_EQ(api::parse_predict_request(R"({"target_hours": ["2010-01-02T03:00"]})", 3).field, "target_hours");
    const auto one = api::parse_predict_request(R"({"target_hour": "2010-01-02T03:00"})", 3);
    EXPECT_FALSE(one.horizon_hours);
    ASSERT_EQ(one.target_hours.size(), 1u);
    EXPECT_EQ(one.target_hours[0], *parse_minute("2010-01-02 03:00"));
    const auto batch = api::parse_predict_request(R"({"target_hours": ["2010-01-02 03:00:00", "2010-01-02T04:00"]})", 3);
    EXPECT_EQ(batch.target_hours.size(), 2u);
    EXPECT_EQ(batch.target_hours[1] - batch.target_hours[0], 60);
}

TEST(PredictRequest, RejectsWithTheFieldNamed) {
    std::string field;
    EXPECT_EQ(status_of("{", &field), 400);
    EXPECT_EQ(field, "body");
    EXPECT_EQ(status_of(R"("x")"), 400);
    EXPECT_EQ(status_of(R"({"extra": 1, "horizon_hours": 1})", &field), 422);
    EXPECT_EQ(field, "extra");
    EXPECT_EQ(status_of(R"({"horizon_hours": true})", &field), 422);
    EXPECT_EQ(field, "horizon_hours");
    EXPECT_EQ(status_of(R"({"horizon_hours": -1})"), 422);
    EXPECT_EQ(status_of(R"({"target_hours": ["2010-01-02T03:00", "2010-01-02T03:05"]})", &field), 422);
    EXPECT_EQ(field, "target_hours[1]");
    EXPECT_EQ(status_of(R"({"target_hour": "2010-01-02T03:00Z"})"), 422);
    EXPECT_EQ(status_of(R"({"target_hours": ["2010-01-02T03:00", "2010-01-02T04:00", "2010-01-02T05:00", "2010-01-02T06:00"]})",
                        &field),
              413);
    EXPECT_EQ(field, "target_hours");
}

TEST(ForecastPlan, EveryLeadStartsFromTheTrailingRow) {
    serving::ModelBundle bundle;
    bundle.version = "7";
    bundle.horizons.push_back({1, nullptr, {}});
    bundle.horizons.push_back({24, nullptr, {}});
    const Minute first = *parse_minute("2010-01-01 00:00"), last = *parse_minute("2010-02-01 00:00");
    const features::FeatureStamp stamp{first, last, 0};
    auto plan = [&](Minute t) { return serving::plan_target(bundle, stamp, t); };

    EXPECT_EQ(plan(last).lead, 1);  // the next hour: lead 1 on the trailing row
    EXPECT_EQ(plan(last).origin_hour, last);
    EXPECT_EQ(plan(last + 60).lead, 2);  // 2 h ahead: still the trailing row, with everything known there
    EXPECT_EQ(plan(last + 60).origin_hour, last);
    EXPECT_EQ(bundle.for_lead(2), &bundle.horizons[1]);  // served by the model of leads 2..24
    EXPECT_EQ(plan(last + 23 * 60).origin_hour, last);   // 24 h ahead: the trailing row again
    EXPECT_EQ(plan(last - 10 * 60).lead, 1);             // a past hour: a 1 h backcast from its own row
    EXPECT_EQ(plan(last - 10 * 60).origin_hour, last - 10 * 60);
    EXPECT_THROW(plan(last + 24 * 60), serving::TargetError);  // 25 h ahead
    EXPECT_THROW(plan(first - 60), serving::TargetError);
    EXPECT_THROW(plan(last + 30), serving::TargetError);
    EXPECT_EQ(serving::next_hours(stamp, 3), (std::vector<Minute>{last, last + 60, last + 120}));
}

TEST(PredictRequest, DuplicateKeysAreRefusedNamingTheKey) {
    std::string field;
    EXPECT_EQ(status_of(R"({"horizon_hours": 1, "horizon_hours": 48})", &field), 400);
    EXPECT_EQ(field, "horizon_hours");
    EXPECT_EQ(status_of(R"({"target_hours": ["2010-01-02T03:00"], "x": {"a": 1, "a": 2}})", &field), 400);
    EXPECT_EQ(field, "a");
    EXPECT_EQ(status_of(R"({"horizon_hours": 2})"), 200);  // the same key in sibling objects is fine elsewhere
}

TEST(ApiKeys, OnlyTheExactFormIsAccepted) {
    const std::string key = "ve_0123abcd_" + std::string(64, 'f');
    EXPECT_TRUE(security::is_well_formed_key(key));
    EXPECT_FALSE(security::is_well_formed_key(key + std::string(1, '\0') + "junk"));
    EXPECT_FALSE(security::is_well_formed_key(key.substr(0, key.size() - 1)));
    EXPECT_FALSE(security::is_well_formed_key("ve_0123ABCD_" + std::string(64, 'f')));
    EXPECT_FALSE(security::is_well_formed_key("xx_0123abcd_" + std::string(64, 'f')));
    EXPECT_EQ(api::presented_key("Bearer " + key, ""), key);
    EXPECT_EQ(api::presented_key("", key), key);
    EXPECT_EQ(api::presented_key("Basic abc", ""), "Basic abc");  // refused later as malformed, not ignored
}

// A database outage is a 503 whose body names no host, user or URL (those go to the log with the request id).
TEST(ApiServer, OutageErrorsDiscloseNothing) {
    Config config = Config::load();
    config.database_url = "postgresql://voltedge_app:hunter2@127.0.0.1:9/secretdb";
    config.redis_url = "redis://127.0.0.1:9/0";
    config.mlflow_tracking_uri = "http://127.0.0.1:9";
    api::ServeOptions options;
    options.port = 0;
    options.threads = 2;
    options.preload_models = false;
    api::ApiServer server(config, options);
    testing::internal::CaptureStderr();
    server.start();
    const auto r = http::send({"POST",
                               "http://127.0.0.1:" + std::to_string(server.port()) + "/predict",
                               R"({"horizon_hours": 1})",
                               {"X-API-Key: ve_0123abcd_" + std::string(64, 'e')},
                               5,
                               30});
    server.stop();
    const std::string logs = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.status, 503) << r.body;
    for (const char* secret : {"127.0.0.1", "voltedge_app", "secretdb", "postgresql", "hunter2"})
        EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << " in " << r.body;
    EXPECT_NE(logs.find("secretdb"), std::string::npos);  // the operator still learns what failed
    EXPECT_EQ(logs.find("hunter2"), std::string::npos);   // but never the password
}
