// SSIM (Wang et al. 2004) between image sets: nearest-reference SSIM (quality / memorisation)
// and mean pairwise SSIM among generated images (diversity).
//
// Convention: exactly skimage.metrics.structural_similarity(x, y, data_range=2,
// gaussian_weights=True, sigma=1.5, use_sample_covariance=False, channel_axis=0) in float64:
//  - Gaussian window sigma 1.5 truncated at 3.5 sigma -> 11 taps (scipy.ndimage weights,
//    normalised to sum 1), applied separably;
//  - local statistics are population (weighted) moments: v = E_w[x^2] - E_w[x]^2;
//  - C1 = (K1 R)^2, C2 = (K2 R)^2 with K1 = 0.01, K2 = 0.03 and R = data_range (2 for [-1, 1]);
//  - only 'valid' window positions are averaged (skimage crops the 5-pixel border of its
//    reflect-padded map, which leaves exactly the positions whose window fits in the image);
//  - several channels: SSIM per channel, then the mean over channels.
// Images are float [N, C, H, W], C order; computation is in double.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace qdiff::eval {

// A non-owning view of N images [N, C, H, W].
struct ImageView {
  std::span<const float> data;
  int64_t n = 0, c = 0, h = 0, w = 0;

  ImageView() = default;
  // Throws InvalidArgument if data.size() != n*c*h*w or a dimension is < 1.
  ImageView(std::span<const float> values, int64_t n, int64_t c, int64_t h, int64_t w);
  int64_t image_size() const { return c * h * w; }
  const float* image(int64_t i) const { return data.data() + i * image_size(); }
};

struct SsimOptions {
  double data_range = 2.0;  // images in [-1, 1]
  double sigma = 1.5;
  double truncate = 3.5;    // window radius = int(truncate * sigma + 0.5) -> 11 taps
  double k1 = 0.01;
  double k2 = 0.03;
  int window_size() const;
};

// Throws InvalidArgument naming `what` for an empty set, NaN/Inf pixels or images smaller
// than the window.
void check_images(const ImageView& images, const std::string& what, const SsimOptions& opt = {});

// SSIM of two single images of shape [C, H, W].
double ssim(const float* x, const float* y, int64_t c, int64_t h, int64_t w,
            const SsimOptions& opt = {});

// [a.n, b.n] matrix of SSIM(a_i, b_j).
Eigen::MatrixXd ssim_matrix(const ImageView& a, const ImageView& b, const SsimOptions& opt = {});

struct NearestSsim {
  std::vector<double> max_ssim;  // [n_gen]: max_j SSIM(gen_i, ref_j)
  std::vector<int64_t> argmax;   // [n_gen]: that j (lowest index on ties)
  double mean_max = 0;           // mean of max_ssim
};
// For each generated image the most similar reference image. O(n_gen * n_ref), OpenMP.
NearestSsim nearest_ssim(const ImageView& gen, const ImageView& ref, const SsimOptions& opt = {});

struct PairwiseSsim {
  double mean = 0;  // mean SSIM over unordered pairs i < j (SSIM is symmetric)
  double std = 0;   // population std over those pairs
  int64_t n_pairs = 0;
};
// Diversity of one set: needs at least 2 images. O(n^2 / 2), OpenMP.
PairwiseSsim pairwise_ssim(const ImageView& gen, const SsimOptions& opt = {});

}  // namespace qdiff::eval
