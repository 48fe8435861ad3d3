// The fully connected layer (time-embedding projections, bottleneck MLPs and readouts).
// Conventions: see layers.hpp.
#pragma once
#include <string>
#include <vector>

#include "qdiff/nn/params.hpp"
#include "qdiff/nn/precision.hpp"

namespace qdiff::nn {

// Linear: x: [N,in] -> y: [N,out]; weight [out,in], bias [out] (PyTorch layout and init).
template <class T>
class Linear {
 public:
  Linear() = default;
  Linear(ParamRegistryT<T>& reg, const std::string& name, int in, int out);
  void forward(T* y, const T* x, int N) const;
  void backward(T* dx, const T* x, const T* dy, int N);
  int in = 0, out = 0;
  ParamRef w, b;
  Precision precision = Precision::Float32;  // bf16: float layers only

 private:
  ParamRegistryT<T>* reg_ = nullptr;
  std::vector<Buf<T>> dw_;  // per leaf of the batch's gradient tree: [dW | db] partials
};

}  // namespace qdiff::nn
