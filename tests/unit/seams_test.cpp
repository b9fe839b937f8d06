// The seams: the model-family registry, the one URL parser and hex encoder, typed configuration, and the
// jobs handler registry.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/error.h"
#include "core/hex.h"
#include "core/url.h"
#include "jobs/job.h"
#include "models/bundle.h"
#include "models/families.h"
#include "models/feature_spec.h"

using namespace voltedge;

TEST(FamilyRegistry, OneTableDescribesEveryFamily) {
    std::vector<std::string> names;
    for (const auto& f : models::families()) {
        names.emplace_back(f.name);
        const nlohmann::json params = f.name == "ensemble" ? nlohmann::json{{"members", {"xgboost", "mlp"}}} : nlohmann::json();
        EXPECT_EQ(models::make_model(f.name, 1, params)->family(), f.name);  // make() builds what the row names
        EXPECT_FALSE(f.explanation_method.empty());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"linear", "logistic", "random_forest", "xgboost", "mlp", "ensemble"}));
    EXPECT_TRUE(models::family("xgboost").accepts_missing);
    EXPECT_FALSE(models::family("mlp").accepts_missing);
    EXPECT_EQ(models::family("logistic").task, models::Task::classification);
    EXPECT_FALSE(models::is_regressor("logistic"));
    EXPECT_TRUE(models::is_regressor("linear"));
    EXPECT_FALSE(models::is_regressor("prophet"));
    try {
        models::family("prophet");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(e.hint().find("random_forest"), std::string::npos);  // names the known families
    }
}

TEST(Url, ParsesTheFormsWeUse) {
    const auto db = parse_url("postgresql://voltedge_app:p@ss:w@127.0.0.1:25432/voltedge?sslmode=disable");
    ASSERT_TRUE(db);
    EXPECT_EQ(db->scheme, "postgresql");
    EXPECT_EQ(db->user, "voltedge_app");
    EXPECT_EQ(db->password, "p@ss:w");  // the last '@' ends the credentials
    EXPECT_EQ(db->host, "127.0.0.1");
    EXPECT_EQ(db->port, 25432);
    EXPECT_EQ(db->path, "/voltedge");
    EXPECT_EQ(db->query, "sslmode=disable");
    const auto redis = parse_url("redis://:secret@cache/2");
    ASSERT_TRUE(redis);
    EXPECT_TRUE(redis->has_password);
    EXPECT_EQ(redis->password, "secret");
    EXPECT_EQ(redis->port, 0);
    EXPECT_EQ(redis->path, "/2");
    EXPECT_FALSE(parse_url("127.0.0.1:6379"));
    EXPECT_FALSE(parse_url("http://host:99999/"));
    EXPECT_FALSE(parse_url("http://host:12ab/"));
    EXPECT_EQ(redact_url("postgresql://u:secret@h/db"), "postgresql://u:***@h/db");
    EXPECT_EQ(redact_url("redis://h:1/0"), "redis://h:1/0");
    EXPECT_EQ(redact_url("not a url"), "not a url");
}

TEST(Hex, EncodesLowercase) {
    const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    EXPECT_EQ(to_hex(bytes, 4), "000fa5ff");
}

Config load_with(std::map<std::string, std::string> env) {
    return Config::load([env = std::move(env)](const char* name) -> const char* {
        const auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    });
}

TEST(Config, ReadsEverySettingOnceWithDefaultsAndSources) {
    const Config c = load_with({{"VOLTEDGE_API_PORT", "6000"},
                                {"DATABASE_URL", "postgresql+psycopg2://a:pw@db:5432/v"},
                                {"USER", "ana"},
                                {"VOLTEDGE_PREDICTION_CACHE", "off"}});
    EXPECT_EQ(c.api_port, 6000);
    EXPECT_EQ(c.database_url, "postgresql://a:pw@db:5432/v");
    EXPECT_FALSE(c.prediction_cache);
    EXPECT_EQ(c.actor, "cli:ana");
    EXPECT_EQ(c.redis_url, "redis://127.0.0.1:26379/0");  // the local stack's
    bool shown_port = false, shown_db = false;
    for (const auto& s : c.show()) {
        if (s.env == "VOLTEDGE_API_PORT") {
            shown_port = true;
            EXPECT_EQ(s.value, "6000");
            EXPECT_EQ(s.source, "environment");
        }
        if (s.env == "DATABASE_URL") {
            shown_db = true;
            EXPECT_EQ(s.value, "postgresql://a:***@db:5432/v");  // secrets masked
        }
        if (s.env == "REDIS_URL") {
            EXPECT_EQ(s.source, "default");
        }
    }
    EXPECT_TRUE(shown_port && shown_db);
}

