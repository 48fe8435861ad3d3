// Helpers shared by the eval tests: reference-file access and random feature sets.
#pragma once
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/io/npz.hpp"
#include "support/test_support.hpp"

namespace qdiff::eval::testing {

inline const NpzFile& reference() {
  static NpzFile f(qdiff::test::repo_path("tests/data/metrics_reference.npz"));
  return f;
}

// A 2-d member as an [rows, cols] matrix (1-d members become a column).
inline Eigen::MatrixXd ref_matrix(const std::string& key) {
  const NpyArray a = reference().read(key);
  const int64_t rows = a.shape.empty() ? 1 : a.shape[0];
  const int64_t cols = a.shape.size() >= 2 ? a.numel() / rows : 1;
  Eigen::MatrixXd m(rows, cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m(i, j) = a.at(i * cols + j);
  return m;
}

inline Eigen::VectorXd ref_vector(const std::string& key) {
  const NpyArray a = reference().read(key);
  Eigen::VectorXd v(a.numel());
  for (int64_t i = 0; i < a.numel(); ++i) v(i) = a.at(i);
  return v;
}

// Rows of a [N, k] int64 member as index lists.
inline std::vector<std::vector<int64_t>> ref_index_lists(const std::string& key) {
  const NpyArray a = reference().read(key);
  const std::vector<int64_t> flat = a.to_int64();
  const int64_t rows = a.shape.at(0), cols = a.shape.at(1);
  std::vector<std::vector<int64_t>> out(rows);
  for (int64_t i = 0; i < rows; ++i) out[i].assign(flat.begin() + i * cols, flat.begin() + (i + 1) * cols);
  return out;
}

// n samples of N(mu, L L^T): rows are samples.
inline Eigen::MatrixXd gaussian_samples(Rng& rng, int64_t n, const Eigen::VectorXd& mu, const Eigen::MatrixXd& l) {
  const int64_t d = mu.size();
  Eigen::MatrixXd z(n, d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) z(i, j) = rng.normal();
  Eigen::MatrixXd x = z * l.transpose();
  x.rowwise() += mu.transpose();
  return x;
}

inline Eigen::MatrixXd random_matrix(Rng& rng, int64_t rows, int64_t cols) {
  Eigen::MatrixXd m(rows, cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m(i, j) = rng.normal();
  return m;
}

}  // namespace qdiff::eval::testing
