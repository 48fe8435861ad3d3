#include "qdiff/nn/unet.hpp"

#include <cctype>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <type_traits>

#include "qdiff/core/error.hpp"

namespace qdiff::nn {

UNetSpec paper_spec(int in_channels) {
  UNetSpec s;
  s.in_channels = in_channels;
  return s;
}

UNetSpec spec_from_options(const ModelOptions& model, int in_channels, int image_size) {
  UNetSpec s = paper_spec(in_channels);
  s.arch = model.arch;
  s.image_size = image_size;
  if (s.arch == Arch::Large) {
    s.channels.clear();
    for (int m : model.channel_mult) s.channels.push_back(model.base_channels * m);
    s.groups = model.groups;
  }
  return s;
}

template <class T>
UNetT<T>::UNetT(UNetSpec spec, std::unique_ptr<BottleneckBranchT<T>> branch, uint64_t seed)
    : spec_(std::move(spec)), reg_(std::make_unique<ParamRegistryT<T>>()), branch_(std::move(branch)) {
  if (branch_ && branch_->kind() == "none") branch_.reset();
  L_ = static_cast<int>(spec_.channels.size());
  if (L_ < 1) throw InvalidArgument("U-Net needs at least one resolution level");
  if (spec_.in_channels < 1) throw InvalidArgument("U-Net needs at least one image channel");
  if (spec_.image_size % (1 << (L_ - 1)))
    throw InvalidArgument("U-Net: image size " + std::to_string(spec_.image_size) + " is not divisible by 2^" +
                          std::to_string(L_ - 1));
  const bool large = spec_.arch == Arch::Large;
  const BlockKind kind = large ? BlockKind::Large : BlockKind::Paper;
  const auto& ch = spec_.channels;
  auto& reg = *reg_;
  for (int i = 0; i < L_; ++i) size_.push_back(spec_.image_size >> i);

  init_ = Conv2d<T>(reg, "init", spec_.in_channels, ch[0], 3, 1, 1);
  for (int i = 0; i < L_; ++i) {
    enc_.emplace_back(reg, "enc." + std::to_string(i), kind, ch[i], ch[i], spec_.temb_dim, spec_.groups);
    if (i < L_ - 1) down_.emplace_back(reg, "down." + std::to_string(i), ch[i], ch[i + 1], 3, 2, 1);
  }
  mid_ = ResBlock<T>(reg, "mid", kind, ch[L_ - 1], ch[L_ - 1], spec_.temb_dim, spec_.groups);
  if (branch_) branch_->declare_params(reg, "bottleneck.", ch[L_ - 1]);
  up_.resize(std::max(0, L_ - 1));
  dec_.resize(std::max(0, L_ - 1));
  for (int i = L_ - 2; i >= 0; --i) {
    up_[i] = ConvTranspose2d<T>(reg, "up." + std::to_string(i), ch[i + 1], ch[i], 2, 2, 0);
    dec_[i] = ResBlock<T>(reg, "dec." + std::to_string(i), kind, 2 * ch[i], ch[i], spec_.temb_dim, spec_.groups);
  }
  if (large) {
    out_norm_ = GroupNorm<T>(reg, "out.norm", spec_.groups, ch[0]);
    out_ = Conv2d<T>(reg, "out.conv", ch[0], spec_.in_channels, 3, 1, 1);
  } else {
    out_ = Conv2d<T>(reg, "out", ch[0], spec_.in_channels, 1, 1, 0);
  }
  Rng rng(seed);
  reg.finalize(rng);

  for (auto* v : {&e_, &d_, &u_, &c_, &r_, &gR_, &gC_, &gU_, &gSkip_, &gE_, &gIn_}) v->resize(L_);
}

template <class T>
void UNetT<T>::set_precision(Precision p) {
  if (p == Precision::BF16 && (!std::is_same_v<T, float> || !bf16_supported()))
    throw InvalidArgument(std::is_same_v<T, float> ? "bf16 needs a CPU with AVX512_BF16" : "bf16 is for float U-Nets");
  precision_ = p;
  init_.precision = out_.precision = p;
  for (auto& c : down_) c.precision = p;
  for (auto& c : up_) c.precision = p;
  for (auto* blocks : {&enc_, &dec_})
    for (auto& blk : *blocks) blk.set_precision(p);
  mid_.set_precision(p);
}

template <class T>
void UNetT<T>::forward(const T* x, const int* t, int B, T* eps, bool training) {
  const auto& ch = spec_.channels;
  const int S = spec_.image_size, C = spec_.in_channels, td = spec_.temb_dim;
  auto sz = [&](int i) { return static_cast<size_t>(B) * ch[i] * size_[i] * size_[i]; };
  B_ = B;
  trained_forward_ = training;
  // x: [B,C,S,S] (copied: backward needs it), temb: [B,td]
  T* xin = x_.get(static_cast<size_t>(B) * C * S * S);
  std::memcpy(xin, x, static_cast<size_t>(B) * C * S * S * sizeof(T));
  t_.assign(t, t + B);
  T* temb = temb_.get(static_cast<size_t>(B) * td);
  timestep_embedding(temb, t, B, td);

  T* h = h0_.get(sz(0));
  init_.forward(h, xin, B, S, S);
  for (int i = 0; i < L_; ++i) {
    T* e = e_[i].get(sz(i));
    enc_[i].forward(e, h, temb, B, size_[i], size_[i]);
    if (i < L_ - 1) {
      h = d_[i].get(sz(i + 1));
      down_[i].forward(h, e, B, size_[i], size_[i]);
    }
  }
  const int Cm = ch[L_ - 1], Sm = size_[L_ - 1];
  T* m = m_.get(sz(L_ - 1));
  mid_.forward(m, e_[L_ - 1].data(), temb, B, Sm, Sm);
  T* ms = m;
  if (branch_) {
    // bottleneck: pooled = mean_hw(m) [B,Cm]; q = branch(pooled); ms = m * q
    T* pooled = pooled_.get(static_cast<size_t>(B) * Cm);
    T* q = q_.get(static_cast<size_t>(B) * Cm);
    avgpool_forward(pooled, m, B, Cm, Sm * Sm);
    branch_->forward(pooled, q, B, training);
    ms = ms_.get(sz(L_ - 1));
    chscale_forward(ms, m, q, B, Cm, Sm * Sm);
  }
  const T* prev = ms;
  for (int i = L_ - 2; i >= 0; --i) {
    // u: [B,c_i,S_i,S_i]; c = cat(u, e_i): [B,2c_i,..]; r = dec.i(c)
    T* u = u_[i].get(sz(i));
    up_[i].forward(u, prev, B, size_[i + 1], size_[i + 1]);
    T* cc = c_[i].get(2 * sz(i));
    concat_forward(cc, u, e_[i].data(), B, ch[i], ch[i], size_[i] * size_[i]);
    T* r = r_[i].get(sz(i));
    dec_[i].forward(r, cc, temb, B, size_[i], size_[i]);
    prev = r;
  }
  if (spec_.arch == Arch::Large) {
    T* go = go_.get(sz(0));
    T* so = so_.get(sz(0));
    out_norm_.forward(go, prev, B, S * S);
    silu_forward(so, go, sz(0));
    out_.forward(eps, so, B, S, S);
  } else {
    out_.forward(eps, prev, B, S, S);
  }
}

template <class T>
void UNetT<T>::backward(const T* deps, T* dx) {
  if (!trained_forward_ || B_ == 0)
    throw InvalidArgument("UNet::backward needs a preceding forward with training = true");
  const auto& ch = spec_.channels;
  const int B = B_, S = spec_.image_size;
  auto sz = [&](int i) { return static_cast<size_t>(B) * ch[i] * size_[i] * size_[i]; };
  const T* temb = temb_.data();
  const T* top = L_ > 1 ? r_[0].data() : (branch_ ? ms_.data() : m_.data());  // input of the output head
  T* g = (L_ > 1 ? gR_[0] : gMs_).get(sz(L_ > 1 ? 0 : L_ - 1));
  if (spec_.arch == Arch::Large) {
    T* gso = gSo_.get(sz(0));
    out_.backward(gso, so_.data(), deps, B, S, S);
    silu_backward(gso, go_.data(), gso, sz(0));
    out_norm_.backward(g, top, gso, B, S * S);
  } else {
    out_.backward(g, top, deps, B, S, S);
  }
  // decoder, top to bottom
  for (int i = 0; i <= L_ - 2; ++i) {
    T* gc = gC_[i].get(2 * sz(i));
    dec_[i].backward(gc, c_[i].data(), temb, g, B, size_[i], size_[i]);
    T* gu = gU_[i].get(sz(i));
    T* gs = gSkip_[i].get(sz(i));
    concat_backward(gu, gs, gc, B, ch[i], ch[i], size_[i] * size_[i]);
    const bool last = (i == L_ - 2);
    const T* in = last ? (branch_ ? ms_.data() : m_.data()) : r_[i + 1].data();
    T* gprev = last ? gMs_.get(sz(L_ - 1)) : gR_[i + 1].get(sz(i + 1));
    up_[i].backward(gprev, in, gu, B, size_[i + 1], size_[i + 1]);
    g = gprev;
  }
  // g: d loss / d ms  [B,Cm,Sm,Sm]
  const int Cm = ch[L_ - 1], Sm = size_[L_ - 1];
  T* gm = g;
  if (branch_) {
    gm = gM_.get(sz(L_ - 1));
    T* gq = gQ_.get(static_cast<size_t>(B) * Cm);
    T* gp = gPooled_.get(static_cast<size_t>(B) * Cm);
    chscale_backward(gm, gq, m_.data(), q_.data(), g, B, Cm, Sm * Sm);
    branch_->backward(gq, gp, B);
    // + d mean_hw: gm[b,c,:] += gp[b,c] / (Sm*Sm)
    for (int bc = 0; bc < B * Cm; ++bc)
      for (int j = 0; j < Sm * Sm; ++j) gm[static_cast<size_t>(bc) * Sm * Sm + j] += gp[bc] / T(Sm * Sm);
  }
  T* ge = gE_[L_ - 1].get(sz(L_ - 1));
  mid_.backward(ge, e_[L_ - 1].data(), temb, gm, B, Sm, Sm);
  // encoder, bottom to top
  for (int i = L_ - 1; i >= 0; --i) {
    const T* in = i == 0 ? h0_.data() : d_[i - 1].data();
    T* gin = gIn_[i].get(sz(i));
    enc_[i].backward(gin, in, temb, gE_[i].data(), B, size_[i], size_[i]);
    if (i > 0) {
      T* gprev = gE_[i - 1].get(sz(i - 1));
      down_[i - 1].backward(gprev, e_[i - 1].data(), gin, B, size_[i - 1], size_[i - 1]);
      const T* gs = gSkip_[i - 1].data();
      add_forward(gprev, gprev, gs, sz(i - 1));
    } else {
      init_.backward(dx, x_.data(), gin, B, S, S);
    }
  }
}

template <class T>
std::vector<std::pair<std::string, size_t>> UNetT<T>::block_param_counts() const {
  std::vector<std::pair<std::string, size_t>> out;
  for (const auto& p : reg_->infos()) {
    // block = first component, plus the index for enc/down/up/dec
    std::string block = p.name.substr(0, p.name.find('.'));
    const size_t dot = p.name.find('.');
    if (dot != std::string::npos && dot + 1 < p.name.size() && std::isdigit(static_cast<unsigned char>(p.name[dot + 1])))
      block = p.name.substr(0, p.name.find('.', dot + 1));
    if (out.empty() || out.back().first != block) out.emplace_back(block, 0);
    out.back().second += p.size;
  }
  return out;
}

template <class T>
std::string UNetT<T>::param_table() const {
  std::ostringstream os;
  os << "U-Net '" << mode_name(spec_.arch) << "', bottleneck '" << bottleneck_kind() << "', " << spec_.in_channels
     << " channel(s), " << spec_.image_size << "x" << spec_.image_size << "\n";
  os << std::left << std::setw(16) << "block" << std::right << std::setw(12) << "params" << "\n";
  for (const auto& [name, n] : block_param_counts())
    os << std::left << std::setw(16) << name << std::right << std::setw(12) << n << "\n";
  os << std::left << std::setw(16) << "total" << std::right << std::setw(12) << reg_->size() << "\n";
  return os.str();
}

template <class T>
int64_t UNetT<T>::forward_macs_per_image() const {
  const int S = spec_.image_size;
  int64_t macs = init_.macs(S, S) + out_.macs(S, S);
  for (int i = 0; i < L_; ++i) {
    macs += enc_[i].macs(size_[i], size_[i]);
    if (i < L_ - 1) {
      macs += down_[i].macs(size_[i], size_[i]);
      macs += up_[i].macs(size_[i + 1], size_[i + 1]);
      macs += dec_[i].macs(size_[i], size_[i]);
    }
  }
  macs += mid_.macs(size_[L_ - 1], size_[L_ - 1]);
  const int64_t bn = reg_->count("bottleneck.");
  macs += bn;  // dense branch: about one multiply-add per weight
  return macs;
}

std::unique_ptr<UNet> make_unet(const ModelOptions& model, int in_channels, std::unique_ptr<BottleneckBranch> branch,
                                uint64_t seed, int image_size) {
  return std::make_unique<UNet>(spec_from_options(model, in_channels, image_size), std::move(branch), seed);
}

template class UNetT<float>;
template class UNetT<double>;

}  // namespace qdiff::nn
