// `qdiff features train|accuracy`: the data-set-trained feature networks behind FID/KID.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "commands.hpp"
#include "options.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/eval/feature_net.hpp"
#include "qdiff/io/dataset.hpp"

namespace qdiff::cli {

void register_features(CLI::App& app) {
  auto* cmd = app.add_subcommand("features", "Train or check the feature network used by FID/KID/precision-recall");
  cmd->require_subcommand(1);
  {
    auto* t = cmd->add_subcommand("train", "Train a feature classifier on a data set's training split");
    struct Opts {
      std::string data, out;
      int epochs = 3, batch = 128;
      double lr = 1e-3;
      int64_t seed = 0;
    };
    auto o = std::make_shared<Opts>();
    t->add_option("--data", o->data, "data file (.npz / IDX) with a train and a test split")->required();
    t->add_option("--out,-o", o->out, "output file (e.g. data/features/mnist.bin)")->required();
    t->add_option("--epochs", o->epochs, "epochs")->capture_default_str()->transform(integer_in(1, 1000));
    t->add_option("--batch", o->batch, "batch size")->capture_default_str()->transform(integer_in(1, 4096));
    t->add_option("--lr", o->lr, "Adam learning rate")->capture_default_str()->transform(number_in(1e-7, 1.0));
    t->add_option("--seed", o->seed, "seed")->capture_default_str()->transform(seed_value());
    t->callback([o] {
      const ImageSet train = load_split(o->data, "train"), test = load_split(o->data, "test");
      if (!train.has_labels()) throw InvalidArgument(o->data + ": the feature network needs labels");
      const int K = static_cast<int>(*std::max_element(train.labels.begin(), train.labels.end()) + 1);
      spdlog::info("training a {}-class feature network on {} images ({}x{}x{}), {} epochs", K, train.n, train.c,
                   train.h, train.w, o->epochs);
      eval::FeatureNet net(train.c, K, train.h, static_cast<uint64_t>(o->seed));
      eval::FeatureTrainOptions fo{o->epochs, o->batch, o->lr, static_cast<uint64_t>(o->seed)};
      const auto r = eval::train_feature_net(net, train, test, fo);
      net.save(o->out, {{"data", o->data}, {"epochs", o->epochs}, {"batch", o->batch}, {"lr", o->lr}, {"seed", o->seed},
                        {"train_accuracy", r.train_accuracy}, {"test_accuracy", r.test_accuracy},
                        {"version", version()}});
      spdlog::info("test accuracy {:.4f} (train {:.4f}) in {:.1f} s; wrote {}", r.test_accuracy, r.train_accuracy,
                   r.seconds, o->out);
    });
  }
  {
    auto* a = cmd->add_subcommand("accuracy", "Accuracy of a feature network on a split of a data set");
    struct Opts {
      std::string net, data, split = "test";
    };
    auto o = std::make_shared<Opts>();
    a->add_option("--net", o->net, "feature network file")->required();
    a->add_option("--data", o->data, "data file")->required();
    a->add_option("--split", o->split, "split")->capture_default_str();
    a->callback([o] {
      auto net = eval::FeatureNet::load(o->net);
      const ImageSet set = load_split(o->data, o->split);
      std::printf("accuracy %.4f on %lld images of %s [%s]\n", eval::accuracy(*net, set),
                  static_cast<long long>(set.n), o->data.c_str(), o->split.c_str());
    });
  }
}

}  // namespace qdiff::cli
