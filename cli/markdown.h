#pragma once
// Small pieces of the Markdown the CLI generates for the retrieval index.
#include <string>

namespace voltedge::cli {

// Text safe inside a Markdown table cell: a `|` would end the cell, a line break the row.
inline std::string md_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += "\\|";
        else
            out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    return out;
}

}  // namespace voltedge::cli
