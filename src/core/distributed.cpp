#include "qdiff/core/distributed.hpp"

#include <algorithm>
#include <cstring>

#include "qdiff/core/error.hpp"

#ifdef QDIFF_HAVE_MPI
#include <mpi.h>
#endif

namespace qdiff {

#ifdef QDIFF_HAVE_MPI
namespace {
bool initialized() {
  int flag = 0, fin = 0;
  MPI_Initialized(&flag);
  MPI_Finalized(&fin);
  return flag && !fin;
}
struct Window {
  MPI_Win win;
  int64_t* base = nullptr;
};
}  // namespace

bool Distributed::available() { return true; }

void Distributed::init(int* argc, char*** argv) {
  if (initialized()) return;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
}

void Distributed::finalize() {
  if (initialized()) MPI_Finalize();
}

int Distributed::rank() {
  if (!initialized()) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int Distributed::size() {
  if (!initialized()) return 1;
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

void Distributed::allreduce_sum(float* x, int64_t n) {
  if (size() > 1) MPI_Allreduce(MPI_IN_PLACE, x, static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void Distributed::allreduce_sum(double* x, int64_t n) {
  if (size() > 1) MPI_Allreduce(MPI_IN_PLACE, x, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void Distributed::allgather(const float* local, int64_t n, float* out) {
  if (size() > 1) MPI_Allgather(local, static_cast<int>(n), MPI_FLOAT, out, static_cast<int>(n), MPI_FLOAT, MPI_COMM_WORLD);
  else std::copy_n(local, n, out);
}

void Distributed::barrier() {
  if (size() > 1) MPI_Barrier(MPI_COMM_WORLD);
}

std::vector<std::string> Distributed::gather_strings(const std::string& mine) {
  const int P = size();
  if (P == 1) return {mine};
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(P), offs(P);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (is_root()) {
    int total = 0;
    for (int r = 0; r < P; ++r) offs[r] = total, total += lens[r];
    all.resize(total);
  }
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offs.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<std::string> out;
  if (is_root())
    for (int r = 0; r < P; ++r) out.push_back(all.substr(offs[r], lens[r]));
  return out;
}

Distributed::Counter::Counter() {
  if (size() == 1) return;
  auto* w = new Window;
  MPI_Win_allocate(is_root() ? sizeof(int64_t) : 0, sizeof(int64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &w->base, &w->win);
  if (is_root()) {
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, w->win);
    *w->base = 0;
    MPI_Win_unlock(0, w->win);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  impl_ = w;
}

Distributed::Counter::~Counter() {
  if (!impl_) return;
  auto* w = static_cast<Window*>(impl_);
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Win_free(&w->win);
  delete w;
}

int64_t Distributed::Counter::next() {
  if (!impl_) return local_++;
  auto* w = static_cast<Window*>(impl_);
  const int64_t one = 1;
  int64_t got = 0;
  MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, w->win);
  MPI_Fetch_and_op(&one, &got, MPI_INT64_T, 0, 0, MPI_SUM, w->win);
  MPI_Win_unlock(0, w->win);
  return got;
}

#else  // single process

bool Distributed::available() { return false; }
void Distributed::init(int*, char***) {}
void Distributed::finalize() {}
int Distributed::rank() { return 0; }
int Distributed::size() { return 1; }
void Distributed::allreduce_sum(float*, int64_t) {}
void Distributed::allreduce_sum(double*, int64_t) {}
void Distributed::allgather(const float* local, int64_t n, float* out) { std::copy_n(local, n, out); }
void Distributed::barrier() {}
std::vector<std::string> Distributed::gather_strings(const std::string& mine) { return {mine}; }
Distributed::Counter::Counter() = default;
Distributed::Counter::~Counter() = default;
int64_t Distributed::Counter::next() { return local_++; }

#endif

}  // namespace qdiff
