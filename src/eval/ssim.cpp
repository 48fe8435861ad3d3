// SSIM between image sets. Each image is prepared once (pixels in double, windowed means and
// variances at the valid positions); a pair then costs one separable Gaussian filter of the
// product image: ~9k multiply-adds for 28x28.
#include "qdiff/eval/ssim.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "qdiff/core/error.hpp"

namespace qdiff::eval {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument(msg); }

// Geometry and constants shared by all pairs of one computation.
struct Plan {
  int64_t c, h, w;
  int taps;        // window size (odd)
  int64_t ho, wo;  // valid output size: h - taps + 1, w - taps + 1
  std::vector<double> weights;  // [taps], sum 1
  double c1, c2;
};

Plan make_plan(int64_t c, int64_t h, int64_t w, const SsimOptions& opt) {
  Plan p;
  p.c = c;
  p.h = h;
  p.w = w;
  p.taps = opt.window_size();
  p.ho = h - p.taps + 1;
  p.wo = w - p.taps + 1;
  // scipy.ndimage.gaussian_filter1d: exp(-x^2 / (2 sigma^2)) for x in [-r, r], normalised.
  const int r = p.taps / 2;
  p.weights.resize(p.taps);
  double sum = 0;
  for (int t = -r; t <= r; ++t) sum += p.weights[t + r] = std::exp(-0.5 * double(t * t) / (opt.sigma * opt.sigma));
  for (double& v : p.weights) v /= sum;
  p.c1 = (opt.k1 * opt.data_range) * (opt.k1 * opt.data_range);
  p.c2 = (opt.k2 * opt.data_range) * (opt.k2 * opt.data_range);
  return p;
}

// Compile-time sized version of filter_valid for the common 28x28 / 11-tap case: the compiler
// unrolls the tap loops and vectorises the 18-wide rows completely.
template <int H, int W, int T>
void filter_valid_fixed(const double* __restrict wt, const double* __restrict in, double* __restrict tmp,
                        double* __restrict out) {
  constexpr int HO = H - T + 1, WO = W - T + 1;
  for (int r = 0; r < H; ++r) {
    double acc[WO];
    for (int x = 0; x < WO; ++x) acc[x] = wt[0] * in[r * W + x];
    for (int t = 1; t < T; ++t)
      for (int x = 0; x < WO; ++x) acc[x] += wt[t] * in[r * W + x + t];
    for (int x = 0; x < WO; ++x) tmp[r * WO + x] = acc[x];
  }
  for (int y = 0; y < HO; ++y) {
    double acc[WO];
    for (int x = 0; x < WO; ++x) acc[x] = wt[0] * tmp[y * WO + x];
    for (int t = 1; t < T; ++t)
      for (int x = 0; x < WO; ++x) acc[x] += wt[t] * tmp[(y + t) * WO + x];
    for (int x = 0; x < WO; ++x) out[y * WO + x] = acc[x];
  }
}

void filter_valid_generic(const Plan& p, const double* in, double* tmp, double* out);

// out[ho, wo] = valid separable Gaussian filter of in[h, w]; tmp holds h * wo doubles.
void filter_valid(const Plan& p, const double* in, double* tmp, double* out) {
  if (p.taps == 11 && p.h == 28 && p.w == 28)
    filter_valid_fixed<28, 28, 11>(p.weights.data(), in, tmp, out);
  else
    filter_valid_generic(p, in, tmp, out);
}

void filter_valid_generic(const Plan& p, const double* in, double* tmp, double* out) {
  const int64_t h = p.h, w = p.w, ho = p.ho, wo = p.wo;
  const double* wt = p.weights.data();
  for (int64_t r = 0; r < h; ++r) {  // horizontal: tmp[r][x] = sum_t w[t] in[r][x + t]
    double* dst = tmp + r * wo;
    const double* src = in + r * w;
    for (int64_t x = 0; x < wo; ++x) dst[x] = wt[0] * src[x];
    for (int t = 1; t < p.taps; ++t)
      for (int64_t x = 0; x < wo; ++x) dst[x] += wt[t] * src[x + t];
  }
  for (int64_t y = 0; y < ho; ++y) {  // vertical: out[y][x] = sum_t w[t] tmp[y + t][x]
    double* dst = out + y * wo;
    for (int64_t x = 0; x < wo; ++x) dst[x] = wt[0] * tmp[y * wo + x];
    for (int t = 1; t < p.taps; ++t) {
      const double* src = tmp + (y + t) * wo;
      for (int64_t x = 0; x < wo; ++x) dst[x] += wt[t] * src[x];
    }
  }
}

// One image ready for pairing: pixels, windowed mean and variance per channel.
struct Prepared {
  std::vector<double> pix;  // [c, h, w]
  std::vector<double> mu;   // [c, ho, wo]
  std::vector<double> var;  // [c, ho, wo]: E_w[x^2] - E_w[x]^2
};

