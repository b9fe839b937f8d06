#pragma once
// Training designs: (target, lead) pairs the feature rows support, as model inputs (see
// models/feature_spec.h for the layout). No input of a forecast depends on a load later than T-lead: the
// leakage rule, tested in design_test.
#include <vector>

#include "features/feature_rows.h"
#include "models/feature_spec.h"
#include "models/matrix.h"

namespace voltedge::training {

using models::Matrix;
using models::Vector;

// One model serves the leads [first_lead, last_lead]. Its training rows take `leads_per_target` leads per
// target hour, in turn (target hour t gets leads first + (k t + j) mod width, j < k), so a wide bucket costs k
// times what one lead does and every lead is seen across the hours of the day; scoring takes every lead of
// every target (kEveryLead).
struct LeadBucket {
    int first_lead, last_lead;
    int width() const { return last_lead - first_lead + 1; }
};

// Rows are sorted by target hour, then lead (so the target hours of a time range are one block). A pair is
// kept when the target's load is known and its origin row exists with no missing value feature. `rows` must
// be sorted by hour (as load_feature_rows returns them).
struct Design {
    LeadBucket bucket;
    Matrix X;
    Vector y;
    std::vector<Minute> target_hour;
    std::vector<int> lead;
    std::vector<int> imputed_minutes;  // of each target hour (filled in by ingestion, not measured)
};
inline constexpr int kEveryLead = 0;
Design build_design(const std::vector<features::FeatureRow>& rows, LeadBucket bucket, int leads_per_target,
                    const models::InputLayout& layout);

}  // namespace voltedge::training
