#include "rag/chunker.h"

#include <algorithm>

namespace voltedge::rag {
namespace {

// A run of whole lines [first, last] (0-based) and the section it belongs to.
struct Part {
    int first = 0, last = 0;
    std::string section;
};

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool blank(std::string_view line) { return trim(line).empty(); }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Markdown: a part per heading (outside fenced code), its section the path of headings above it.
std::vector<Part> markdown_parts(const std::vector<std::string_view>& lines) {
    std::vector<Part> parts;
    std::vector<std::pair<int, std::string>> headings;  // level, title
    bool fenced = false;
    Part current{0, -1, ""};
    for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
        const std::string_view line = lines[i];
        if (starts_with(trim(line), "```")) fenced = !fenced;
        const auto level = static_cast<int>(line.find_first_not_of('#'));
        if (!fenced && level >= 1 && level <= 6 && line.size() > static_cast<std::size_t>(level) && line[level] == ' ') {
            if (current.last >= current.first) parts.push_back(current);
            while (!headings.empty() && headings.back().first >= level) headings.pop_back();
            headings.emplace_back(level, std::string(trim(line.substr(level))));
            std::string section;
            for (const auto& [l, title] : headings) section += (section.empty() ? "" : " > ") + title;
            current = {i, i, section};
        } else {
            current.last = i;
        }
    }
    if (current.last >= current.first) parts.push_back(current);
    return parts;
}

// Braces of one C++ line that count, skipping comments, string and character literals (raw strings too,
// which hold our SQL). `in_comment` and `raw_end` carry block comments and raw strings across lines.
// Namespace and extern "C" braces do not count: a file's functions inside a namespace are still top level.
struct CppScanner {
    bool in_comment = false;
    std::string raw_end;       // ")delim\"" while inside a raw string
    std::vector<bool> counts;  // per open brace: whether it counts
    int depth() const { return static_cast<int>(std::count(counts.begin(), counts.end(), true)); }

    void scan(std::string_view line) {
        const std::string_view t = trim(line);
        const bool opens_scope = starts_with(t, "namespace") || starts_with(t, "extern \"C\"");
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (in_comment) {
                if (line.compare(i, 2, "*/") == 0) in_comment = false, ++i;
                continue;
            }
            if (!raw_end.empty()) {
                if (line.compare(i, raw_end.size(), raw_end) == 0) i += raw_end.size() - 1, raw_end.clear();
                continue;
            }
            const char c = line[i];
            if (c == '/' && i + 1 < line.size() && line[i + 1] == '/') return;
            if (c == '/' && i + 1 < line.size() && line[i + 1] == '*') {
                in_comment = true, ++i;
            } else if (c == 'R' && i + 1 < line.size() && line[i + 1] == '"') {
                const auto paren = line.find('(', i + 2);
                if (paren == std::string_view::npos) return;
                raw_end = ")" + std::string(line.substr(i + 2, paren - i - 2)) + "\"";
                i = paren;
            } else if (c == '"' || c == '\'') {
                for (++i; i < line.size() && line[i] != c; ++i)
                    if (line[i] == '\\') ++i;
            } else if (c == '{') {
                counts.push_back(!opens_scope);
            } else if (c == '}' && !counts.empty()) {
                counts.pop_back();
            }
        }
    }
};

// C++: a part ends where a top-level block closes (the brace depth returns to 0 on a line with a '}' or ';')
// or at a blank line at depth 0, so the comment right above a function stays with it.
std::vector<Part> cpp_parts(const std::vector<std::string_view>& lines) {
    std::vector<Part> parts;
    CppScanner scanner;
    int first = 0;
    for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
        const int before = scanner.depth();
        scanner.scan(lines[i]);
        const bool closes = scanner.depth() == 0 && scanner.raw_end.empty() && !scanner.in_comment &&
                            (before > 0 || trim(lines[i]).ends_with(";") || trim(lines[i]).ends_with("}"));
        if (closes || (scanner.depth() == 0 && blank(lines[i]))) {
            if (i >= first) parts.push_back({first, i, ""});
            first = i + 1;
        }
    }
    if (first < static_cast<int>(lines.size())) parts.push_back({first, static_cast<int>(lines.size()) - 1, ""});
    return parts;
}

// SQL: a part per statement (ending with ';' outside a $$ body), with the comments above it.
std::vector<Part> sql_parts(const std::vector<std::string_view>& lines) {
    std::vector<Part> parts;
    bool in_body = false;
    int first = 0;
    for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
        const std::string_view line = lines[i];
        for (std::size_t at = line.find("$$"); at != std::string_view::npos; at = line.find("$$", at + 2)) in_body = !in_body;
        const std::string_view t = trim(line.substr(0, std::min(line.find("--"), line.size())));
        if (!in_body && t.ends_with(";")) {
            parts.push_back({first, i, ""});
            first = i + 1;
        }
    }
    if (first < static_cast<int>(lines.size())) parts.push_back({first, static_cast<int>(lines.size()) - 1, ""});
    return parts;
}

