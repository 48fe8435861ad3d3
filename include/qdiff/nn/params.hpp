// One flat buffer for all parameters and one for their gradients, with named views.
// Layers declare their parameters (name, shape, init) while the model is being built; finalize()
// then allocates both buffers once and initializes the parameters in declaration order from an
// explicit Rng. Layers keep a ParamRef (offset, size), never a pointer, so declaration can grow
// the registry freely. Names are dotted (`enc.1.conv1.weight`) and become checkpoint keys.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "qdiff/core/rng.hpp"

namespace qdiff::nn {

// 64-byte aligned storage (one AVX-512 vector / cache line) for every parameter and activation
// buffer, so that vectorized kernels see the same alignment in every run: with the same inputs
// the results are bit-identical across model instances (needed for exact resume).
template <class T>
struct AlignedAlloc {
  using value_type = T;
  AlignedAlloc() = default;
  template <class U>
  AlignedAlloc(const AlignedAlloc<U>&) {}
  T* allocate(size_t n) {
    const size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
    void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <class U>
  bool operator==(const AlignedAlloc<U>&) const { return true; }
};
template <class T>
using AlignedVec = std::vector<T, AlignedAlloc<T>>;

enum class Init { Zeros, Ones, Uniform };  // Uniform: U(-bound, bound), PyTorch's default Linear/Conv init

struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
  size_t offset = 0, size = 0;
  Init init = Init::Zeros;
  double bound = 0.0;
};

struct ParamRef {
  size_t offset = 0, size = 0;
};

template <class T>
class ParamRegistryT {
 public:
  // Declares a parameter; only before finalize(). Throws InvalidArgument on a duplicate name.
  ParamRef add(const std::string& name, std::vector<int64_t> shape, Init init, double bound = 0.0);
  // Allocates params and grads (grads zeroed) and initializes params in declaration order.
  void finalize(Rng& rng);
  bool finalized() const { return finalized_; }

  T* param(ParamRef r) { return params_.data() + r.offset; }
  const T* param(ParamRef r) const { return params_.data() + r.offset; }
  T* grad(ParamRef r) { return grads_.data() + r.offset; }

  std::span<T> params() { return params_; }
  std::span<const T> params() const { return params_; }
  std::span<T> grads() { return grads_; }
  std::span<const T> grads() const { return grads_; }
  size_t size() const { return total_; }
  void zero_grad();

  const std::vector<ParamInfo>& infos() const { return infos_; }
  // Throws InvalidArgument naming the parameter when absent.
  const ParamInfo& info(const std::string& name) const;
  bool contains(const std::string& name) const;
  std::span<T> view(const std::string& name);
  std::span<T> grad_view(const std::string& name);
  // Sum of sizes of parameters whose name starts with `prefix`.
  size_t count(const std::string& prefix = "") const;

 private:
  std::vector<ParamInfo> infos_;
  AlignedVec<T> params_, grads_;
  size_t total_ = 0;
  bool finalized_ = false;
};

using ParamRegistry = ParamRegistryT<float>;

// Grow-only scratch buffer: get(n) reallocates only when n exceeds the capacity, so a training
// step with an unchanged batch size does not allocate after the first call.
template <class T>
struct Buf {
  AlignedVec<T> v;
  T* get(size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
  }
  T* data() { return v.data(); }
  const T* data() const { return v.data(); }
};

}  // namespace qdiff::nn
