#pragma once
// PNG plots for the MLflow runs, drawn by gnuplot (pngcairo).
#include <array>
#include <string>
#include <vector>

#include "core/civil_time.h"
#include "training/design.h"

namespace voltedge::training {

// `bands` (empty, or one per hour: lower_80, upper_80, lower_95, upper_95) are shaded behind the forecast.
void plot_forecast_vs_actual(const std::string& png, const std::string& title, const std::vector<Minute>& hours,
                             const std::vector<double>& actual, const std::vector<double>& predicted,
                             const std::vector<std::array<double, 4>>& bands = {});

// MAE by lead (1..48 h), one line per model; `mae[m][i]` is model m's MAE at lead i + 1.
void plot_mae_by_lead(const std::string& png, const std::string& title, const std::vector<std::string>& models,
                      const std::vector<std::vector<double>>& mae);

// The usual SHAP summary ("beeswarm"): one line per feature, the most important (mean |SHAP|) on top,
// a dot per row at its SHAP value, coloured by the feature's value (low blue .. high red, by rank).
void plot_shap_summary(const std::string& png, const std::string& title, const std::vector<std::string>& names, const Matrix& X,
                       const Matrix& shap, int max_features = 15);

}  // namespace voltedge::training
