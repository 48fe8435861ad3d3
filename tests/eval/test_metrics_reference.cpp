// Every metric against numbers computed independently by scripts/reference_metrics.py
// (numpy/scipy/skimage) on the fixed arrays stored in tests/data/metrics_reference.npz.
#include <gtest/gtest.h>

#include "eval_test_util.hpp"
#include "qdiff/eval/metrics.hpp"
#include "qdiff/eval/ssim.hpp"
#include "qdiff/eval/stats.hpp"

namespace qdiff::eval {
namespace {

using testing::ref_index_lists;
using testing::ref_matrix;
using testing::ref_vector;
using testing::reference;

void expect_fid_matches(const FidResult& r, const Eigen::VectorXd& e) {
  // e = [fid, mean_term, tr S1, tr S2, tr sqrt] from scipy.linalg.sqrtm(S1 @ S2)
  const double scale = std::max(1.0, e(2) + e(3));
  EXPECT_NEAR(r.fid, e(0), 1e-9 * scale);
  EXPECT_NEAR(r.mean_term, e(1), 1e-9 * scale);
  EXPECT_NEAR(r.trace_real, e(2), 1e-9 * scale);
  EXPECT_NEAR(r.trace_gen, e(3), 1e-9 * scale);
  EXPECT_NEAR(r.trace_sqrt, e(4), 1e-9 * scale);
}

TEST(Reference, FidOnFeatures) {
  expect_fid_matches(fid(ref_matrix("fid_real"), ref_matrix("fid_gen")), ref_vector("fid_expected"));
}

TEST(Reference, FidFromNonCommutingMoments) {
  expect_fid_matches(frechet_distance(ref_vector("gauss_mu1"), ref_matrix("gauss_s1"), ref_vector("gauss_mu2"),
                                      ref_matrix("gauss_s2")),
                     ref_vector("gauss_expected"));
}

TEST(Reference, KidOnExplicitSubsets) {
  const KidResult r = kid_from_subsets(ref_matrix("kid_real"), ref_matrix("kid_gen"),
                                       ref_index_lists("kid_real_idx"), ref_index_lists("kid_gen_idx"));
  const Eigen::VectorXd per = ref_vector("kid_subset_values"), e = ref_vector("kid_expected");
  ASSERT_EQ(Eigen::Index(r.subset_values.size()), per.size());
  for (Eigen::Index s = 0; s < per.size(); ++s) EXPECT_NEAR(r.subset_values[s], per(s), 1e-9) << "subset " << s;
  EXPECT_NEAR(r.mean, e(0), 1e-9);
  EXPECT_NEAR(r.std, e(1), 1e-9);
  EXPECT_EQ(r.subset_size, 20);
}

TEST(Reference, PrecisionRecall) {
  const Eigen::MatrixXd real = ref_matrix("pr_real"), gen = ref_matrix("pr_gen");
  for (int k : {3, 5}) {
    const Eigen::VectorXd e = ref_vector("pr_expected_k" + std::to_string(k));
    const PrecisionRecall r = precision_recall(real, gen, k);
    EXPECT_DOUBLE_EQ(r.precision, e(0)) << "k=" << k;
    EXPECT_DOUBLE_EQ(r.recall, e(1)) << "k=" << k;
  }
  const Eigen::VectorXd radii = knn_radii(real, 3), e = ref_vector("pr_real_radii_k3");
  ASSERT_EQ(radii.size(), e.size());
  EXPECT_LT((radii - e).cwiseAbs().maxCoeff(), 1e-9);
}

struct RefImages {
  std::vector<float> values;
  ImageView view;
};
RefImages ref_images(const std::string& key) {
  const NpyArray a = reference().read(key);
  RefImages r;
  r.values = a.to_float();
  r.view = ImageView(r.values, a.shape.at(0), a.shape.at(1), a.shape.at(2), a.shape.at(3));
  return r;
}

class ReferenceSsim : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceSsim, MatrixNearestAndPairwise) {
  const std::string name = GetParam();
  const RefImages ref = ref_images("ssim_" + name + "_ref"), gen = ref_images("ssim_" + name + "_gen");
  const Eigen::MatrixXd expected = ref_matrix("ssim_" + name + "_matrix");
  const Eigen::MatrixXd m = ssim_matrix(gen.view, ref.view);
  ASSERT_EQ(m.rows(), expected.rows());
  ASSERT_EQ(m.cols(), expected.cols());
  EXPECT_LT((m - expected).cwiseAbs().maxCoeff(), 1e-9) << "ours\n" << m << "\nreference\n" << expected;

  const NearestSsim nn = nearest_ssim(gen.view, ref.view);
  const Eigen::VectorXd emax = ref_vector("ssim_" + name + "_max");
  const std::vector<int64_t> earg = reference().read("ssim_" + name + "_argmax").to_int64();
  for (int64_t i = 0; i < gen.view.n; ++i) {
    EXPECT_NEAR(nn.max_ssim[i], emax(i), 1e-9) << "image " << i;
    EXPECT_EQ(nn.argmax[i], earg[i]) << "image " << i;
  }
  EXPECT_NEAR(nn.mean_max, emax.mean(), 1e-9);

  const PairwiseSsim pw = pairwise_ssim(gen.view);
  const Eigen::VectorXd epw = ref_vector("ssim_" + name + "_pairwise");
  EXPECT_NEAR(pw.mean, epw(0), 1e-9);
  EXPECT_NEAR(pw.std, epw(1), 1e-9);
  EXPECT_EQ(pw.n_pairs, gen.view.n * (gen.view.n - 1) / 2);
}

INSTANTIATE_TEST_SUITE_P(GreyAndColour, ReferenceSsim, ::testing::Values("grey", "colour"));

TEST(Reference, ReferenceWasMadeWithSkimage) {
  // The script cross-checks its scipy SSIM against skimage when skimage is installed; record
  // whether the committed numbers went through that check.
  EXPECT_EQ(ref_vector("meta_used_skimage")(0), 1.0);
}

TEST(Reference, StudentTQuantiles) {
  const Eigen::VectorXd dfs = ref_vector("t_df"), ps = ref_vector("t_p");
  const Eigen::MatrixXd q = ref_matrix("t_quantiles");
  for (Eigen::Index i = 0; i < dfs.size(); ++i)
    for (Eigen::Index j = 0; j < ps.size(); ++j)
      EXPECT_NEAR(student_t_quantile(ps(j), dfs(i)), q(i, j), 1e-9 * std::max(1.0, std::abs(q(i, j))))
          << "df " << dfs(i) << " p " << ps(j);
}

TEST(Reference, MeanIntervalOverSeeds) {
  const Eigen::VectorXd v = ref_vector("ci_values"), e = ref_vector("ci_expected");
  const MeanInterval r = mean_interval(std::span<const double>(v.data(), size_t(v.size())));
  EXPECT_NEAR(r.mean, e(0), 1e-12);
  EXPECT_NEAR(r.std, e(1), 1e-12);
  EXPECT_NEAR(r.lo, e(2), 1e-9);
  EXPECT_NEAR(r.hi, e(3), 1e-9);
  EXPECT_EQ(r.n, v.size());
}

}  // namespace
}  // namespace qdiff::eval
