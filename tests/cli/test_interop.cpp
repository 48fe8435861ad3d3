// Working with other tools, end to end through the qdiff binary: `eval --samples` on folders of
// PNG files and on .npy arrays (FID near zero for the bundled test split against itself, far from
// zero for noise; every bad input named), `data import` -> features -> train -> sample -> eval ->
// sweep on a generated folder of shapes, `export` to safetensors with a probe, `sweep --status`.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "qdiff/core/files.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/io/npz.hpp"
#include "qdiff/io/png.hpp"
#include "qdiff/io/safetensors.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::repo_path;
using qdiff::test::run_command;
using qdiff::test::TempDir;
namespace fs = std::filesystem;

namespace {

int qdiff_run(const std::string& args, std::string* out) {
  return run_command("cd " + repo_path("") + " && " + std::string(QDIFF_BINARY) + " " + args + " </dev/null", out);
}

bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

// Writes images [N,C,H,W] in [-1,1] as DIR/00000.png ... (8-bit, exactly what to_byte gives).
void write_pngs(const std::string& dir, const ImageSet& set) {
  fs::create_directories(dir);
  const int64_t hw = int64_t(set.h) * set.w;
  std::vector<uint8_t> px(static_cast<size_t>(hw * set.c));
  for (int64_t i = 0; i < set.n; ++i) {
    for (int ch = 0; ch < set.c; ++ch)
      for (int64_t p = 0; p < hw; ++p) px[static_cast<size_t>(p * set.c + ch)] = to_byte(set.image(i)[ch * hw + p]);
    char name[32];
    std::snprintf(name, sizeof name, "/%05lld.png", static_cast<long long>(i));
    write_png(dir + name, px.data(), set.w, set.h, set.c);
  }
}

double fid_of(const std::string& json_path) {
  return nlohmann::json::parse(read_file_text(json_path))["fid"]["value"].get<double>();
}

// A folder of 3 classes of white shapes on a dark noisy background, 32x32 grayscale (one class
// also at 40x36 to exercise resizing): DIR/<class>/<i>.png.
void write_shapes(const std::string& dir, int per_class) {
  Rng rng(5);
  const char* classes[] = {"disc", "square", "cross"};
  for (int k = 0; k < 3; ++k) {
    fs::create_directories(dir + "/" + classes[k]);
    for (int i = 0; i < per_class; ++i) {
      const int W = (k == 2 && i % 4 == 0) ? 40 : 32, H = (k == 2 && i % 4 == 0) ? 36 : 32;
      const double cx = W / 2.0 + (rng.uniform() - 0.5) * 8, cy = H / 2.0 + (rng.uniform() - 0.5) * 8;
      const double r = 5 + 4 * rng.uniform();
      std::vector<uint8_t> px(static_cast<size_t>(W) * H);
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const double dx = x - cx, dy = y - cy;
          const bool in = k == 0 ? dx * dx + dy * dy < r * r
                        : k == 1 ? std::abs(dx) < r && std::abs(dy) < r
                                 : (std::abs(dx) < 2 && std::abs(dy) < r + 3) || (std::abs(dy) < 2 && std::abs(dx) < r + 3);
          px[static_cast<size_t>(y) * W + x] = static_cast<uint8_t>(in ? 220 + 30 * rng.uniform() : 30 * rng.uniform());
        }
      write_png(dir + "/" + classes[k] + "/" + std::to_string(i) + ".png", px.data(), W, H, 1);
    }
  }
}

}  // namespace

TEST(EvalSamples, PngFolderOfTheTestSplitHasFidNearZeroAndNoiseDoesNot) {
  TempDir tmp;
  const ImageSet test = load_split(repo_path("data/breastmnist.npz"), "test");
  write_pngs(tmp.file("real"), test);
  ImageSet noise = test;
  Rng rng(1);
  for (auto& v : noise.pixels) v = static_cast<float>(2 * rng.uniform() - 1);
  write_pngs(tmp.file("noise"), noise);
  std::string out;
  const std::string common = " --ref data/breastmnist.npz --split test --fid --kid --max-ref 0 --json ";
  ASSERT_EQ(qdiff_run("eval --samples " + tmp.file("real") + common + tmp.file("real.json"), &out), 0) << out;
  EXPECT_TRUE(has(out, "samples: 156 images 28x28 grayscale from a folder of PNG/JPEG images")) << out;
  EXPECT_TRUE(has(out, "values uint8 0..255")) << out;
  const double fid_real = fid_of(tmp.file("real.json"));
  EXPECT_LT(std::abs(fid_real), 1e-3) << "the same images, read from PNG, must give the same features";
  ASSERT_EQ(qdiff_run("eval --samples " + tmp.file("noise") + common + tmp.file("noise.json"), &out), 0) << out;
  const double fid_noise = fid_of(tmp.file("noise.json"));
  EXPECT_GT(fid_noise, 10.0) << out;
  const auto report = nlohmann::json::parse(read_file_text(tmp.file("real.json")));
  EXPECT_EQ(report["samples_format"]["source"], "folder of PNG/JPEG images");
}

