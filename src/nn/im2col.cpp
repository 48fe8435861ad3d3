// The public im2col / col2im_add (conv.hpp) over the internal strided forms (im2col.hpp).
#include "im2col.hpp"

#include "qdiff/nn/conv.hpp"

namespace qdiff::nn {

template <class T>
void im2col(T* col, const T* x, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  detail::im2col_ld(col, static_cast<size_t>(Ho) * Wo, x, C, H, W, k, s, p, Ho, Wo);
}
template <class T>
void col2im_add(T* x, const T* col, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  detail::col2im_add_ld(x, col, static_cast<size_t>(Ho) * Wo, C, H, W, k, s, p, Ho, Wo);
}

template void im2col<float>(float*, const float*, int, int, int, int, int, int, int, int);
template void col2im_add<float>(float*, const float*, int, int, int, int, int, int, int, int);
template void im2col<double>(double*, const double*, int, int, int, int, int, int, int, int);
template void col2im_add<double>(double*, const double*, int, int, int, int, int, int, int, int);

}  // namespace qdiff::nn