// Shell, CMake, Makefiles and plain text: paragraphs (blank-line separated), a shell function's body kept whole.
std::vector<Part> paragraph_parts(const std::vector<std::string_view>& lines) {
    std::vector<Part> parts;
    int depth = 0, first = 0;
    for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
        const std::string_view t = trim(lines[i]);
        if (t.ends_with("{") && !starts_with(t, "#")) ++depth;
        if (starts_with(t, "}") && depth > 0) --depth;
        if (depth == 0 && t.empty()) {
            if (i > first) parts.push_back({first, i - 1, ""});
            first = i + 1;
        }
    }
    if (first < static_cast<int>(lines.size())) parts.push_back({first, static_cast<int>(lines.size()) - 1, ""});
    return parts;
}

std::size_t chars_of(const std::vector<std::string_view>& lines, int first, int last) {
    std::size_t n = 0;
    for (int i = first; i <= last; ++i) n += lines[i].size() + 1;
    return n;
}

bool fits(const std::vector<std::string_view>& lines, int first, int last, const ChunkLimits& limits) {
    return chars_of(lines, first, last) <= limits.max_chars && static_cast<std::size_t>(last - first + 1) <= limits.max_lines;
}

// Cuts a part that is over the limits: greedily at blank lines, else at line ends.
std::vector<Part> split_large(const std::vector<std::string_view>& lines, const Part& p, const ChunkLimits& limits) {
    std::vector<Part> out;
    int first = p.first;
    while (first <= p.last) {
        int last = first;
        while (last < p.last && fits(lines, first, last + 1, limits)) ++last;
        if (last < p.last) {  // prefer ending just before a blank line in the second half
            for (int k = last; k > first + (last - first) / 2; --k)
                if (blank(lines[k + 1])) {
                    last = k;
                    break;
                }
        }
        out.push_back({first, last, p.section});
        first = last + 1;
    }
    return out;
}

// A code part's section: its first line that is not a comment or blank (a signature, a CREATE statement).
std::string first_code_line(const std::vector<std::string_view>& lines, const Part& p) {
    for (int i = p.first; i <= p.last; ++i) {
        const std::string_view t = trim(lines[i]);
        if (t.empty() || starts_with(t, "//") || starts_with(t, "--") || starts_with(t, "#") || starts_with(t, "/*") ||
            starts_with(t, "*"))
            continue;
        return std::string(t.substr(0, 120));
    }
    return std::string(trim(lines[p.first]).substr(0, 120));
}

}  // namespace

Format format_of(std::string_view path) {
    const auto slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const auto dot = name.rfind('.');
    const std::string_view ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot);
    if (ext == ".md") return Format::markdown;
    if (ext == ".h" || ext == ".hpp" || ext == ".cpp" || ext == ".cc") return Format::cpp;
    if (ext == ".sql") return Format::sql;
    if (ext == ".sh" || ext == ".cmake" || ext == ".lua" || name == "CMakeLists.txt" || name == "Makefile" || ext.empty())
        return Format::shell;
    return Format::text;
}

std::vector<Chunk> chunk_document(std::string_view text, Format format, const ChunkLimits& limits) {
    const auto lines = split_lines(text);
    std::vector<Part> parts = format == Format::markdown ? markdown_parts(lines)
                              : format == Format::cpp    ? cpp_parts(lines)
                              : format == Format::sql    ? sql_parts(lines)
                                                         : paragraph_parts(lines);
    // Blank edges go; parts too small to stand alone join the next one when both fit (a one-line include
    // list is not worth a hit of its own), never across Markdown sections.
    std::vector<Part> merged;
    for (Part p : parts) {
        while (p.first <= p.last && blank(lines[p.first])) ++p.first;
        while (p.last >= p.first && blank(lines[p.last])) --p.last;
        if (p.first > p.last) continue;
        if (!merged.empty() && merged.back().section == p.section &&
            chars_of(lines, merged.back().first, merged.back().last) < 200 && fits(lines, merged.back().first, p.last, limits))
            merged.back().last = p.last;
        else
            merged.push_back(p);
    }
    std::vector<Chunk> chunks;
    for (const Part& part : merged)
        for (const Part& p : split_large(lines, part, limits)) {
            Chunk c{p.first + 1, p.last + 1, format == Format::markdown ? p.section : first_code_line(lines, p), ""};
            for (int i = p.first; i <= p.last; ++i) c.content.append(lines[i]).append(i < p.last ? "\n" : "");
            chunks.push_back(std::move(c));
        }
    return chunks;
}

}  // namespace voltedge::rag
