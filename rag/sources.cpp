#include "rag/sources.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/sha256.h"
#include "db/migrate.h"

namespace voltedge::rag {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path.string(), "check that the file exists and is readable");
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string command_output(const std::string& command) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) throw Error("cannot run " + command);
    std::string out;
    char buf[65536];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) throw Error("'" + command + "' failed", "run voltedge index from a git checkout, or give --root");
    return out;
}

std::string quoted(const std::string& s) {  // for a POSIX shell
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Which tracked files are documents, and of which kind ("" = not indexed). Data is left out: test inputs, the
// Grafana dashboards and their schema (thousands of lines of panel JSON whose words, "latency", "tenant",
// "queue", outrank the prose that explains them), promtool's input series, and npm's lock file (25,000 lines
// of package names and hashes, which matched questions as "code").
std::string kind_of(const std::string& path) {
    if (path.starts_with("tests/data/") || path.starts_with("data/") || path.starts_with("observability/dashboards/") ||
        path.starts_with("observability/prometheus/tests/") || path.ends_with(".jsonl") || path.ends_with(".csv") ||
        path.ends_with(".xz") || path.ends_with(".png") || path.ends_with("package-lock.json"))
        return "";
    if (path.ends_with(".md")) return "doc";
    static const std::regex kCode(
        R"((\.(h|hpp|cpp|cc|sql|sh|cmake|json|yml|yaml|lua)|(^|/)(CMakeLists\.txt|Makefile)|^scripts/[^/.]+)$)");
    return std::regex_search(path, kCode) ? "code" : "";
}

}  // namespace

std::vector<SourceDocument> project_documents(const std::string& root) {
    // The newest commit first: the first commit a file appears under is the one that last changed it.
    std::map<std::string, std::string> revision;
    std::istringstream log(command_output("git -C " + quoted(root) + " log --format=commit:%H --name-only"));
    std::string commit;
    for (std::string line; std::getline(log, line);) {
        if (line.starts_with("commit:"))
            commit = line.substr(7);
        else if (!line.empty())
            revision.emplace(line, commit);
    }
    std::vector<SourceDocument> docs;
    std::istringstream files(command_output("git -C " + quoted(root) + " ls-files"));
    for (std::string path; std::getline(files, path);) {
        const std::string kind = kind_of(path);
        if (kind.empty() || !fs::is_regular_file(fs::path(root) / path)) continue;
        const auto it = revision.find(path);
        docs.push_back({path, kind, it == revision.end() ? "uncommitted" : it->second, read_file(fs::path(root) / path)});
    }
    return docs;
}

SourceDocument data_dictionary() {
    std::string md = "# Data dictionary\n\nEvery table of the VoltEdge database (db/migrations), its columns and what the "
                     "migrations say about them. Tenant-owned tables are under forced row-level security.\n";
    static const std::regex kTable(R"(CREATE TABLE (\w+) \()");
    std::string newest;
    for (const auto& m : db::bundled_migrations()) {
        newest = m.version;
        std::istringstream in(m.sql);
        std::string comments, table;
        for (std::string line; std::getline(in, line);) {
            std::smatch match;
            if (table.empty() && std::regex_search(line, match, kTable)) {
                table = match[1];
                md += "\n## Table " + table + " (migration " + m.version + ")\n\n" + comments +
                      "\n| column | definition |\n| --- | --- |\n";
                comments.clear();
            } else if (!table.empty()) {
                const auto first = line.find_first_not_of(' ');
                if (line.starts_with(")")) {
                    table.clear();
                } else if (first != std::string::npos && line.compare(first, 2, "--") != 0) {
                    const std::string def = line.substr(first);
                    const auto space = def.find(' ');
                    const std::string column = def.substr(0, space);
                    if (column != "PRIMARY" && column != "FOREIGN" && column != "UNIQUE" && column != "CHECK")
                        md += "| " + column + " | " + (space == std::string::npos ? "" : def.substr(space + 1)) + " |\n";
                } else if (first != std::string::npos) {
                    md += "|  | " + line.substr(first) + " |\n";
                }
            } else if (line.starts_with("--")) {
                comments += line.substr(std::min<std::size_t>(3, line.size())) + "\n";
            } else if (line.empty()) {
                comments.clear();
            }
        }
    }
    md += R"(
## The UCI household power file (what `voltedge ingest` reads)

Individual household electric power consumption, one household near Paris, one row a minute from December 2006
to November 2010 (2,075,259 rows), ';'-separated, missing values as '?' (about 1.25 % of rows).

| attribute | meaning |
| --- | --- |
| Date | dd/mm/yyyy |
| Time | hh:mm:ss |
| Global_active_power | household global minute-averaged active power (kilowatt) |
| Global_reactive_power | household global minute-averaged reactive power (kilowatt) |
| Voltage | minute-averaged voltage (volt) |
| Global_intensity | household global minute-averaged current intensity (ampere) |
| Sub_metering_1 | energy sub-metering No. 1 (watt-hour of active energy): the kitchen (dishwasher, oven, microwave) |
| Sub_metering_2 | energy sub-metering No. 2 (watt-hour): the laundry room (washing machine, tumble drier, refrigerator, a light) |
| Sub_metering_3 | energy sub-metering No. 3 (watt-hour): an electric water heater and an air conditioner |

global_active_power × 1000 / 60 − sub_metering_1 − sub_metering_2 − sub_metering_3 is the active energy (watt-hour)
used each minute by equipment no sub-meter measures. The energy_identity check (ingestion/validation.cpp) counts
the minutes where the three sub-meters together exceed the total by more than a tolerance.
)";
    return {"generated/data-dictionary.md", "data_dictionary", newest, md};
}

std::vector<SourceDocument> folder_documents(const std::string& dir) {
    const fs::path base = fs::path(dir).lexically_normal();
    std::error_code ec;
    if (!fs::is_directory(base, ec)) throw Error("'" + dir + "' is not a folder", "give --path a folder of .md or .txt files");
    const std::string name = (base.has_filename() ? base.filename() : base.parent_path().filename()).string();
    std::vector<SourceDocument> docs;
    for (auto it = fs::recursive_directory_iterator(base, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) throw Error("cannot read the folder " + dir + ": " + ec.message());
        const auto ext = it->path().extension();
        if (!it->is_regular_file() || (ext != ".md" && ext != ".txt")) continue;
        std::string content = read_file(it->path());
        const std::string revision = "sha256:" + sha256_hex(content).substr(0, 12);
        docs.push_back({name + "/" + fs::relative(it->path(), base).string(), "tenant_doc", revision, std::move(content)});
    }
    std::sort(docs.begin(), docs.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return docs;
}

}  // namespace voltedge::rag
