// One evaluation of generated images against a reference set: every metric `qdiff eval` and the
// sweeps report, as JSON (machine-readable) plus a human table.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qdiff/io/dataset.hpp"

namespace qdiff::eval {

struct EvalOptions {
  bool fid = true, kid = true, prc = true, ssim = true, classify = true;
  std::string features = "";  // feature network file, or "pixels"
  int64_t kid_subsets = 100;
  int prc_k = 3;
  int64_t fid_groups = 20;     // jackknife groups for the FID interval (0 = none; see stats.hpp)
  uint64_t seed = 0;           // KID subsets and jackknife groups
};

// samples and reference: [N,C,H,W] in [-1,1] with matching C, H, W (InvalidArgument otherwise).
// Returns {"n_samples", "n_reference", "features", "fid": {...}, "kid": {...}, "precision",
// "recall", "ssim": {...}, "classifier": {...}, "warnings": [...]}; keys only for metrics asked for.
// "fid": {"value" (plain FID of all samples), "mean_term", "trace_term", "jackknife": {"corrected",
// "se", "ci95": [lo, hi], "groups", "meaning"}} (fid_jackknife); "classifier": {"histogram",
// "entropy_bits" (of the predicted-class histogram: mode coverage), "max_entropy_bits",
// "mean_confidence"}.
nlohmann::json evaluate(const ImageSet& samples, const ImageSet& reference, const EvalOptions& opt);

// Entropy in bits of a histogram's normalised counts (0 for an empty histogram).
double entropy_bits(const std::vector<int64_t>& histogram);

// A readable multi-line summary of evaluate()'s JSON.
std::string format_report(const nlohmann::json& report);

// The shipped feature network for a data file: data/features/<stem>.bin next to the data
// ("" when there is none).
std::string default_feature_net(const std::string& data_path);

}  // namespace qdiff::eval
