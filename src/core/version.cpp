#include "qdiff/core/version.hpp"

#include <omp.h>

namespace qdiff {

std::string version() { return QDIFF_VERSION; }

std::string build_info() {
  std::string s = std::string("qdiff ") + QDIFF_VERSION + " (" + __VERSION__;
#ifdef __AVX512F__
  s += ", avx512";
#elif defined(__AVX2__)
  s += ", avx2";
#endif
#ifdef QDIFF_HAVE_MPI
  s += ", mpi";
#endif
  s += ", omp threads " + std::to_string(omp_get_max_threads()) + ")";
  return s;
}

}  // namespace qdiff
