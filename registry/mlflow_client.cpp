#include "registry/mlflow_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "core/error.h"

namespace voltedge::registry {
namespace {

using Json = nlohmann::json;

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

std::string escape(const std::string& s) {
    std::unique_ptr<char, decltype(&curl_free)> e(curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size())), curl_free);
    return e.get();
}

Json pairs(const std::vector<std::pair<std::string, std::string>>& kv) {
    Json out = Json::array();
    for (const auto& [k, v] : kv) out.push_back({{"key", k}, {"value", v}});
    return out;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ModelVersion to_version(const Json& v) {
    ModelVersion mv{v.value("name", ""), v.value("version", ""), v.value("source", ""), v.value("run_id", ""),
                    v.value("status", "")};
    for (const auto& t : v.value("tags", Json::array())) mv.tags[t.value("key", "")] = t.value("value", "");
    return mv;
}

// "mlflow-artifacts:/1/abc/artifacts" -> "1/abc/artifacts"
std::string artifact_path(const std::string& artifact_uri) {
    const std::string scheme = "mlflow-artifacts:";
    if (artifact_uri.rfind(scheme, 0) != 0)
        throw Error("artifact location " + artifact_uri + " is not served by the MLflow server",
                    "start the server with --serve-artifacts (scripts/devstack does)");
    std::string p = artifact_uri.substr(scheme.size());
    while (!p.empty() && p.front() == '/') p.erase(0, 1);
    return p;
}

}  // namespace

MlflowClient::MlflowClient(std::string tracking_uri) : base_(std::move(tracking_uri)) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

MlflowClient::Response MlflowClient::request(const std::string& method, const std::string& path, const std::string& body,
                                             const std::string& content_type) const {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    Response r{0, {}};
    const std::string url = base_ + path;
    curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    if (method != "GET") {
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl.get());
    curl_slist_free_all(headers);
    if (rc != CURLE_OK)
        throw Error(fmt::format("MLflow server {} unreachable ({} {}): {}", base_, method, path, curl_easy_strerror(rc)),
                    "start it with 'make up' or set MLFLOW_TRACKING_URI to a running server");
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
    return r;
}

Json MlflowClient::call(const std::string& method, const std::string& path, const Json& body) const {
    const Response r = request(method, "/api/2.0/mlflow/" + path, method == "GET" ? "" : body.dump());
    Json parsed = Json::parse(r.body, nullptr, false);
    if (r.status / 100 != 2) {
        const std::string message = parsed.is_object() ? parsed.value("message", r.body) : r.body;
        throw Error(fmt::format("MLflow {} {} failed with HTTP {}: {}", method, path, r.status, message));
    }
    return parsed.is_discarded() ? Json::object() : parsed;
}

std::string MlflowClient::get_or_create_experiment(const std::string& name) {
    const Response r = request("GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + escape(name), "");
    if (r.status == 200) return Json::parse(r.body)["experiment"]["experiment_id"];
    if (r.status != 404) throw Error(fmt::format("MLflow experiments/get-by-name failed with HTTP {}: {}", r.status, r.body));
    return call("POST", "experiments/create", {{"name", name}})["experiment_id"];
}

RunHandle MlflowClient::create_run(const std::string& experiment_id, const std::string& run_name,
                                   const std::vector<std::pair<std::string, std::string>>& tags) {
    const Json info = call("POST", "runs/create",
                           {{"experiment_id", experiment_id}, {"run_name", run_name}, {"start_time", now_ms()},
                            {"tags", pairs(tags)}})["run"]["info"];
    return {info["run_id"], info["experiment_id"], info["artifact_uri"]};
}

void MlflowClient::log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                             const std::vector<std::pair<std::string, std::string>>& params,
                             const std::vector<std::pair<std::string, std::string>>& tags) {
    const std::int64_t ts = now_ms();
    std::size_t i = 0;
    bool first = true;
    do {
        Json m = Json::array();
        for (; i < metrics.size() && m.size() < 1000; ++i)
            m.push_back({{"key", metrics[i].key}, {"value", metrics[i].value}, {"timestamp", ts}, {"step", metrics[i].step}});
        call("POST", "runs/log-batch", {{"run_id", run_id}, {"metrics", m}, {"params", first ? pairs(params) : Json::array()},
                                        {"tags", first ? pairs(tags) : Json::array()}});
        first = false;
    } while (i < metrics.size());
}

