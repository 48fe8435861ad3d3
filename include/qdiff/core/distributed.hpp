// Multi-process runs over MPI (optional at build time: QDIFF_HAVE_MPI). Without MPI, or when a
// program is started without mpirun, the world is one process and every call is a no-op copy.
// Used by data-parallel training (gradient all-reduce) and by sweeps (dynamic cell assignment).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qdiff {

class Distributed {
 public:
  // Initializes MPI when built with it (call once from main); safe to call without mpirun.
  static void init(int* argc, char*** argv);
  static void finalize();
  static int rank();
  static int size();
  static bool is_root() { return rank() == 0; }
  static bool available();  // built with MPI

  // In-place sum over all processes. x: [n]
  static void allreduce_sum(float* x, int64_t n);
  static void allreduce_sum(double* x, int64_t n);
  // out: [size * n], process r's `local` at out[r * n].
  static void allgather(const float* local, int64_t n, float* out);
  static void barrier();
  // Every process's string, in rank order, on the root (empty vector elsewhere).
  static std::vector<std::string> gather_strings(const std::string& mine);

  // A shared counter for dynamic work assignment: each call returns a distinct value
  // 0, 1, 2, ... across all processes (one-sided MPI on the root's memory).
  class Counter {
   public:
    Counter();
    ~Counter();
    Counter(const Counter&) = delete;
    Counter& operator=(const Counter&) = delete;
    int64_t next();

   private:
    void* impl_ = nullptr;
    int64_t local_ = 0;
  };
};

}  // namespace qdiff
