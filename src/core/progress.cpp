#include "qdiff/core/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace qdiff {

Progress::Progress(std::string label, int64_t total, int64_t start)
    : label_(std::move(label)), total_(total), start_(start), done_(start),
      tty_(::isatty(STDERR_FILENO) != 0), t0_(std::chrono::steady_clock::now()),
      last_draw_(t0_ - std::chrono::seconds(10)) {}

Progress::~Progress() {
  if (!finished_) finish();
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

double Progress::rate() const {
  const double t = elapsed_seconds();
  return t > 0 ? static_cast<double>(done_ - start_) / t : 0.0;
}

std::string Progress::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

void Progress::update(int64_t done, const std::string& extra) {
  done_ = done;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
    last_draw_ = now;
    draw(extra, false);
    return;
  }
  const int64_t decile = total_ > 0 ? (10 * done_) / total_ : 0;
  if (decile != last_plain_decile_ || now - last_draw_ > std::chrono::seconds(30)) {
    last_plain_decile_ = decile;
    last_draw_ = now;
    draw(extra, false);
  }
}

void Progress::finish(const std::string& extra) {
  if (finished_) return;
  finished_ = true;
  draw(extra, true);
}

void Progress::draw(const std::string& extra, bool final) {
  const double r = rate();
  const double eta = r > 0 ? static_cast<double>(total_ - done_) / r : NAN;
  const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(done_) / total_) : 1.0;
  char line[512];
  if (tty_) {
    constexpr int kWidth = 24;
    const int fill = static_cast<int>(frac * kWidth);
    std::string bar(fill, '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof line, "\r%s [%s] %lld/%lld %.2f it/s %s %s %s\033[K", label_.c_str(),
                  bar.c_str(), (long long)done_, (long long)total_, r,
                  final ? "took" : "ETA",
                  format_duration(final ? elapsed_seconds() : eta).c_str(), extra.c_str());
    std::fputs(line, stderr);
    if (final) std::fputc('\n', stderr);
  } else {
    std::snprintf(line, sizeof line, "%s %lld/%lld (%3.0f%%) %.2f it/s %s %s %s\n", label_.c_str(),
                  (long long)done_, (long long)total_, 100.0 * frac, r, final ? "took" : "ETA",
                  format_duration(final ? elapsed_seconds() : eta).c_str(), extra.c_str());
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace qdiff
