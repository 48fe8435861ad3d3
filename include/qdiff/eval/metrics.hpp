// Distribution metrics on feature vectors: FID, KID and k-NN precision/recall.
// Pure numerics (Eigen, double precision); knows nothing about the network that made the
// features. Every matrix is [N, D]: one row per sample, one column per feature.
//
// Conventions (each checked against numpy/scipy by scripts/reference_metrics.py):
//  - FID (Heusel et al. 2017): ||mu1-mu2||^2 + tr S1 + tr S2 - 2 tr((S1^1/2 S2 S1^1/2)^1/2), S with
//    N-1 normalisation (numpy.cov). Square roots via symmetric eigendecomposition with tiny negative
//    eigenvalues clamped to 0, so the result is always real. Equal to tr sqrtm(S1 S2) of pytorch-fid.
//  - KID (Binkowski et al. 2018): unbiased MMD^2 with k(x,y) = (x.y/D + 1)^3 on random subsets of
//    size m drawn without replacement, independently for each set; mean and population std
//    (ddof = 0) over subsets -- the torch-fidelity definition (clean-fid reports the same mean).
//  - Precision/recall (Kynkaanniemi et al. 2019): radius of a sample = Euclidean distance to its
//    k-th nearest neighbour in its own set, self excluded (duplicates count as neighbours).
//    precision = share of generated samples within the radius of some real sample (<=),
//    recall = share of real samples within the radius of some generated sample.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/core/rng.hpp"

namespace qdiff::eval {

// Throws InvalidArgument naming `what` if x has no rows or columns or holds NaN/Inf.
void check_features(const Eigen::MatrixXd& x, const std::string& what);
// Both sets valid (check_features) and with the same number of columns.
void check_feature_pair(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen);

// ---- FID ---------------------------------------------------------------------------------
struct GaussianFit {
  Eigen::VectorXd mean;  // [D]
  Eigen::MatrixXd cov;   // [D, D], N-1 normalisation
  int64_t n = 0;         // samples it was fitted on
};
// Needs at least 2 samples.
GaussianFit fit_gaussian(const Eigen::MatrixXd& x, const std::string& what = "features");

// Square root of a symmetric positive semi-definite matrix (symmetrised first; eigenvalues
// below 0 are treated as rounding and clamped to 0).
Eigen::MatrixXd sqrtm_psd(const Eigen::MatrixXd& a);

struct FidResult {
  double fid = 0;         // mean_term + trace_real + trace_gen - 2 trace_sqrt, clamped at >= 0
  double mean_term = 0;   // ||mu1 - mu2||^2
  double trace_real = 0;  // tr S1
  double trace_gen = 0;   // tr S2
  double trace_sqrt = 0;  // tr((S1^1/2 S2 S1^1/2)^1/2)
};
// Frechet distance between N(mu1, s1) and N(mu2, s2) given directly.
FidResult frechet_distance(const Eigen::VectorXd& mu1, const Eigen::MatrixXd& s1,
                           const Eigen::VectorXd& mu2, const Eigen::MatrixXd& s2);
// real_sqrt: sqrtm_psd(real.cov) when the caller already has it (one eigendecomposition fewer per
// call, for repeated distances to the same reference).
FidResult frechet_distance(const GaussianFit& real, const GaussianFit& gen, const Eigen::MatrixXd* real_sqrt = nullptr);
// FID between two feature sets (each needs >= 2 rows).
FidResult fid(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen);

// Empty string when the counts are fine; otherwise a one-line explanation for the log.
// Warns when a set has fewer samples than `min_samples` (FID is biased upwards roughly like
// D/N and its value is not comparable across sample counts) or no more samples than
// feature_dim (the covariance estimate is singular).
std::string fid_sample_warning(int64_t n_real, int64_t n_gen, int64_t feature_dim,
                               int64_t min_samples = 500);

// ---- KID ---------------------------------------------------------------------------------
// Unbiased MMD^2 between x and y ([m, D] each, m >= 2) with the cubic polynomial kernel:
// (sum_{i!=j} k(x_i,x_j) + sum_{i!=j} k(y_i,y_j)) / (m(m-1)) - 2 sum_{i,j} k(x_i,y_j) / m^2.
double polynomial_mmd2_unbiased(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y);

struct KidResult {
  double mean = 0;                  // mean of subset_values
  double std = 0;                   // population std (ddof = 0) of subset_values
  int64_t subset_size = 0;
  std::vector<double> subset_values;  // MMD^2 of each subset pair
};
// n_subsets random subset pairs of `subset_size` rows each (2 <= subset_size <= both counts).
KidResult kid(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen, int64_t n_subsets,
              int64_t subset_size, Rng& rng);
// Same with explicit row indices: real_subsets[s] and gen_subsets[s] index subset s.
KidResult kid_from_subsets(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen,
                           const std::vector<std::vector<int64_t>>& real_subsets,
                           const std::vector<std::vector<int64_t>>& gen_subsets);
// min(1000, n_real, n_gen): the usual subset size.
int64_t default_kid_subset_size(int64_t n_real, int64_t n_gen);
// m distinct indices from [0, n) in random order (partial Fisher-Yates).
std::vector<int64_t> sample_without_replacement(int64_t n, int64_t m, Rng& rng);

// ---- precision / recall ------------------------------------------------------------------
// Distance of each row to its k-th nearest other row: [N]. Needs 1 <= k < N.
Eigen::VectorXd knn_radii(const Eigen::MatrixXd& x, int k, const std::string& what = "features");

struct PrecisionRecall {
  double precision = 0;
  double recall = 0;
  int k = 3;
};
PrecisionRecall precision_recall(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen, int k = 3);

}  // namespace qdiff::eval
