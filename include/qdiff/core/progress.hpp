// A progress bar with rate and ETA for long loops. On a terminal it redraws one line on
// stderr; when stderr is not a TTY (logs, CI) it prints a plain line every ~10% or 30 s.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace qdiff {

class Progress {
 public:
  Progress(std::string label, int64_t total, int64_t start = 0);
  ~Progress();
  // Reports that `done` of `total` units are finished; `extra` is shown after the bar.
  void update(int64_t done, const std::string& extra = "");
  // Ends the bar (prints the final line). Called by the destructor if not called before.
  void finish(const std::string& extra = "");
  // Units per second since construction.
  double rate() const;
  double elapsed_seconds() const;

  // Formats seconds as 1h02m, 3m05s or 4.2s.
  static std::string format_duration(double seconds);

 private:
  std::string label_;
  int64_t total_, start_, done_;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point t0_, last_draw_;
  int64_t last_plain_decile_ = -1;
  void draw(const std::string& extra, bool final);
};

}  // namespace qdiff
