#include "registry/mlflow.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "http/client.h"
#include "observability/metrics.h"
#include "observability/tracing.h"

namespace voltedge::registry {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kModelPrefix = "voltedge-forecaster.";
// Tags of ours and of MLflow's own that the UI reads; no other file knows these names.
constexpr const char* kChampionTag = "voltedge.champion";
constexpr const char* kFailureTag = "voltedge.failure_reason";
constexpr const char* kSourceNameTag = "mlflow.source.name";
constexpr const char* kSourceCommitTag = "mlflow.source.git.commit";
constexpr const char* kLoggedModelsTag = "mlflow.log-model.history";

Json pairs(const Tags& kv) {
    Json out = Json::array();
    for (const auto& [k, v] : kv) out.push_back({{"key", k}, {"value", v}});
    return out;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Milliseconds since the epoch (MLflow's timestamps) as "YYYY-MM-DD HH:MM:SS UTC"; "" when absent.
std::string utc_text(const Json& ms) {
    if (!ms.is_number()) return "";
    const std::chrono::sys_seconds t{std::chrono::seconds(ms.get<std::int64_t>() / 1000)};
    return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", t);
}

ModelVersion to_version(const Json& v) {
    ModelVersion mv{v.value("name", ""), v.value("version", ""), v.value("run_id", ""), v.value("status", ""), {}, {}, {}};
    for (const auto& t : v.value("tags", Json::array())) mv.tags[t.value("key", "")] = t.value("value", "");
    mv.created = utc_text(v.value("creation_timestamp", Json()));
    return mv;
}

RunRecord to_run_record(const Json& r) {
    const Json& info = r.at("info");
    const Json data = r.value("data", Json::object());
    RunRecord rec{{info.value("run_id", ""), info.value("experiment_id", "")},
                  info.value("run_name", ""),
                  info.value("status", ""),
                  utc_text(info.value("start_time", Json())),
                  false,
                  {},
                  {},
                  {}};
    for (const auto& t : data.value("tags", Json::array())) {
        const std::string key = t.value("key", "");
        if (key == kChampionTag) rec.champion = t.value("value", "") == "true";
        // MLflow's own tags and ours (voltedge.*) stay here; callers see the tags they logged.
        if (!key.starts_with("mlflow.") && !key.starts_with("voltedge.")) rec.tags[key] = t.value("value", "");
    }
    for (const auto& p : data.value("params", Json::array())) rec.params[p.value("key", "")] = p.value("value", "");
    for (const auto& m : data.value("metrics", Json::array()))
        if (m.contains("value") && m["value"].is_number()) rec.metrics[m.value("key", "")] = m["value"].get<double>();
    return rec;
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

// The metric label of a REST path: "registered-models/get" from "/api/2.0/mlflow/registered-models/get?name=..";
// artifact transfers (whose paths name runs) are one label.
std::string endpoint_of(const std::string& path) {
    constexpr std::string_view kApi = "/api/2.0/mlflow/";
    const std::string without_query = path.substr(0, path.find('?'));
    if (without_query.rfind(kApi, 0) == 0) return without_query.substr(kApi.size());
    if (without_query.find("mlflow-artifacts") != std::string::npos) return "artifacts";
    return "other";
}

}  // namespace

Mlflow::Mlflow(std::string tracking_uri) : base_(std::move(tracking_uri)) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

Mlflow::Response Mlflow::request(const std::string& method, const std::string& path, const std::string& body,
                                 const std::string& content_type) const {
    const std::string endpoint = endpoint_of(path);
    observability::Span span("mlflow " + endpoint, observability::SpanKind::client);
    span.set("rpc.system", "mlflow");
    span.set("rpc.method", endpoint);
    const auto start = std::chrono::steady_clock::now();
    const auto observe = [&](const std::string& status) {
        static auto& seconds = observability::metrics().histogram_family("voltedge_mlflow_request_duration_seconds",
                                                                         "Time of MLflow REST calls, by endpoint and HTTP status",
                                                                         {"endpoint", "status"});
        seconds.with({endpoint, status}).observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
    try {
        const auto r = http::send({method, base_ + path, body, {"Content-Type: " + content_type}, 5, 120});
        observe(std::to_string(r.status));
        return {r.status, r.body};
    } catch (const http::Unreachable& e) {
        observe("unreachable");
        throw Error(fmt::format("MLflow server {} unreachable: {}", base_, e.what()),
                    "start it with 'make up' or set MLFLOW_TRACKING_URI to a running server");
    }
}

Json Mlflow::call(const std::string& method, const std::string& path, const Json& body) const {
    const Response r = request(method, "/api/2.0/mlflow/" + path, method == "GET" ? "" : body.dump());
    Json parsed = Json::parse(r.body, nullptr, false);
    if (r.status / 100 != 2) {
        const std::string message = parsed.is_object() ? parsed.value("message", r.body) : r.body;
        throw Error(fmt::format("MLflow {} {} failed with HTTP {}: {}", method, path, r.status, message));
    }
    return parsed.is_discarded() ? Json::object() : parsed;
}

std::optional<Json> Mlflow::get_or_absent(const std::string& path) const {
    const Response r = request("GET", "/api/2.0/mlflow/" + path, "");
    if (r.status == 404 || r.status == 400) return std::nullopt;  // unknown name, version or alias
    if (r.status != 200) throw Error(fmt::format("MLflow GET {} failed with HTTP {}: {}", path, r.status, r.body));
    return Json::parse(r.body);
}

// ---- model registry ----

std::string Mlflow::model_name(const std::string& tenant) const { return std::string(kModelPrefix) + tenant; }

std::vector<std::string> Mlflow::registered_models(const std::string& name_prefix) {
    std::vector<std::string> names;
    std::string page_token;
    do {
        std::string path = "registered-models/search?max_results=1000&filter=" + http::escape("name LIKE '" + name_prefix + "%'");
        if (!page_token.empty()) path += "&page_token=" + http::escape(page_token);
        const Json j = call("GET", path, {});
        for (const auto& m : j.value("registered_models", Json::array())) names.push_back(m["name"].get<std::string>());
        page_token = j.value("next_page_token", "");
    } while (!page_token.empty());
    return names;
}

std::vector<std::string> Mlflow::tenants() {
    std::vector<std::string> tenants;
    for (const auto& name : registered_models(std::string(kModelPrefix))) tenants.push_back(name.substr(kModelPrefix.size()));
    return tenants;
}

ModelVersion Mlflow::create_version(const std::string& tenant, const Run& run, const std::string& model_dir, const Tags& tags) {
    const std::string name = model_name(tenant);
    if (!get_or_absent("registered-models/get?name=" + http::escape(name)))
        call("POST", "registered-models/create",
             {{"name", name},
              {"description", "Hourly load forecaster of tenant " + tenant + " (champion by 1 h MAE)"},
              {"tags", pairs({{"tenant", tenant}})}});
    // A runs:/ source and the run id let MLflow's UI link the version and the run both ways.
    return to_version(call("POST", "model-versions/create",
                           {{"name", name},
                            {"source", "runs:/" + run.run_id + "/" + model_dir},
                            {"run_id", run.run_id},
                            {"tags", pairs(tags)}})["model_version"]);
}

void Mlflow::delete_version(const std::string& tenant, const std::string& version) {
    call("DELETE", "model-versions/delete", {{"name", model_name(tenant)}, {"version", version}});
}

std::optional<ModelVersion> Mlflow::version(const std::string& tenant, const std::string& version) {
    const auto j = get_or_absent("model-versions/get?name=" + http::escape(model_name(tenant)) +
                                 "&version=" + http::escape(version));
    if (!j) return std::nullopt;
    return to_version((*j)["model_version"]);
}

std::optional<ModelVersion> Mlflow::alias(const std::string& tenant, const std::string& alias) {
    const auto j = get_or_absent("registered-models/alias?name=" + http::escape(model_name(tenant)) +
                                 "&alias=" + http::escape(alias));
    if (!j) return std::nullopt;
    return to_version((*j)["model_version"]);
}

void Mlflow::set_alias(const std::string& tenant, const std::string& alias, const std::string& version) {
    call("POST", "registered-models/alias", {{"name", model_name(tenant)}, {"alias", alias}, {"version", version}});
}

void Mlflow::delete_alias(const std::string& tenant, const std::string& alias) {
    if (!this->alias(tenant, alias)) return;
    call("DELETE", "registered-models/alias?name=" + http::escape(model_name(tenant)) + "&alias=" + http::escape(alias),
         {{"name", model_name(tenant)}, {"alias", alias}});
}

std::string Mlflow::artifact_uri(const std::string& run_id) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = artifact_uris_.find(run_id); it != artifact_uris_.end()) return it->second;
    }
    const std::string uri = call("GET", "runs/get?run_id=" + http::escape(run_id), {})["run"]["info"]["artifact_uri"];
    std::lock_guard lock(mutex_);
    return artifact_uris_[run_id] = uri;
}

std::string Mlflow::fetch(const ModelVersion& version, const std::string& path) {
    const std::string location = artifact_uri(version.run_id) + "/model/" + path;
    Response r = request("GET", "/api/2.0/mlflow-artifacts/artifacts/" + artifact_path(location), "");
    if (r.status != 200)
        throw Error(
            fmt::format("downloading {} of {} version {} failed with HTTP {}", path, version.name, version.version, r.status));
    return std::move(r.body);
}

std::vector<ModelVersion> Mlflow::versions(const std::string& tenant) {
    const std::string name = model_name(tenant);
    const auto model = get_or_absent("registered-models/get?name=" + http::escape(name));
    if (!model) return {};
    std::vector<ModelVersion> out;
    std::string page_token;
    do {
        std::string path = "model-versions/search?max_results=1000&filter=" + http::escape("name = '" + name + "'");
        if (!page_token.empty()) path += "&page_token=" + http::escape(page_token);
        const Json j = call("GET", path, {});
        for (const auto& v : j.value("model_versions", Json::array())) out.push_back(to_version(v));
        page_token = j.value("next_page_token", "");
    } while (!page_token.empty());
    // Searched versions come without their aliases; the registered model lists them all.
    for (const auto& a : (*model)["registered_model"].value("aliases", Json::array()))
        for (auto& v : out)
            if (v.version == a.value("version", "")) v.aliases.push_back(a.value("alias", ""));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return std::stoll(a.version) < std::stoll(b.version); });
    for (auto& v : out) std::sort(v.aliases.begin(), v.aliases.end());
    return out;
}