TEST(EvalSamples, NpyArraysInEveryLayoutAndRangeAreDetectedAndStated) {
  TempDir tmp;
  const ImageSet test = load_split(repo_path("data/breastmnist.npz"), "test");
  const int64_t n = test.n, hw = 28 * 28;
  std::vector<float> signed_nhw(test.pixels), unit_nchw(test.pixels.size());
  for (size_t i = 0; i < unit_nchw.size(); ++i) unit_nchw[i] = (test.pixels[i] + 1.0f) / 2.0f;
  write_npy_file(tmp.file("s.npy"), NpyArray::from_f32({n, 28, 28}, signed_nhw));
  write_npy_file(tmp.file("u.npy"), NpyArray::from_f32({n, 1, 28, 28}, unit_nchw));
  std::string out;
  const std::string common = " --ref data/breastmnist.npz --split test --fid --max-ref 0 --json ";
  ASSERT_EQ(qdiff_run("eval --samples " + tmp.file("s.npy") + common + tmp.file("s.json"), &out), 0) << out;
  EXPECT_TRUE(has(out, "from a .npy array: layout (N,H,W), values float32 in [-1,1]")) << out;
  EXPECT_LT(std::abs(fid_of(tmp.file("s.json"))), 1e-3);
  ASSERT_EQ(qdiff_run("eval --samples " + tmp.file("u.npy") + common + tmp.file("u.json"), &out), 0) << out;
  EXPECT_TRUE(has(out, "layout (N,C,H,W) channels-first, values float32 in [0,1]")) << out;
  EXPECT_LT(std::abs(fid_of(tmp.file("u.json"))), 1e-2);  // (v+1)/2*2-1 in float: tiny rounding
  (void)hw;
  // an ambiguous shape is read by the stated rule, with a warning saying how to choose
  write_npy_file(tmp.file("amb.npy"), NpyArray::from_u8({4, 3, 3, 3}, std::vector<uint8_t>(108, 9)));
  EXPECT_EQ(qdiff_run("eval --samples " + tmp.file("amb.npy") + common + tmp.file("a.json"), &out), 1);
  EXPECT_TRUE(has(out, "fits (N,H,W,C) and (N,C,H,W): read as (N,H,W,C) channels-last (pass --layout nchw")) << out;
  EXPECT_EQ(qdiff_run("eval --samples " + tmp.file("amb.npy") + " --layout nchw" + common + tmp.file("a.json"), &out), 1);
  EXPECT_TRUE(has(out, "layout (N,C,H,W) channels-first")) << out;
  EXPECT_FALSE(has(out, "fits (N,H,W,C) and"));
  EXPECT_EQ(qdiff_run("eval --samples " + tmp.file("s.npy") + " --range 0,1" + common + tmp.file("a.json"), &out), 1);
  EXPECT_TRUE(has(out, tmp.file("s.npy") + ": float images read as [0,1] must not be negative")) << out;
}

