// The feature network behind FID/KID/precision-recall: a small CNN classifier trained by qdiff on
// the data set's own training split (not ImageNet Inception), deterministic under a seed.
//   x: [N,C,28,28] -> conv3x3 C->32, ReLU -> conv3x3 s2 32->64, ReLU [14x14]
//                  -> conv3x3 s2 64->64, ReLU [7x7] -> flatten 3136 -> Linear 128, ReLU = features [N,128]
//                  -> Linear 128->K = logits [N,K]
// Saved as a qdiff checkpoint file (tensors "param/<name>", config {"feature_net": {...}}).
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qdiff/io/dataset.hpp"
#include "qdiff/nn/layers.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::eval {

inline constexpr int kFeatureDim = 128;

class FeatureNet {
 public:
  FeatureNet(int channels, int n_classes, int image_size, uint64_t seed);
  int channels() const { return C_; }
  int n_classes() const { return K_; }
  int image_size() const { return S_; }

  // x: [N,C,S,S] -> features [N,128] and logits [N,K] (either may be null). Caches for backward.
  void forward(const float* x, int N, float* features, float* logits);
  // dlogits: [N,K] of the last forward; ADDS parameter gradients.
  void backward(const float* dlogits);
  nn::ParamRegistry& registry() { return reg_; }

  void save(const std::string& path, const nlohmann::json& meta) const;
  // Throws FileError naming the file when it is not a feature network.
  static std::unique_ptr<FeatureNet> load(const std::string& path, nlohmann::json* meta = nullptr);

 private:
  int C_, K_, S_, N_ = 0;
  nn::ParamRegistry reg_;
  nn::Conv2d<float> c1_, c2_, c3_;
  nn::Linear<float> fc_, head_;
  nn::Buf<float> x_, a1_, a2_, a3_, f_, d3_, d2_, d1_, df_, dtmp_;
};

struct FeatureTrainOptions {
  int epochs = 3, batch = 128;
  double lr = 1e-3;
  uint64_t seed = 0;
};

struct FeatureTrainResult {
  double train_accuracy = 0, test_accuracy = 0, final_loss = 0, seconds = 0;
};

// Trains with Adam on softmax cross-entropy; reports accuracy on `test`. Labels must be in [0, K).
FeatureTrainResult train_feature_net(FeatureNet& net, const ImageSet& train, const ImageSet& test,
                                     const FeatureTrainOptions& opt);

// Features [N,128] (double), and optionally class probabilities [N,K], in batches.
Eigen::MatrixXd extract_features(FeatureNet& net, const ImageSet& set, Eigen::MatrixXd* probs = nullptr);
// Raw pixels as features [N, C*H*W] (the model-free option).
Eigen::MatrixXd pixel_features(const ImageSet& set);
double accuracy(FeatureNet& net, const ImageSet& set);

}  // namespace qdiff::eval
