// Internal to src/quantum: the batch loop every backend runs its rows with. Rows are independent
// circuit runs; each OpenMP thread keeps one Workspace (its scratch states) across the rows it
// takes, and a row's result depends only on the row, never on which thread ran it.
#pragma once
#include <omp.h>

#include <cstdint>
#include <vector>

namespace qdiff::quantum {

// body(r, ws) for every row r in [0, rows), in parallel on `threads` threads (> 0).
template <class Workspace, class Body>
void for_each_row(int64_t rows, int threads, Body&& body) {
#pragma omp parallel num_threads(threads)
  {
    Workspace ws;
#pragma omp for schedule(dynamic, 1)
    for (int64_t r = 0; r < rows; ++r) body(r, ws);
  }
}

// The same with workspaces that outlive the call: pool[t] serves thread t (grown to `threads`),
// so a backend called every step allocates its scratch states once.
template <class Workspace, class Body>
void for_each_row(int64_t rows, int threads, std::vector<Workspace>& pool, Body&& body) {
  if (pool.size() < static_cast<size_t>(threads)) pool.resize(static_cast<size_t>(threads));
#pragma omp parallel num_threads(threads)
  {
    Workspace& ws = pool[static_cast<size_t>(omp_get_thread_num())];
#pragma omp for schedule(dynamic, 1)
    for (int64_t r = 0; r < rows; ++r) body(r, ws);
  }
}

}  // namespace qdiff::quantum