TEST(EvalSamples, BadFoldersAreOneClearLineNamingTheFile) {
  TempDir tmp;
  auto eval = [&](const std::string& samples, std::string* out) {
    return qdiff_run("eval --samples " + samples + " --ref data/breastmnist.npz --fid --max-ref 50", out);
  };
  std::string out;
  fs::create_directories(tmp.file("empty"));
  EXPECT_EQ(eval(tmp.file("empty"), &out), 1);
  EXPECT_TRUE(has(out, tmp.file("empty") + ": holds no .png, .jpg or .jpeg images")) << out;
  EXPECT_EQ(eval(tmp.file("missing"), &out), 1);
  EXPECT_TRUE(has(out, tmp.file("missing") + ": no such file")) << out;
  const std::vector<uint8_t> g(28 * 28, 100), c(28 * 28 * 3, 100), big(32 * 32, 100);
  fs::create_directories(tmp.file("sizes"));
  write_png(tmp.file("sizes/a.png"), g.data(), 28, 28, 1);
  write_png(tmp.file("sizes/b.png"), big.data(), 32, 32, 1);
  EXPECT_EQ(eval(tmp.file("sizes"), &out), 1);
  EXPECT_TRUE(has(out, tmp.file("sizes/b.png") + ": is 32x32 grayscale but " + tmp.file("sizes/a.png"))) << out;
  fs::create_directories(tmp.file("channels"));
  write_png(tmp.file("channels/a.png"), g.data(), 28, 28, 1);
  write_png(tmp.file("channels/b.png"), c.data(), 28, 28, 3);
  EXPECT_EQ(eval(tmp.file("channels"), &out), 1);
  EXPECT_TRUE(has(out, tmp.file("channels/b.png") + ": is 28x28 RGB but")) << out;
  fs::create_directories(tmp.file("broken"));
  write_png(tmp.file("broken/a.png"), g.data(), 28, 28, 1);
  std::ofstream(tmp.file("broken/b.jpg")) << "not a jpeg";
  EXPECT_EQ(eval(tmp.file("broken"), &out), 1);
  EXPECT_TRUE(has(out, tmp.file("broken/b.jpg") + ": not a PNG or JPEG image")) << out;
  // readable but the wrong size for the reference: the reference's size is named
  fs::create_directories(tmp.file("small"));
  write_png(tmp.file("small/a.png"), big.data(), 32, 32, 1);
  write_png(tmp.file("small/b.png"), big.data(), 32, 32, 1);
  EXPECT_EQ(eval(tmp.file("small"), &out), 1);
  EXPECT_TRUE(has(out, "are 1x32x32 but the reference")) << out;
}

TEST(BringYourOwnData, ImportFeaturesTrainSampleEvalAndSweep) {
  TempDir tmp;
  write_shapes(tmp.file("shapes"), 60);
  std::string out;
  ASSERT_EQ(qdiff_run("data import " + tmp.file("shapes") + " --out " + tmp.file("shapes.npz") + " --grayscale --seed 1", &out), 0)
      << out;
  EXPECT_TRUE(has(out, "180 images from")) << out;
  EXPECT_TRUE(has(out, "box filter (area average)")) << out;
  EXPECT_TRUE(has(out, "180 of them resized (15 not square)")) << out;
  for (const char* row : {"0      cross", "1      disc", "2      square"}) EXPECT_TRUE(has(out, row)) << row << "\n" << out;
  ASSERT_EQ(qdiff_run("data " + tmp.file("shapes.npz"), &out), 0) << out;
  EXPECT_TRUE(has(out, "train_images")) << out;
  EXPECT_TRUE(has(out, "classes (from " + tmp.file("shapes.npz.json") + "): 0:\"cross\" 1:\"disc\" 2:\"square\"")) << out;

  ASSERT_EQ(qdiff_run("features train --data " + tmp.file("shapes.npz") + " --out " + tmp.file("feat.bin") +
                          " --epochs 12 --batch 32 --lr 3e-3",
                      &out), 0) << out;
  ASSERT_EQ(qdiff_run("features accuracy --net " + tmp.file("feat.bin") + " --data " + tmp.file("shapes.npz"), &out), 0) << out;
  double acc = 0;
  ASSERT_EQ(std::sscanf(out.c_str() + out.find("accuracy "), "accuracy %lf", &acc), 1) << out;
  EXPECT_GT(acc, 0.8) << "three clean shapes are easy to tell apart: " << out;

  const std::string data = " --set data.path=" + tmp.file("shapes.npz") + " --set data.n=12";
  ASSERT_EQ(qdiff_run("train --config configs/smoke.json" + data + " --set train.steps=4 --out " + tmp.file("run"), &out), 0) << out;
  EXPECT_TRUE(has(out, "12 images 1x28x28")) << out;
  ASSERT_EQ(qdiff_run("sample --ckpt " + tmp.file("run/model.bin") + " --n 8 --out '' --npz " + tmp.file("s.npz"), &out), 0) << out;
  ASSERT_EQ(qdiff_run("eval --samples " + tmp.file("s.npz") + " --ref " + tmp.file("shapes.npz") + " --features " +
                          tmp.file("feat.bin") + " --fid --classify",
                      &out), 0) << out;
  EXPECT_TRUE(has(out, "FID")) << out;

  const nlohmann::json sweep = {
      {"base", repo_path("configs/smoke.json")},
      {"set", {{"data.path", tmp.file("shapes.npz")}, {"train.steps", 2}, {"diffusion.T", 20}}},
      {"axes", {{"data.n", {6}}}},
      {"eval", {{"n_samples", 8}, {"ref", tmp.file("shapes.npz")}, {"features", tmp.file("feat.bin")}, {"steps", 2}}}};
  write_file_atomic(tmp.file("sweep.json"), sweep.dump());
  ASSERT_EQ(qdiff_run("sweep --config " + tmp.file("sweep.json") + " --out " + tmp.file("sw"), &out), 0) << out;
  EXPECT_TRUE(has(read_file_text(tmp.file("sw/results.csv")), ",ok,")) << read_file_text(tmp.file("sw/results.csv"));
  ASSERT_EQ(qdiff_run("sweep --status " + tmp.file("sw"), &out), 0) << out;
  EXPECT_TRUE(has(out, "done 1, failed 0, running 0, left 0")) << out;
  EXPECT_TRUE(has(out, "nothing left to run")) << out;
  EXPECT_EQ(qdiff_run("sweep", &out), 1);
  EXPECT_TRUE(has(out, "sweep needs --config FILE (or --protocol DIR, or --status DIR)")) << out;
  EXPECT_EQ(qdiff_run("data", &out), 1);
  EXPECT_TRUE(has(out, "data needs a FILE")) << out;
}