// ---- experiment tracker ----

std::optional<Json> Mlflow::experiment_by_name(const std::string& name) const {
    const auto j = get_or_absent("experiments/get-by-name?experiment_name=" + http::escape(name));
    if (!j) return std::nullopt;
    return (*j)["experiment"];
}

std::string Mlflow::experiment(const std::string& name) {
    if (const auto e = experiment_by_name(name)) return (*e)["experiment_id"];
    return call("POST", "experiments/create", {{"name", name}})["experiment_id"];
}

Run Mlflow::start_run(const std::string& experiment_id, const std::string& run_name, const std::string& source,
                      const std::string& commit, const Tags& tags) {
    Tags all = tags;
    all.emplace_back(kSourceNameTag, source);
    all.emplace_back(kSourceCommitTag, commit);
    const Json info = call("POST", "runs/create",
                           {{"experiment_id", experiment_id},
                            {"run_name", run_name},
                            {"start_time", now_ms()},
                            {"tags", pairs(all)}})["run"]["info"];
    const Run run{info["run_id"], info["experiment_id"]};
    std::lock_guard lock(mutex_);
    artifact_uris_[run.run_id] = info["artifact_uri"];
    return run;
}

Run Mlflow::start_child_run(const Run& parent, const std::string& run_name, const std::string& source, const std::string& commit,
                            const Tags& tags) {
    Tags all = tags;
    all.emplace_back("mlflow.parentRunId", parent.run_id);  // how MLflow's UI nests runs
    return start_run(parent.experiment_id, run_name, source, commit, all);
}

