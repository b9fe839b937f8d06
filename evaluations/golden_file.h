#pragma once
// The golden sets are JSON Lines: one question per line, blank lines skipped. Each line is handed over as a JSON
// object that has a string "question"; an Error thrown while reading a line comes back naming the file and line.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "core/error.h"

namespace voltedge::evaluations {

template <class Fn>  // fn(const nlohmann::json& object, int line_no)
void read_golden_lines(const std::string& path, const std::string& file_name, Fn&& fn) {
    std::ifstream in(path);
    if (!in) throw Error("cannot read the golden set " + path, "it lives in evaluations/golden/<tenant>/" + file_name);
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        try {
            const auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_discarded() || !j.is_object()) throw Error("not a JSON object");
            if (!j.contains("question") || !j["question"].is_string()) throw Error("no question");
            fn(j, line_no);
        } catch (const Error& e) {
            throw Error(fmt::format("{} line {}: {}", path, line_no, e.what()));
        }
    }
}

}  // namespace voltedge::evaluations
