#include "qdiff/eval/feature_net.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "qdiff/nn/optim.hpp"

namespace qdiff::eval {
namespace {
constexpr int kEvalBatch = 256;

// Softmax of one row of logits z: [K] -> p: [K] (max-shifted, in double); returns log-sum-exp.
double softmax(const float* z, int K, double* p) {
  const float mx = *std::max_element(z, z + K);
  double sum = 0;
  for (int k = 0; k < K; ++k) sum += (p[k] = std::exp(double(z[k] - mx)));
  for (int k = 0; k < K; ++k) p[k] /= sum;
  return mx + std::log(sum);
}
}  // namespace

FeatureNet::FeatureNet(int channels, int n_classes, int image_size, uint64_t seed)
    : C_(channels), K_(n_classes), S_(image_size) {
  if (C_ < 1 || K_ < 2 || S_ < 8) throw InvalidArgument("FeatureNet: bad channels/classes/size");
  c1_ = nn::Conv2d<float>(reg_, "conv1", C_, 32, 3, 1, 1);
  c2_ = nn::Conv2d<float>(reg_, "conv2", 32, 64, 3, 2, 1);
  c3_ = nn::Conv2d<float>(reg_, "conv3", 64, 64, 3, 2, 1);
  const int s3 = c3_.out_size(c2_.out_size(S_));
  fc_ = nn::Linear<float>(reg_, "fc", 64 * s3 * s3, kFeatureDim);
  head_ = nn::Linear<float>(reg_, "head", kFeatureDim, K_);
  Rng rng(seed);
  reg_.finalize(rng);
}

void FeatureNet::forward(const float* x, int N, float* features, float* logits) {
  N_ = N;
  const int s1 = S_, s2 = c2_.out_size(s1), s3 = c3_.out_size(s2);
  float* xs = x_.get(size_t(N) * C_ * S_ * S_);
  std::copy_n(x, size_t(N) * C_ * S_ * S_, xs);
  float* a1 = a1_.get(size_t(N) * 32 * s1 * s1);  // [N,32,S,S]
  float* a2 = a2_.get(size_t(N) * 64 * s2 * s2);  // [N,64,S/2,S/2]
  float* a3 = a3_.get(size_t(N) * 64 * s3 * s3);  // [N,64,S/4,S/4]
  float* f = f_.get(size_t(N) * kFeatureDim);      // [N,128]
  c1_.forward(a1, xs, N, s1, s1);
  nn::relu_forward(a1, a1, size_t(N) * 32 * s1 * s1);
  c2_.forward(a2, a1, N, s1, s1);
  nn::relu_forward(a2, a2, size_t(N) * 64 * s2 * s2);
  c3_.forward(a3, a2, N, s2, s2);
  nn::relu_forward(a3, a3, size_t(N) * 64 * s3 * s3);
  fc_.forward(f, a3, N);
  nn::relu_forward(f, f, size_t(N) * kFeatureDim);
  if (features) std::copy_n(f, size_t(N) * kFeatureDim, features);
  if (logits) head_.forward(logits, f, N);
}

void FeatureNet::backward(const float* dlogits) {
  const int N = N_, s1 = S_, s2 = c2_.out_size(s1), s3 = c3_.out_size(s2);
  float* df = df_.get(size_t(N) * kFeatureDim);
  head_.backward(df, f_.data(), dlogits, N);
  nn::relu_backward(df, f_.data(), df, size_t(N) * kFeatureDim);
  float* d3 = d3_.get(size_t(N) * 64 * s3 * s3);
  fc_.backward(d3, a3_.data(), df, N);
  nn::relu_backward(d3, a3_.data(), d3, size_t(N) * 64 * s3 * s3);
  float* d2 = d2_.get(size_t(N) * 64 * s2 * s2);
  c3_.backward(d2, a2_.data(), d3, N, s2, s2);
  nn::relu_backward(d2, a2_.data(), d2, size_t(N) * 64 * s2 * s2);
  float* d1 = d1_.get(size_t(N) * 32 * s1 * s1);
  c2_.backward(d1, a1_.data(), d2, N, s1, s1);
  nn::relu_backward(d1, a1_.data(), d1, size_t(N) * 32 * s1 * s1);
  c1_.backward(nullptr, x_.data(), d1, N, s1, s1);
}

void FeatureNet::save(const std::string& path, const nlohmann::json& meta) const {
  nn::Checkpoint ck;
  ck.config = {{"feature_net", {{"channels", C_}, {"classes", K_}, {"image_size", S_}, {"feature_dim", kFeatureDim}}}};
  ck.meta = meta;
  for (const auto& info : reg_.infos())
    ck.add_tensor("param/" + info.name, info.shape,
                  std::span<const float>(reg_.params().data() + info.offset, info.size));
  nn::save_checkpoint(path, ck);
}

std::unique_ptr<FeatureNet> FeatureNet::load(const std::string& path, nlohmann::json* meta) {
  const nn::Checkpoint ck = nn::load_checkpoint(path);
  if (!ck.config.contains("feature_net"))
    throw FileError(path, "not a feature network (no 'feature_net' section; is it a diffusion checkpoint?)");
  const auto& f = ck.config["feature_net"];
  auto net = std::make_unique<FeatureNet>(f.value("channels", 1), f.value("classes", 10), f.value("image_size", 28), 0);
  nn::load_weights(ck, path, net->registry(), false);
  if (meta) *meta = ck.meta;
  return net;
}

FeatureTrainResult train_feature_net(FeatureNet& net, const ImageSet& train, const ImageSet& test,
                                     const FeatureTrainOptions& opt) {
  if (!train.has_labels()) throw InvalidArgument(train.source + ": the feature network needs labels");
  for (auto l : train.labels)
    if (l < 0 || l >= net.n_classes()) throw InvalidArgument(train.source + ": label out of range for the network");
  const auto t0 = std::chrono::steady_clock::now();
  nn::AdamOptions ao;
  ao.lr = opt.lr;
  nn::Adam adam(net.registry().size(), ao);
  const int K = net.n_classes(), B = opt.batch;
  const int64_t D = train.image_size();
  std::vector<float> x(size_t(B) * D), logits(size_t(B) * K), dlogits(logits.size());
  std::vector<double> p(K);
  Rng rng(opt.seed ^ 0xfea7u);
  const int64_t steps_per_epoch = (train.n + B - 1) / B;
  Progress bar("features", steps_per_epoch * opt.epochs);
  FeatureTrainResult res;
  int64_t done = 0;
  for (int epoch = 0; epoch < opt.epochs; ++epoch) {
    const auto perm = rng.permutation(train.n);
    double epoch_loss = 0;
    int64_t correct = 0;
    for (int64_t start = 0; start < train.n; start += B) {
      const int n = static_cast<int>(std::min<int64_t>(B, train.n - start));
      for (int i = 0; i < n; ++i) std::copy_n(train.image(perm[start + i]), D, x.data() + i * D);
      net.forward(x.data(), n, nullptr, logits.data());
      double loss = 0;
      for (int i = 0; i < n; ++i) {
        const float* z = logits.data() + i * K;
        const int64_t y = train.labels[perm[start + i]];
        loss += softmax(z, K, p.data()) - z[y];  // cross-entropy: log-sum-exp - z_y
        correct += std::max_element(z, z + K) - z == y;
        for (int k = 0; k < K; ++k) dlogits[i * K + k] = static_cast<float>((p[k] - (k == y)) / n);
      }
      net.registry().zero_grad();
      net.backward(dlogits.data());
      adam.step(net.registry().params(), net.registry().grads());
      epoch_loss += loss;
      char extra[64];
      std::snprintf(extra, sizeof extra, "epoch %d loss %.4f", epoch + 1, loss / n);
      bar.update(++done, extra);
    }
    res.final_loss = epoch_loss / train.n;
    res.train_accuracy = double(correct) / train.n;
  }
  bar.finish();
  res.test_accuracy = accuracy(net, test);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

Eigen::MatrixXd extract_features(FeatureNet& net, const ImageSet& set, Eigen::MatrixXd* probs) {
  if (set.c != net.channels() || set.h != net.image_size() || set.w != net.image_size())
    throw InvalidArgument(set.source + ": images are " + std::to_string(set.c) + "x" + std::to_string(set.h) + "x" +
                          std::to_string(set.w) + " but the feature network expects " + std::to_string(net.channels()) +
                          "x" + std::to_string(net.image_size()) + "x" + std::to_string(net.image_size()));
  const int K = net.n_classes();
  Eigen::MatrixXd feats(set.n, kFeatureDim);
  if (probs) probs->resize(set.n, K);
  std::vector<float> f(size_t(kEvalBatch) * kFeatureDim), z(size_t(kEvalBatch) * K);
  std::vector<double> p(K);
  for (int64_t start = 0; start < set.n; start += kEvalBatch) {
    const int n = static_cast<int>(std::min<int64_t>(kEvalBatch, set.n - start));
    net.forward(set.image(start), n, f.data(), z.data());
    for (int i = 0; i < n; ++i) {
      for (int d = 0; d < kFeatureDim; ++d) feats(start + i, d) = f[size_t(i) * kFeatureDim + d];
      if (probs) {
        softmax(z.data() + size_t(i) * K, K, p.data());
        for (int k = 0; k < K; ++k) (*probs)(start + i, k) = p[k];
      }
    }
  }
  return feats;
}

Eigen::MatrixXd pixel_features(const ImageSet& set) {
  Eigen::MatrixXd m(set.n, set.image_size());
  for (int64_t i = 0; i < set.n; ++i)
    for (int64_t d = 0; d < set.image_size(); ++d) m(i, d) = set.image(i)[d];
  return m;
}

double accuracy(FeatureNet& net, const ImageSet& set) {
  if (!set.has_labels()) throw InvalidArgument(set.source + ": accuracy needs labels");
  Eigen::MatrixXd p;
  extract_features(net, set, &p);
  int64_t correct = 0;
  for (int64_t i = 0; i < set.n; ++i) {
    Eigen::Index k;
    p.row(i).maxCoeff(&k);
    correct += k == set.labels[i];
  }
  return double(correct) / set.n;
}

}  // namespace qdiff::eval