void Mlflow::log(const Run& run, const std::vector<Metric>& metrics, const Tags& params, const Tags& tags) {
    const std::int64_t ts = now_ms();
    std::size_t i = 0;
    bool first = true;
    do {  // the server takes at most 1000 metrics, params and tags together per batch (params: at most 100)
        const std::size_t room = 1000 - (first ? params.size() + tags.size() : 0);
        Json m = Json::array();
        for (; i < metrics.size() && m.size() < room; ++i)
            m.push_back({{"key", metrics[i].key}, {"value", metrics[i].value}, {"timestamp", ts}, {"step", metrics[i].step}});
        call("POST", "runs/log-batch",
             {{"run_id", run.run_id},
              {"metrics", m},
              {"params", first ? pairs(params) : Json::array()},
              {"tags", first ? pairs(tags) : Json::array()}});
        first = false;
    } while (i < metrics.size());
}

void Mlflow::upload(const Run& run, const std::string& path, const std::string& bytes) {
    const std::string url = "/api/2.0/mlflow-artifacts/artifacts/" + artifact_path(artifact_uri(run.run_id)) + "/" + path;
    const Response r = request("PUT", url, bytes, "application/octet-stream");
    if (r.status / 100 != 2)
        throw Error(fmt::format("uploading artifact {} of run {} failed with HTTP {}: {}", path, run.run_id, r.status, r.body),
                    "check the MLflow server's artifact store (disk space, permissions)");
}

