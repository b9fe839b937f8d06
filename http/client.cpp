#include "http/client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/deadline.h"
#include "core/url.h"
#include "observability/tracing.h"

namespace voltedge::http {
namespace {

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

bool has_header(const std::vector<std::string>& headers, std::string_view lowercase_name) {
    return std::any_of(headers.begin(), headers.end(), [&](const std::string& h) {
        if (h.size() <= lowercase_name.size() || h[lowercase_name.size()] != ':') return false;
        for (std::size_t i = 0; i < lowercase_name.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(h[i])) != lowercase_name[i]) return false;
        return true;
    });
}

// OpenTelemetry's HTTP client attributes. The query string is left out: it may carry tokens.
void annotate_client_span(observability::Span& span, const ClientRequest& request) {
    if (!span.recording()) return;
    span.set("http.request.method", request.method);
    if (const auto url = parse_url(request.url)) {
        span.set("server.address", url->host);
        span.set("server.port", static_cast<std::int64_t>(url->port ? url->port : url->scheme == "https" ? 443 : 80));
        span.set("url.full", redact_url(request.url.substr(0, request.url.find('?'))));
    }
    span.set("http.request.body.size", static_cast<std::int64_t>(request.body.size()));
}

CurlHandle new_handle() {
    // curl_global_init is not thread-safe; the first handle made initialises it, once, for the process.
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    (void)initialised;
    CurlHandle curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw Error("cannot create an HTTP client (curl_easy_init failed)");
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    return curl;
}

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

std::size_t write_to_file(char* data, std::size_t size, std::size_t n, void* file) {
    return std::fwrite(data, size, n, static_cast<std::FILE*>(file));
}

// One header line of the response; a status line starts the headers afresh (after a 100 Continue).
std::size_t append_header(char* data, std::size_t size, std::size_t n, void* out) {
    auto& headers = *static_cast<std::vector<std::pair<std::string, std::string>>*>(out);
    const std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) headers.clear();
    if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
        headers.emplace_back(std::move(name), std::string(value));
    }
    return size * n;
}

}  // namespace

std::string ClientResponse::header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers)
        if (name == lowercase_name) return value;
    return {};
}

ClientResponse send(const ClientRequest& request) {
    observability::Span span(request.method, observability::SpanKind::client);
    annotate_client_span(span, request);
    CurlHandle curl = new_handle();
    ClientResponse response;
    curl_slist* headers = nullptr;
    for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
    // The callee continues this trace (W3C trace context), unless the caller set a traceparent itself.
    const std::string traceparent = "traceparent: " + observability::format_traceparent(span.context());
    if (span.context().valid() && !has_header(request.headers, "traceparent"))
        headers = curl_slist_append(headers, traceparent.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, curl_slist_free_all);
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl.get(), CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    if (request.method != "GET") {
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, append_header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
    // The thread's deadline (a request's) caps both: a call made for a request never outlives it.
    long connect_ms = request.connect_timeout_seconds * 1000, total_ms = request.timeout_seconds * 1000;
    if (const auto left = time_left()) {
        check_deadline(("before " + request.method + " " + redact_url(request.url)).c_str());
        connect_ms = std::min<long>(connect_ms, static_cast<long>(left->count()));
        total_ms = std::min<long>(total_ms, static_cast<long>(left->count()));
    }
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, total_ms);
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) {
        const std::string message = fmt::format("{} {}: {}", request.method, redact_url(request.url),
                                                *error ? error : curl_easy_strerror(rc));
        span.set_error(message);
        throw Unreachable(message);
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
    span.set("http.response.status_code", static_cast<std::int64_t>(response.status));
    if (response.status >= 500) span.set_error("HTTP " + std::to_string(response.status));
    return response;
}

void download_to_file(const std::string& url, const std::string& path, long connect_timeout_seconds) {
    const std::string part = path + ".part";
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(part.c_str(), "wb"), &std::fclose);
    if (!out) throw Error("cannot write " + part, "check that the download folder is writable");
    CurlHandle curl = new_handle();
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, connect_timeout_seconds);
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write_to_file);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, out.get());
    const CURLcode rc = curl_easy_perform(curl.get());
    out.reset();
    std::error_code ec;
    if (rc != CURLE_OK) {
        std::filesystem::remove(part, ec);
        throw Unreachable("cannot download " + redact_url(url) + ": " + (*error ? error : curl_easy_strerror(rc)),
                          "check the URL and the network, or pass a local file with --source PATH");
    }
    std::filesystem::rename(part, path);
}

std::string escape(std::string_view text) {
    std::unique_ptr<char, decltype(&curl_free)> e(curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size())),
                                                  curl_free);
    return e ? e.get() : std::string();
}

bool is_http_url(std::string_view text) {
    const auto url = parse_url(text);
    return url && (url->scheme == "http" || url->scheme == "https");
}

}  // namespace voltedge::http