TEST(Export, SafetensorsHoldTheCheckpointWeightsAndTheProbeIsTheModelsOutput) {
  TempDir tmp;
  std::string out;
  ASSERT_EQ(qdiff_run("train --config configs/smoke.json --set train.steps=3 --set train.ema_warmup=false "
                      "--set train.ema_decay=0.5 --out " + tmp.file("run"),
                      &out), 0) << out;
  const std::string ck = tmp.file("run/model.bin");
  ASSERT_EQ(qdiff_run("export --ckpt " + ck + " --out " + tmp.file("m.safetensors") + " --probe " + tmp.file("p.safetensors"), &out), 0)
      << out;
  ASSERT_EQ(qdiff_run("export --ckpt " + ck + " --raw --out " + tmp.file("r.safetensors"), &out), 0) << out;
  const auto checkpoint = nn::load_checkpoint(ck);
  const SafeTensors ema = load_safetensors(tmp.file("m.safetensors")), raw = load_safetensors(tmp.file("r.safetensors"));
  size_t params = 0;
  for (const auto& t : checkpoint.tensors) {
    if (t.name.rfind("param/", 0) != 0) continue;
    ++params;
    const std::string name = t.name.substr(6);
    const SafeTensor* e = ema.find(name);
    const SafeTensor* r = raw.find(name);
    ASSERT_TRUE(e && r) << name;
    EXPECT_EQ(r->data, t.data) << name;
    EXPECT_EQ(e->data, checkpoint.find_tensor("ema/" + name)->data) << name;
    EXPECT_EQ(e->shape, t.shape) << name;
  }
  EXPECT_EQ(ema.tensors.size(), params);
  EXPECT_NE(ema.find("bottleneck.circuit.weight"), nullptr);
  EXPECT_EQ(ema.metadata.at("weights"), "ema");
  EXPECT_EQ(raw.metadata.at("weights"), "raw");
  EXPECT_EQ(ema.metadata.at("format"), "pt");
  EXPECT_EQ(ema.metadata.at("step"), "3");
  EXPECT_EQ(nlohmann::json::parse(ema.metadata.at("config")), checkpoint.config);
  EXPECT_FALSE(ema.metadata.at("qdiff_version").empty());

  // the probe: eps = model(x, t) with the EMA weights
  const SafeTensors probe = load_safetensors(tmp.file("p.safetensors"));
  const SafeTensor &x = *probe.find("x"), &t = *probe.find("t"), &eps = *probe.find("eps");
  EXPECT_EQ(x.shape, (std::vector<int64_t>{3, 1, 28, 28}));
  EXPECT_EQ(t.data, (std::vector<float>{0, 24, 49}));  // smoke T = 50
  auto lm = hybrid::load_model(ck, true);
  std::vector<int> ti(t.data.begin(), t.data.end());
  std::vector<float> y(x.data.size());
  lm.model->forward(x.data.data(), ti.data(), 3, y.data(), false);
  EXPECT_EQ(y, eps.data);

  // a checkpoint without EMA weights: named, with the way out
  auto no_ema = checkpoint;
  std::erase_if(no_ema.tensors, [](const nn::NamedTensor& nt) { return nt.name.rfind("ema/", 0) == 0; });
  nn::save_checkpoint(tmp.file("noema.bin"), no_ema);
  EXPECT_EQ(qdiff_run("export --ckpt " + tmp.file("noema.bin") + " --out " + tmp.file("x.safetensors"), &out), 1);
  EXPECT_TRUE(has(out, tmp.file("noema.bin") + ": holds no EMA weights")) << out;
  EXPECT_TRUE(has(out, "pass --raw")) << out;
  EXPECT_EQ(qdiff_run("export --ckpt " + repo_path("README.md") + " --out " + tmp.file("x.safetensors"), &out), 1);
}