TEST(Config, RejectsBadValuesNamingTheVariable) {
    auto message = [](std::map<std::string, std::string> env) {
        try {
            load_with(std::move(env));
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(message({{"VOLTEDGE_API_PORT", "80x"}}).find("VOLTEDGE_API_PORT='80x' is invalid"), std::string::npos);
    EXPECT_NE(message({{"VOLTEDGE_API_THREADS", "0"}}).find("from 1 to 1024"), std::string::npos);
    EXPECT_NE(message({{"VOLTEDGE_PREDICTION_CACHE", "yes"}}).find("'on' or 'off'"), std::string::npos);
    EXPECT_NE(message({{"REDIS_URL", "http://x"}}).find("redis://"), std::string::npos);
    const std::string db = message({{"DATABASE_URL", "mysql://u:topsecret@h/db"}});
    EXPECT_NE(db.find("DATABASE_URL"), std::string::npos);
    EXPECT_EQ(db.find("topsecret"), std::string::npos);                      // never echoes a password
    EXPECT_EQ(message({{"DATABASE_URL", "host=h dbname=db"}}), "accepted");  // libpq's key=value form
}

TEST(Jobs, HandlersRunInlineAndRecordTheirOutcome) {
    jobs::HandlerRegistry handlers;
    handlers.add("double", "doubles n", [](const jobs::Job& j) {
        return nlohmann::json{{"n", 2 * j.payload.at("n").get<int>()}};
    });
    handlers.add("fail", "always fails", [](const jobs::Job&) -> nlohmann::json { throw Error("it failed", "do not"); });
    EXPECT_THROW(handlers.add("double", "again", nullptr), std::logic_error);
    jobs::InlineQueue queue(handlers);
    const std::string id = queue.enqueue({"double", "t", {{"n", 21}}});
    ASSERT_TRUE(queue.status("t", id));
    EXPECT_FALSE(queue.status("another-tenant", id));
    EXPECT_EQ(queue.status("t", id)->state, jobs::JobState::succeeded);
    EXPECT_EQ(queue.status("t", id)->result["n"], 42);
    jobs::Job failing("fail", "t");
    failing.id = "failing-job";
    EXPECT_THROW(queue.enqueue(failing), Error);
    EXPECT_EQ(queue.status("t", "failing-job")->state, jobs::JobState::failed);
    EXPECT_EQ(queue.status("t", "failing-job")->error, "it failed");
    EXPECT_EQ(queue.status("t", "failing-job")->hint, "do not");
    try {
        handlers.run({"nope", "t", {}});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(e.hint().find("double, fail"), std::string::npos);
    }
}

// A tampered bundle.json must not make the loader write outside its scratch folder.
TEST(Bundle, AHorizonFileOutsideTheBundleIsRefused) {
    nlohmann::json features = nlohmann::json::array();
    for (const auto& f : voltedge::models::model_features({})) features.push_back({{"name", f.name}, {"type", f.type}});
    for (const char* file : {"../../../tmp/voltedge-escaped", "/tmp/voltedge-escaped", "..", "sub/model.json", ""}) {
        const nlohmann::json manifest = {{"family", "linear"}, {"features", features}, {"horizons", {{"1", {{"file", file}}}}}};
        bool fetched_model = false;
        const voltedge::models::BundleFetch fetch = [&](const std::string& path) {
            if (path == "bundle.json") return manifest.dump();
            fetched_model = true;
            return std::string("{}");
        };
        try {
            voltedge::models::load_bundle({"t", "voltedge-t", "1"}, fetch);
            ADD_FAILURE() << "loaded a bundle naming " << file;
        } catch (const voltedge::Error& e) {
            EXPECT_NE(std::string(e.what()).find("not a plain file name"), std::string::npos) << e.what();
        }
        EXPECT_FALSE(fetched_model) << file;
    }
    EXPECT_FALSE(std::filesystem::exists("/tmp/voltedge-escaped"));
}
