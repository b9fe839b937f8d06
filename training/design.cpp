#include "training/design.h"

#include <algorithm>
#include <unordered_map>

namespace voltedge::training {

Design build_design(const std::vector<features::FeatureRow>& rows, LeadBucket bucket, int leads_per_target,
                    const models::InputLayout& layout) {
    const std::size_t width = models::model_features(layout).size();
    std::unordered_map<Minute, std::size_t> row_at;
    for (std::size_t i = 0; i < rows.size(); ++i) row_at[rows[i].hour] = i;
    std::vector<double> x, y, input(width);
    Design d{bucket, {}, {}, {}, {}, {}};
    for (const auto& target : rows) {
        if (std::isnan(target.load_kw)) continue;
        const int k = leads_per_target == kEveryLead ? bucket.width() : std::min(leads_per_target, bucket.width());
        const auto turn = static_cast<int>((target.hour / 60 * k) % bucket.width());  // the first of this target's leads
        for (int lead = bucket.first_lead; lead <= bucket.last_lead; ++lead) {
            if ((lead - bucket.first_lead - turn + bucket.width()) % bucket.width() >= k) continue;
            const auto origin = row_at.find(target.hour - 60 * (lead - 1));
            if (origin == row_at.end()) continue;
            models::fill_input(rows[origin->second], target.hour, lead, layout, input.data());
            if (std::any_of(input.begin(), input.end(), [](double v) { return std::isnan(v); })) continue;
            x.insert(x.end(), input.begin(), input.end());
            y.push_back(target.load_kw);
            d.target_hour.push_back(target.hour);
            d.lead.push_back(lead);
            d.imputed_minutes.push_back(target.imputed_minutes);
        }
    }
    const auto n = static_cast<Eigen::Index>(y.size());
    d.X = n ? Matrix(Eigen::Map<Matrix>(x.data(), n, static_cast<Eigen::Index>(width)))
            : Matrix(0, static_cast<Eigen::Index>(width));
    d.y = n ? Vector(Eigen::Map<Vector>(y.data(), n)) : Vector(0);
    return d;
}

}  // namespace voltedge::training