// MLflow's UI lists a run's models from its logged-model history and an MLmodel file in the model folder.
void Mlflow::record_model(const Run& run, const std::string& model_dir, const std::string& family) {
    const std::string created = fmt::format("{:%Y-%m-%d %H:%M:%S}",
                                            std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    upload(run, model_dir + "/MLmodel",
           fmt::format("artifact_path: {}\nflavors:\n  voltedge:\n    family: {}\n    bundle: bundle.json\nrun_id: {}\n"
                       "utc_time_created: '{}'\n",
                       model_dir, family, run.run_id, created));
    const Json history = Json::array({{{"run_id", run.run_id},
                                       {"artifact_path", model_dir},
                                       {"utc_time_created", created},
                                       {"flavors", {{"voltedge", {{"family", family}}}}}}});
    log(run, {}, {}, {{kLoggedModelsTag, history.dump()}});
}

void Mlflow::mark_champion(const Run& run) { log(run, {}, {}, {{kChampionTag, "true"}}); }

void Mlflow::end_run(const Run& run, const std::string& status) {
    call("POST", "runs/update", {{"run_id", run.run_id}, {"status", status}, {"end_time", now_ms()}});
}

void Mlflow::finish(const Run& run) { end_run(run, "FINISHED"); }

void Mlflow::fail(const Run& run, const std::string& reason) {
    log(run, {}, {}, {{kFailureTag, reason.substr(0, 5000)}});
    end_run(run, "FAILED");
}

std::vector<Run> Mlflow::unfinished_runs(const std::string& experiment_id) {
    std::vector<Run> runs;
    std::string page_token;
    do {
        Json body = {{"experiment_ids", {experiment_id}}, {"filter", "attributes.status = 'RUNNING'"}, {"max_results", 1000}};
        if (!page_token.empty()) body["page_token"] = page_token;
        const Json j = call("POST", "runs/search", body);
        for (const auto& r : j.value("runs", Json::array())) runs.push_back({r["info"]["run_id"], r["info"]["experiment_id"]});
        page_token = j.value("next_page_token", "");
    } while (!page_token.empty());
    return runs;
}

std::string Mlflow::run_status(const std::string& run_id) {
    return call("GET", "runs/get?run_id=" + http::escape(run_id), {})["run"]["info"]["status"];
}

std::optional<std::string> Mlflow::find_experiment(const std::string& name) {
    const auto e = experiment_by_name(name);
    if (!e) return std::nullopt;
    return (*e)["experiment_id"].get<std::string>();
}

RunRecord Mlflow::run(const std::string& run_id) {
    return to_run_record(call("GET", "runs/get?run_id=" + http::escape(run_id), {})["run"]);
}

std::vector<RunRecord> Mlflow::finished_runs(const std::string& experiment_id) {
    std::vector<RunRecord> runs;
    std::string page_token;
    do {
        Json body = {{"experiment_ids", {experiment_id}},
                     {"filter", "attributes.status = 'FINISHED'"},
                     {"order_by", {"attributes.start_time DESC"}},
                     {"max_results", 1000}};
        if (!page_token.empty()) body["page_token"] = page_token;
        const Json j = call("POST", "runs/search", body);
        for (const auto& r : j.value("runs", Json::array())) {
            runs.push_back(to_run_record(r));
            std::lock_guard lock(mutex_);
            artifact_uris_[runs.back().run.run_id] = r["info"].value("artifact_uri", "");
        }
        page_token = j.value("next_page_token", "");
    } while (!page_token.empty());
    return runs;
}

// The server answers a missing file with HTTP 500 like any failure, so a failed download asks the folder's
// listing whether the file is there at all.
std::optional<std::string> Mlflow::download(const Run& run, const std::string& path) {
    const std::string location = artifact_path(artifact_uri(run.run_id)) + "/" + path;
    Response r = request("GET", "/api/2.0/mlflow-artifacts/artifacts/" + location, "");
    if (r.status == 200) return std::move(r.body);
    const auto slash = location.rfind('/');
    const Response listing = request("GET", "/api/2.0/mlflow-artifacts/artifacts?path=" + http::escape(location.substr(0, slash)),
                                     "");
    const Json files = Json::parse(listing.body, nullptr, false);
    if (listing.status == 200 && files.is_object()) {
        const std::string name = location.substr(slash + 1);
        const auto& list = files.value("files", Json::array());
        if (std::none_of(list.begin(), list.end(), [&](const Json& f) { return f.value("path", "") == name; }))
            return std::nullopt;
    }
    throw Error(fmt::format("downloading artifact {} of run {} failed with HTTP {}: {}", path, run.run_id, r.status, r.body),
                "check the MLflow server's artifact store");
}

bool Mlflow::delete_registered_model(const std::string& tenant) {
    const std::string name = model_name(tenant);
    if (!get_or_absent("registered-models/get?name=" + http::escape(name))) return false;
    call("DELETE", "registered-models/delete", {{"name", name}});
    return true;
}

bool Mlflow::experiment_active(const std::string& name) {
    const auto e = experiment_by_name(name);
    return e && e->value("lifecycle_stage", "active") == "active";
}

bool Mlflow::delete_experiment(const std::string& name) {
    const auto e = experiment_by_name(name);
    if (!e || e->value("lifecycle_stage", "active") != "active") return false;
    call("POST", "experiments/delete", {{"experiment_id", (*e)["experiment_id"]}});
    return true;
}

void Mlflow::delete_by_prefix(const std::string& experiment_prefix, const std::string& model_prefix) {
    for (const auto& name : registered_models(model_prefix)) call("DELETE", "registered-models/delete", {{"name", name}});
    std::string page_token;
    do {
        Json body = {{"filter", "name LIKE '" + experiment_prefix + "%'"}, {"max_results", 1000}};
        if (!page_token.empty()) body["page_token"] = page_token;
        const Json j = call("POST", "experiments/search", body);
        for (const auto& e : j.value("experiments", Json::array()))
            call("POST", "experiments/delete", {{"experiment_id", e["experiment_id"]}});
        page_token = j.value("next_page_token", "");
    } while (!page_token.empty());
}

}  // namespace voltedge::registry
