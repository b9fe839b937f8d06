#include "training/plots.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.h"

namespace voltedge::training {
namespace {

void run_gnuplot(const std::string& script_path) {
    const std::string command = "gnuplot " + script_path + " 2>&1";
    FILE* p = popen(command.c_str(), "r");
    if (!p) throw Error("cannot run gnuplot", "install it with 'make bootstrap' (Debian package gnuplot-nox)");
    std::string output;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) output += buf;
    const int status = pclose(p);
    if (status != 0)
        throw Error("gnuplot failed on " + script_path + ": " + output,
                    "install it with 'make bootstrap' (Debian package gnuplot-nox)");
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return out + "\"";
}

}  // namespace

void plot_forecast_vs_actual(const std::string& png, const std::string& title, const std::vector<Minute>& hours,
                             const std::vector<double>& actual, const std::vector<double>& predicted,
                             const std::vector<std::array<double, 4>>& bands) {
    const std::string data = png + ".dat", script = png + ".gp";
    const bool with_bands = bands.size() == hours.size() && !hours.empty();
    {
        std::ofstream out(data);
        for (std::size_t i = 0; i < hours.size(); ++i) {
            out << format_minute(hours[i]) << '\t' << actual[i] << '\t' << predicted[i];
            if (with_bands)
                for (double b : bands[i]) out << '\t' << b;
            out << '\n';
        }
    }
    const std::string band_plots = with_bands
                                       ? fmt::format("{} using 1:6:7 with filledcurves lc rgb '#f4c7c7' title '95 % interval', "
                                                     "'' using 1:4:5 with filledcurves lc rgb '#e88f8f' title '80 % interval', ",
                                                     quoted(data))
                                       : "";
    std::ofstream(script) << fmt::format(
        "set terminal pngcairo noenhanced size 1200,450 font 'sans,10'\nset output {}\nset title {}\n"
        "set xdata time\nset timefmt '%Y-%m-%d %H:%M:%S'\nset format x '%d %b'\nset datafile separator '\\t'\n"
        "set ylabel 'hourly mean load (kW)'\nset grid\nset key top right\n"
        "plot {}{} using 1:2 with lines lw 1.2 lc rgb '#333333' title 'actual', "
        "'' using 1:3 with lines lw 1.2 lc rgb '#d62728' title 'forecast'\n",
        quoted(png), quoted(title), band_plots, with_bands ? "''" : quoted(data));
    run_gnuplot(script);
    std::filesystem::remove(data);
    std::filesystem::remove(script);
}

void plot_mae_by_lead(const std::string& png, const std::string& title, const std::vector<std::string>& models,
                      const std::vector<std::vector<double>>& mae) {
    const std::string data = png + ".dat", script = png + ".gp";
    {
        std::ofstream out(data);
        for (std::size_t i = 0; !mae.empty() && i < mae.front().size(); ++i) {
            out << i + 1;
            for (const auto& series : mae) out << '\t' << series[i];
            out << '\n';
        }
    }
    std::string plot;
    for (std::size_t m = 0; m < models.size(); ++m)
        plot += fmt::format("{}{} using 1:{} with linespoints pt 7 ps 0.5 title {}", m ? ", " : "plot ", m ? "''" : quoted(data),
                            m + 2, quoted(models[m]));
    std::ofstream(script) << fmt::format(
        "set terminal pngcairo noenhanced size 1000,450 font 'sans,10'\nset output {}\nset title {}\n"
        "set datafile separator '\\t'\nset xlabel 'lead (hours after the forecast origin)'\nset ylabel 'MAE (kW)'\n"
        "set grid\nset key bottom right\n{}\n",
        quoted(png), quoted(title), plot);
    run_gnuplot(script);
    std::filesystem::remove(data);
    std::filesystem::remove(script);
}

void plot_shap_summary(const std::string& png, const std::string& title, const std::vector<std::string>& names, const Matrix& X,
                       const Matrix& shap, int max_features) {
    const Eigen::Index d = X.cols(), n = X.rows();
    std::vector<Eigen::Index> order(d);
    std::iota(order.begin(), order.end(), 0);
    const Eigen::RowVectorXd importance = shap.cwiseAbs().colwise().mean();
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return importance[a] > importance[b]; });
    order.resize(std::min<Eigen::Index>(d, max_features));
    const std::string data = png + ".dat", script = png + ".gp";
    std::string ytics;
    {
        std::ofstream out(data);
        std::uint64_t jitter_state = 88172645463325252ull;  // xorshift: deterministic vertical jitter
        for (std::size_t line = 0; line < order.size(); ++line) {
            const Eigen::Index j = order[line];
            const double y = static_cast<double>(order.size() - 1 - line);
            ytics += fmt::format("{}{} {}", line ? ", " : "", quoted(names[j]), y);
            // Colour by the rank of the feature's value among the rows, so skewed features still spread.
            std::vector<Eigen::Index> by_value(n);
            std::iota(by_value.begin(), by_value.end(), 0);
            std::stable_sort(by_value.begin(), by_value.end(), [&](auto a, auto b) { return X(a, j) < X(b, j); });
            std::vector<double> rank(n);
            for (Eigen::Index k = 0; k < n; ++k) rank[by_value[k]] = n > 1 ? double(k) / double(n - 1) : 0.5;
            for (Eigen::Index r = 0; r < n; ++r) {
                jitter_state ^= jitter_state << 13, jitter_state ^= jitter_state >> 7, jitter_state ^= jitter_state << 17;
                const double jitter = (double(jitter_state % 1000) / 1000.0 - 0.5) * 0.6;
                out << shap(r, j) << '\t' << y + jitter << '\t' << rank[r] << '\n';
            }
        }
    }
    std::ofstream(script) << fmt::format(
        "set terminal pngcairo noenhanced size 1000,{} font 'sans,10'\nset output {}\nset title {}\n"
        "set xlabel 'SHAP value (impact on forecast, kW)'\nset ytics ({})\nset yrange [-0.7:{}]\n"
        "set grid xtics\nset xzeroaxis\nset palette defined (0 '#1f77b4', 0.5 '#9467bd', 1 '#d62728')\n"
        "set cbrange [0:1]\nset cblabel 'feature value (low to high)'\nset cbtics ('low' 0, 'high' 1)\nunset key\n"
        "plot {} using 1:2:3 with points pt 7 ps 0.35 lc palette\n",
        160 + 32 * order.size(), quoted(png), quoted(title), ytics, order.size() - 0.3, quoted(data));
    run_gnuplot(script);
    std::filesystem::remove(data);
    std::filesystem::remove(script);
}

}  // namespace voltedge::training
