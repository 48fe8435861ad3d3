#include "qdiff/nn/params.hpp"

#include <algorithm>

#include "qdiff/core/error.hpp"

namespace qdiff::nn {

template <class T>
ParamRef ParamRegistryT<T>::add(const std::string& name, std::vector<int64_t> shape, Init init, double bound) {
  if (finalized_) throw InvalidArgument("parameter '" + name + "' declared after finalize()");
  if (contains(name)) throw InvalidArgument("duplicate parameter name '" + name + "'");
  size_t n = 1;
  for (auto d : shape) {
    if (d <= 0) throw InvalidArgument("parameter '" + name + "' has a non-positive dimension");
    n *= static_cast<size_t>(d);
  }
  ParamInfo p{name, std::move(shape), total_, n, init, bound};
  infos_.push_back(std::move(p));
  total_ += n;
  return ParamRef{infos_.back().offset, n};
}

template <class T>
void ParamRegistryT<T>::finalize(Rng& rng) {
  if (finalized_) throw InvalidArgument("ParamRegistry::finalize() called twice");
  params_.assign(total_, T(0));
  grads_.assign(total_, T(0));
  for (const auto& p : infos_) {
    T* w = params_.data() + p.offset;
    switch (p.init) {
      case Init::Zeros: break;
      case Init::Ones: std::fill(w, w + p.size, T(1)); break;
      case Init::Uniform:
        for (size_t i = 0; i < p.size; ++i) w[i] = static_cast<T>((2.0 * rng.uniform() - 1.0) * p.bound);
        break;
    }
  }
  finalized_ = true;
}

template <class T>
void ParamRegistryT<T>::zero_grad() {
  std::fill(grads_.begin(), grads_.end(), T(0));
}

template <class T>
bool ParamRegistryT<T>::contains(const std::string& name) const {
  return std::any_of(infos_.begin(), infos_.end(), [&](const ParamInfo& p) { return p.name == name; });
}

template <class T>
const ParamInfo& ParamRegistryT<T>::info(const std::string& name) const {
  for (const auto& p : infos_)
    if (p.name == name) return p;
  throw InvalidArgument("no parameter named '" + name + "'");
}

template <class T>
std::span<T> ParamRegistryT<T>::view(const std::string& name) {
  const auto& p = info(name);
  return std::span<T>(params_.data() + p.offset, p.size);
}

template <class T>
std::span<T> ParamRegistryT<T>::grad_view(const std::string& name) {
  const auto& p = info(name);
  return std::span<T>(grads_.data() + p.offset, p.size);
}

template <class T>
size_t ParamRegistryT<T>::count(const std::string& prefix) const {
  size_t n = 0;
  for (const auto& p : infos_)
    if (p.name.compare(0, prefix.size(), prefix) == 0) n += p.size;
  return n;
}

template class ParamRegistryT<float>;
template class ParamRegistryT<double>;

}  // namespace qdiff::nn