struct Scratch {
  std::vector<double> prod, tmp, out;
  explicit Scratch(const Plan& p) : prod(p.h * p.w), tmp(p.h * p.wo), out(p.ho * p.wo) {}
};

Prepared prepare(const Plan& p, const float* img, Scratch& s) {
  Prepared q;
  const int64_t hw = p.h * p.w, v = p.ho * p.wo;
  q.pix.assign(img, img + p.c * hw);
  q.mu.resize(p.c * v);
  q.var.resize(p.c * v);
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const double* x = q.pix.data() + ch * hw;
    filter_valid(p, x, s.tmp.data(), q.mu.data() + ch * v);
    for (int64_t i = 0; i < hw; ++i) s.prod[i] = x[i] * x[i];
    filter_valid(p, s.prod.data(), s.tmp.data(), s.out.data());
    for (int64_t i = 0; i < v; ++i) {
      const double m = q.mu[ch * v + i];
      q.var[ch * v + i] = s.out[i] - m * m;
    }
  }
  return q;
}

std::vector<Prepared> prepare_all(const Plan& p, const ImageView& set) {
  std::vector<Prepared> out(set.n);
#pragma omp parallel
  {
    Scratch s(p);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < set.n; ++i) out[i] = prepare(p, set.image(i), s);
  }
  return out;
}

// Mean over channels of the mean SSIM map over valid positions.
double pair_ssim(const Plan& p, const Prepared& a, const Prepared& b, Scratch& s) {
  const int64_t hw = p.h * p.w, v = p.ho * p.wo;
  double total = 0;
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const double* x = a.pix.data() + ch * hw;
    const double* y = b.pix.data() + ch * hw;
    for (int64_t i = 0; i < hw; ++i) s.prod[i] = x[i] * y[i];
    filter_valid(p, s.prod.data(), s.tmp.data(), s.out.data());
    const double *mx = a.mu.data() + ch * v, *my = b.mu.data() + ch * v;
    const double *vx = a.var.data() + ch * v, *vy = b.var.data() + ch * v;
    double sum = 0;
    for (int64_t i = 0; i < v; ++i) {
      const double cov = s.out[i] - mx[i] * my[i];
      const double num = (2.0 * mx[i] * my[i] + p.c1) * (2.0 * cov + p.c2);
      const double den = (mx[i] * mx[i] + my[i] * my[i] + p.c1) * (vx[i] + vy[i] + p.c2);
      sum += num / den;
    }
    total += sum / double(v);
  }
  return total / double(p.c);
}

void check_compatible(const ImageView& gen, const ImageView& ref) {
  if (gen.c != ref.c) {
    std::ostringstream os;
    os << "SSIM: channel mismatch: generated images have " << gen.c << " channel(s), reference images have "
       << ref.c;
    fail(os.str());
  }
  if (gen.h != ref.h || gen.w != ref.w) {
    std::ostringstream os;
    os << "SSIM: image size mismatch: generated images are " << gen.h << "x" << gen.w
       << ", reference images are " << ref.h << "x" << ref.w;
    fail(os.str());
  }
}

}  // namespace

ImageView::ImageView(std::span<const float> values, int64_t n_, int64_t c_, int64_t h_, int64_t w_)
    : data(values), n(n_), c(c_), h(h_), w(w_) {
  if (n < 0 || c < 1 || h < 1 || w < 1) {
    std::ostringstream os;
    os << "image set shape [" << n << ", " << c << ", " << h << ", " << w << "] is invalid";
    fail(os.str());
  }
  if (int64_t(values.size()) != n * c * h * w) {
    std::ostringstream os;
    os << "image set shape [" << n << ", " << c << ", " << h << ", " << w << "] needs " << n * c * h * w
       << " values, got " << values.size();
    fail(os.str());
  }
}

int SsimOptions::window_size() const { return 2 * int(truncate * sigma + 0.5) + 1; }

void check_images(const ImageView& images, const std::string& what, const SsimOptions& opt) {
  if (images.n == 0) fail(what + " are empty (0 images)");
  if (!(opt.data_range > 0) || !(opt.sigma > 0) || !(opt.truncate > 0) || opt.k1 < 0 || opt.k2 < 0)
    fail("SSIM: invalid options (data_range, sigma and truncate must be > 0, K1 and K2 >= 0)");
  const int win = opt.window_size();
  if (images.h < win || images.w < win) {
    std::ostringstream os;
    os << what << " are " << images.h << "x" << images.w << ", smaller than the " << win << "x" << win
       << " SSIM window";
    fail(os.str());
  }
  for (size_t i = 0; i < images.data.size(); ++i)
    if (!std::isfinite(images.data[i])) {
      std::ostringstream os;
      os << what << " contain NaN/Inf (image " << int64_t(i) / images.image_size() << ", flat index " << i << ")";
      fail(os.str());
    }
}

