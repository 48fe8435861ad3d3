// The training metrics log: metrics.csv (one row per logging window: step, loss, grad_norm, lr,
// ema_decay, seconds, it_per_s), rewritten atomically after every row, and its loss curve PNG.
// A resumed run keeps the rows of the earlier run up to the step it resumes from.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qdiff::diffusion {

struct MetricsRow {
  int64_t step;
  double loss, grad_norm, lr, ema_decay, seconds, it_per_s;
};

class MetricsLog {
 public:
  // Reads the rows an earlier run left in `path` (if any), keeps those with step <= keep_until,
  // and writes them back (0 for a fresh run: an empty log).
  MetricsLog(std::string path, int64_t keep_until);
  // Appends a row and rewrites the file.
  void add(const MetricsRow& row);
  // The loss against the step as a PNG; nothing while there is no finite loss to draw.
  void plot(const std::string& png) const;
  const std::vector<MetricsRow>& rows() const { return rows_; }

 private:
  void flush() const;
  std::string path_;
  std::vector<MetricsRow> rows_;
};

}  // namespace qdiff::diffusion
