#pragma once
// Runs the voltedge binary as a child process and measures it as a user would see it: wall time and the
// child's peak resident set size. Also: a shell command's output.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"

namespace voltedge::bench {

struct ChildRun {
    double seconds;
    long peak_rss_kb;
    int status;
};

// `stderr_path`: where the child's stderr (its JSON log lines) goes; empty = inherited.
inline ChildRun run_child(std::vector<std::string> args, const std::string& stderr_path = {}) {
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        if (!stderr_path.empty()) {
            const int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) dup2(fd, 2);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    struct rusage usage {};
    wait4(pid, &status, 0, &usage);
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), usage.ru_maxrss, status};
}

// What `command` prints on stdout, trailing whitespace removed; throws Error with that output when it fails.
inline std::string output_of(const std::string& command) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) throw Error("cannot run " + command);
    std::string out;
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) throw Error(command + " failed:\n" + out);
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    return out;
}

}  // namespace voltedge::bench
