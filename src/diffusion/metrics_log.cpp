#include "qdiff/diffusion/metrics_log.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/io/plot.hpp"

namespace qdiff::diffusion {

MetricsLog::MetricsLog(std::string path, int64_t keep_until) : path_(std::move(path)) {
  std::ifstream in(path_);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    MetricsRow r{};
    if (std::sscanf(line.c_str(), "%lld,%lf,%lf,%lf,%lf,%lf,%lf", reinterpret_cast<long long*>(&r.step), &r.loss,
                    &r.grad_norm, &r.lr, &r.ema_decay, &r.seconds, &r.it_per_s) == 7 &&
        r.step <= keep_until)
      rows_.push_back(r);
  }
  flush();
}

void MetricsLog::add(const MetricsRow& row) {
  rows_.push_back(row);
  flush();
}

void MetricsLog::plot(const std::string& png) const {
  if (rows_.empty()) return;
  Series s;
  s.label = "training loss";
  for (const auto& r : rows_) s.x.push_back(static_cast<double>(r.step)), s.y.push_back(r.loss);
  try {
    write_line_plot(png, {s}, {"eps-prediction MSE", "step", "loss", 720, 440, false, true, {}});
  } catch (const InvalidArgument&) {
    // nothing finite to draw yet
  }
}

void MetricsLog::flush() const {
  std::ostringstream o;
  o << "step,loss,grad_norm,lr,ema_decay,seconds,it_per_s\n";
  char buf[256];
  for (const auto& r : rows_) {
    std::snprintf(buf, sizeof buf, "%lld,%.8g,%.6g,%.6g,%.6g,%.3f,%.4g\n", static_cast<long long>(r.step), r.loss,
                  r.grad_norm, r.lr, r.ema_decay, r.seconds, r.it_per_s);
    o << buf;
  }
  write_file_atomic(path_, o.str());
}

}  // namespace qdiff::diffusion