double ssim(const float* x, const float* y, int64_t c, int64_t h, int64_t w, const SsimOptions& opt) {
  const ImageView a(std::span<const float>(x, size_t(c * h * w)), 1, c, h, w);
  const ImageView b(std::span<const float>(y, size_t(c * h * w)), 1, c, h, w);
  check_images(a, "first image", opt);
  check_images(b, "second image", opt);
  const Plan p = make_plan(c, h, w, opt);
  Scratch s(p);
  const Prepared pa = prepare(p, x, s), pb = prepare(p, y, s);
  return pair_ssim(p, pa, pb, s);
}

Eigen::MatrixXd ssim_matrix(const ImageView& a, const ImageView& b, const SsimOptions& opt) {
  check_images(a, "generated images", opt);
  check_images(b, "reference images", opt);
  check_compatible(a, b);
  const Plan p = make_plan(a.c, a.h, a.w, opt);
  const std::vector<Prepared> pa = prepare_all(p, a), pb = prepare_all(p, b);
  Eigen::MatrixXd m(a.n, b.n);
#pragma omp parallel
  {
    Scratch s(p);
#pragma omp for schedule(dynamic, 4)
    for (int64_t i = 0; i < a.n; ++i)
      for (int64_t j = 0; j < b.n; ++j) m(i, j) = pair_ssim(p, pa[i], pb[j], s);
  }
  return m;
}

NearestSsim nearest_ssim(const ImageView& gen, const ImageView& ref, const SsimOptions& opt) {
  check_images(gen, "generated images", opt);
  check_images(ref, "reference images", opt);
  check_compatible(gen, ref);
  const Plan p = make_plan(gen.c, gen.h, gen.w, opt);
  const std::vector<Prepared> pg = prepare_all(p, gen), pr = prepare_all(p, ref);
  NearestSsim r;
  r.max_ssim.assign(gen.n, -std::numeric_limits<double>::infinity());
  r.argmax.assign(gen.n, 0);
#pragma omp parallel
  {
    Scratch s(p);
#pragma omp for schedule(dynamic, 4)
    for (int64_t i = 0; i < gen.n; ++i) {
      double best = -std::numeric_limits<double>::infinity();
      int64_t arg = 0;
      for (int64_t j = 0; j < ref.n; ++j) {
        const double v = pair_ssim(p, pg[i], pr[j], s);
        if (v > best) best = v, arg = j;
      }
      r.max_ssim[i] = best;
      r.argmax[i] = arg;
    }
  }
  double sum = 0;
  for (double v : r.max_ssim) sum += v;
  r.mean_max = sum / double(gen.n);
  return r;
}

PairwiseSsim pairwise_ssim(const ImageView& gen, const SsimOptions& opt) {
  check_images(gen, "generated images", opt);
  if (gen.n < 2) fail("SSIM diversity needs at least 2 generated images, got " + std::to_string(gen.n));
  const Plan p = make_plan(gen.c, gen.h, gen.w, opt);
  const std::vector<Prepared> pg = prepare_all(p, gen);
  const int64_t n = gen.n;
  // Row i holds the pairs (i, j > i). Each row's count, mean and sum of squared deviations are
  // computed in two passes, then rows are merged in order (Chan et al.'s pairwise update): memory
  // O(n) instead of O(n^2), and the result does not depend on the thread count.
  std::vector<double> row_mean(n, 0.0), row_m2(n, 0.0);
#pragma omp parallel
  {
    Scratch s(p);
    std::vector<double> vals(n);
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < n - 1; ++i) {
      const int64_t cnt = n - 1 - i;
      double sum = 0;
      for (int64_t j = i + 1; j < n; ++j) sum += vals[j - i - 1] = pair_ssim(p, pg[i], pg[j], s);
      const double mean = sum / double(cnt);
      double m2 = 0;
      for (int64_t t = 0; t < cnt; ++t) m2 += (vals[t] - mean) * (vals[t] - mean);
      row_mean[i] = mean;
      row_m2[i] = m2;
    }
  }
  double count = 0, mean = 0, m2 = 0;
  for (int64_t i = 0; i < n - 1; ++i) {
    const double cb = double(n - 1 - i), delta = row_mean[i] - mean, total = count + cb;
    mean += delta * cb / total;
    m2 += row_m2[i] + delta * delta * count * cb / total;
    count = total;
  }
  PairwiseSsim r;
  r.n_pairs = n * (n - 1) / 2;
  r.mean = mean;
  r.std = std::sqrt(m2 / double(r.n_pairs));
  return r;
}

}  // namespace qdiff::eval