void MlflowClient::end_run(const std::string& run_id, const std::string& status) {
    call("POST", "runs/update", {{"run_id", run_id}, {"status", status}, {"end_time", now_ms()}});
}

std::string MlflowClient::run_status(const std::string& run_id) {
    return call("GET", "runs/get?run_id=" + escape(run_id), {})["run"]["info"]["status"];
}

void MlflowClient::upload_artifact(const RunHandle& run, const std::string& path, const std::string& bytes) {
    const std::string url = "/api/2.0/mlflow-artifacts/artifacts/" + artifact_path(run.artifact_uri) + "/" + path;
    const Response r = request("PUT", url, bytes, "application/octet-stream");
    if (r.status / 100 != 2)
        throw Error(fmt::format("uploading artifact {} of run {} failed with HTTP {}: {}", path, run.run_id, r.status, r.body),
                    "check the MLflow server's artifact store (disk space, permissions)");
}

std::string MlflowClient::download_artifact(const std::string& artifact_uri, const std::string& path) {
    const std::string url = "/api/2.0/mlflow-artifacts/artifacts/" + artifact_path(artifact_uri) + "/" + path;
    Response r = request("GET", url, "");
    if (r.status != 200)
        throw Error(fmt::format("downloading artifact {}/{} failed with HTTP {}", artifact_uri, path, r.status));
    return std::move(r.body);
}

void MlflowClient::ensure_registered_model(const std::string& name, const std::string& description,
                                           const std::vector<std::pair<std::string, std::string>>& tags) {
    const Response r = request("GET", "/api/2.0/mlflow/registered-models/get?name=" + escape(name), "");
    if (r.status == 200) return;
    call("POST", "registered-models/create", {{"name", name}, {"description", description}, {"tags", pairs(tags)}});
}

ModelVersion MlflowClient::create_model_version(const std::string& name, const std::string& source,
                                                const std::string& run_id,
                                                const std::vector<std::pair<std::string, std::string>>& tags) {
    return to_version(call("POST", "model-versions/create",
                           {{"name", name}, {"source", source}, {"run_id", run_id}, {"tags", pairs(tags)}})["model_version"]);
}

void MlflowClient::delete_model_version(const std::string& name, const std::string& version) {
    call("DELETE", "model-versions/delete", {{"name", name}, {"version", version}});
}

std::optional<ModelVersion> MlflowClient::get_model_version(const std::string& name, const std::string& version) {
    const Response r = request("GET", "/api/2.0/mlflow/model-versions/get?name=" + escape(name) + "&version=" + escape(version), "");
    if (r.status == 404 || r.status == 400) return std::nullopt;  // unknown name or version
    if (r.status != 200) throw Error(fmt::format("MLflow model-versions/get failed with HTTP {}: {}", r.status, r.body));
    return to_version(Json::parse(r.body)["model_version"]);
}

std::vector<std::string> MlflowClient::search_registered_models(const std::string& name_prefix) {
    std::vector<std::string> names;
    std::string page_token;
    do {
        std::string path = "/api/2.0/mlflow/registered-models/search?max_results=1000&filter=" +
                           escape("name LIKE '" + name_prefix + "%'");
        if (!page_token.empty()) path += "&page_token=" + escape(page_token);
        const Response r = request("GET", path, "");
        if (r.status != 200) throw Error(fmt::format("MLflow registered-models/search failed with HTTP {}: {}", r.status, r.body));
        const Json j = Json::parse(r.body);
        for (const auto& m : j.value("registered_models", Json::array())) names.push_back(m["name"].get<std::string>());
        page_token = j.value("next_page_token", "");
    } while (!page_token.empty());
    return names;
}

void MlflowClient::set_alias(const std::string& name, const std::string& alias, const std::string& version) {
    call("POST", "registered-models/alias", {{"name", name}, {"alias", alias}, {"version", version}});
}

std::optional<ModelVersion> MlflowClient::get_version_by_alias(const std::string& name, const std::string& alias) {
    const Response r = request("GET", "/api/2.0/mlflow/registered-models/alias?name=" + escape(name) + "&alias=" + escape(alias), "");
    if (r.status == 404 || r.status == 400) return std::nullopt;
    if (r.status != 200) throw Error(fmt::format("MLflow registered-models/alias failed with HTTP {}: {}", r.status, r.body));
    return to_version(Json::parse(r.body)["model_version"]);
}

}  // namespace voltedge::registry
