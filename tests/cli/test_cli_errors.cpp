// Malformed command lines, every command: values that are not numbers, out of range or not
// among the choices, missing and wrong kinds of files, bad --set assignments. Each must end in
// one clear line naming the option (or file, or key), the value and what was expected, with a
// non-zero exit: never "internal error" (exit 2) or CLI11's two-line usage error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "qdiff_run.hpp"
#include "support/test_support.hpp"

using qdiff::test::qdiff_run;

namespace {

struct BadInput {
  std::string args;                   // after `qdiff`, run from the repository root
  std::vector<std::string> expected;  // substrings of the error line
};

void expect_one_line_error(const BadInput& c) {
  std::string out;
  const int rc = qdiff_run(c.args, &out);
  EXPECT_EQ(rc, 1) << "qdiff " << c.args << "\n" << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "qdiff " << c.args << " should print one line:\n" << out;
  EXPECT_NE(out.find("error"), std::string::npos) << out;
  EXPECT_EQ(out.find("internal error"), std::string::npos) << out;
  for (const auto& e : c.expected) EXPECT_NE(out.find(e), std::string::npos) << "qdiff " << c.args << ": no '" << e << "' in\n" << out;
}

void expect_all(const std::vector<BadInput>& cases) {
  for (const auto& c : cases) expect_one_line_error(c);
}

}  // namespace

TEST(CliErrors, GlobalOptionsAndCommands) {
  expect_all({
      {"--log-level loud config", {"option '--log-level'", "\"loud\"", "not one of: trace, debug"}},
      {"frobnicate", {"unknown command 'frobnicate'", "data, config, train"}},
      {"--log-level warn frobnicate", {"unknown command 'frobnicate'"}},
      {"sample --n 3", {"--ckpt", "required"}},
      {"config --frob", {"--frob"}},
      {"sample --ckpt x.bin --n", {"option '--n'"}},
  });
}

TEST(CliErrors, Config) {
  expect_all({
      {"config --set train.lr=abc", {"config key 'train.lr'", "expected a number", "\"abc\""}},
      {"config --set train.lrr=0.1", {"train.lrr", "did you mean 'train.lr'"}},
      {"config --set train.steps=0", {"train.steps", "out of range [1, 1e+09]"}},
      {"config --set train.steps", {"--set expects section.key=value", "train.steps"}},
      {"config --set =5", {"--set expects section.key=value"}},
      {"config --set data.path=$(printf '\\377')", {"data.path", "not valid UTF-8"}},
      {"config /no/such.json", {"/no/such.json: no such file"}},
      {"config data/mnist.npz", {"mnist.npz", "invalid JSON"}},
      {"config configs", {"configs: is a directory"}},
  });
}

// bf16 on a CPU without AVX512_BF16 (forced on any CPU by QDIFF_DISABLE_BF16): the key named,
// before the run directory is made.
TEST(CliErrors, Bf16WithoutTheInstructions) {
  setenv("QDIFF_DISABLE_BF16", "1", 1);
  const qdiff::test::TempDir tmp;
  const std::string out = tmp.file("run");
  expect_all({
      {"train --config configs/smoke.json --set train.precision=bf16 --out " + out,
       {"config key 'train.precision'", "AVX512_BF16", "use float32"}},
      {"train --config configs/smoke.json --set sample.precision=bf16 --out " + out,
       {"config key 'sample.precision'", "AVX512_BF16"}},
  });
  unsetenv("QDIFF_DISABLE_BF16");
  EXPECT_FALSE(std::filesystem::exists(out)) << "the refused run made its directory";
}

TEST(CliErrors, Data) {
  expect_all({
      {"data /no/such.npz", {"/no/such.npz: no such file"}},
      {"data README.md", {"README.md", "not a .npz"}},
      {"data configs/smoke.json.npy", {"smoke.json.npy: no such file"}},
      {"data data", {"data: is a directory"}},
  });
}

TEST(CliErrors, Train) {
  expect_all({
      {"train --config configs/smoke.json --steps abc", {"option '--steps'", "expected an integer", "\"abc\""}},
      {"train --config configs/smoke.json --steps 0", {"option '--steps'", "value 0 is out of range [1, 1e+09]"}},
      {"train --config configs/smoke.json --steps 2.5", {"option '--steps'", "expected an integer", "2.5"}},
      {"train --config configs/smoke.json --seed -1", {"option '--seed'", "out of range"}},
      {"train --config configs/smoke.json --threads 999", {"option '--threads'", "999", "[0, 256]"}},
      {"train --config /no/such.json", {"/no/such.json: no such file"}},
      {"train --config data/mnist.npz", {"mnist.npz", "invalid JSON"}},
      {"train --resume configs/smoke.json", {"smoke.json", "not a qdiff checkpoint"}},
      {"train --config configs/smoke.json --set quantum.n_qubits=abc", {"quantum.n_qubits", "expected an integer"}},
      {"train --config configs/sweeps/pilot_mnist.json", {"pilot_mnist.json", "unknown key"}},
      {"train", {"train needs --config"}},
  });
}

TEST(CliErrors, Sample) {
  expect_all({
      {"sample --ckpt x.bin --n abc", {"option '--n'", "expected an integer", "\"abc\""}},
      {"sample --ckpt x.bin --n 0", {"option '--n'", "value 0 is out of range [1, 1e+07]"}},
      {"sample --ckpt x.bin --eta 2", {"option '--eta'", "value 2", "[0, 1]"}},
      {"sample --ckpt x.bin --eta nan", {"option '--eta'", "expected a number", "\"nan\""}},
      {"sample --ckpt x.bin --sampler foo", {"option '--sampler'", "\"foo\"", "not one of: ddpm, ddim"}},
      {"sample --ckpt x.bin --steps 1.5", {"option '--steps'", "expected an integer"}},
      {"sample --ckpt x.bin --batch 0", {"option '--batch'", "out of range [1, 4096]"}},
      {"sample --ckpt x.bin --scale 99", {"option '--scale'", "out of range [1, 16]"}},
      {"sample --ckpt x.bin --nrow -2", {"option '--nrow'", "out of range"}},
      {"sample --ckpt x.bin --seed abc", {"option '--seed'", "expected an integer"}},
      {"sample --ckpt x.bin --precision fp16", {"option '--precision'", "\"fp16\"", "not one of: float32, bf16"}},
      {"sample --ckpt /no/such.bin", {"/no/such.bin: no such file"}},
      {"sample --ckpt README.md", {"README.md", "not a qdiff checkpoint"}},
      {"sample --ckpt data/mnist.npz", {"mnist.npz", "not a qdiff checkpoint"}},
  });
}

TEST(CliErrors, Eval) {
  const std::string ref = " --ref data/mnist.npz";
  expect_all({
      {"eval --samples s.npz --ref data/mnist.npz --n 1", {"option '--n'", "out of range [2, 1e+06]"}},
      {"eval --samples s.npz" + ref + " --class x", {"option '--class'", "expected an integer", "\"x\""}},
      {"eval --samples s.npz" + ref + " --class 5000", {"option '--class'", "out of range [0, 1000]"}},
      {"eval --samples s.npz" + ref + " --max-ref -1", {"option '--max-ref'", "out of range"}},
      {"eval --samples s.npz" + ref + " --batch abc", {"option '--batch'", "expected an integer"}},
      {"eval --samples s.npz" + ref + " --seed 1e20", {"option '--seed'", "out of range"}},
      {"eval --samples s.npz" + ref + " --sampler foo", {"option '--sampler'", "not one of"}},
      {"eval --samples /no/such.npz" + ref, {"/no/such.npz: no such file"}},
      {"eval --samples README.md" + ref, {"README.md", "not a .npz"}},
      {"eval --samples data/mnist.npz --ref /no/such.npz", {"/no/such.npz: no such file"}},
      {"eval --samples data/mnist.npz --ref configs/smoke.json", {"smoke.json", "not a .npz"}},
      {"eval" + ref, {"exactly one of --samples or --ckpt"}},
  });
}

TEST(CliErrors, Features) {
  expect_all({
      {"features train --data data/mnist.npz --out f.bin --epochs 0", {"option '--epochs'", "out of range [1, 1000]"}},
      {"features train --data data/mnist.npz --out f.bin --lr abc", {"option '--lr'", "expected a number"}},
      {"features train --data data/mnist.npz --out f.bin --batch 99999", {"option '--batch'", "out of range"}},
      {"features train --data /no/such.npz --out f.bin", {"/no/such.npz: no such file"}},
      {"features accuracy --net /no/such.bin --data data/mnist.npz", {"/no/such.bin: no such file"}},
      {"features accuracy --net README.md --data data/mnist.npz", {"README.md"}},
      {"features accuracy --net data/features/mnist.bin --data README.md", {"README.md", "not a .npz"}},
      {"features", {"subcommand"}},
  });
}

TEST(CliErrors, Sweep) {
  expect_all({
      {"sweep --config /no/such.json", {"/no/such.json: no such file"}},
      {"sweep --config configs/smoke.json --list", {"smoke.json", "unknown key"}},
      {"sweep --config data/mnist.npz --list", {"mnist.npz", "invalid JSON"}},
  });
}

TEST(CliErrors, Noise) {
  expect_all({
      {"noise --n abc", {"option '--n'", "expected an integer", "\"abc\""}},
      {"noise --n 4", {"option '--n'", "out of range [8, 2.14748e+09]"}},
      {"noise --qubits 1", {"option '--qubits'", "out of range [2, 24]"}},
      {"noise --source foo", {"option '--source'", "not one of: gaussian, quantum"}},
      {"noise --seed x", {"option '--seed'", "expected an integer"}},
  });
  // An output that cannot be written fails after the statistics are printed, on its own line.
  std::string out;
  EXPECT_EQ(qdiff_run("noise --source gaussian --n 16 --hist /proc/no/dir/h.png", &out), 1);
  EXPECT_NE(out.find("error] /proc/no/dir"), std::string::npos) << out;
}

TEST(CliErrors, Circuit) {
  expect_all({
      {"circuit --ckpt x.bin --angles abc", {"option '--angles'", "expected a number", "\"abc\""}},
      {"circuit --ckpt x.bin --angles 0.1,abc", {"option '--angles'", "\"abc\""}},
      {"circuit --ckpt x.bin --qasm-version 4", {"option '--qasm-version'", "out of range [2, 3]"}},
      {"circuit --ckpt /no/such.bin", {"/no/such.bin: no such file"}},
      {"circuit --ckpt README.md", {"README.md", "not a qdiff checkpoint"}},
  });
}

TEST(CliErrors, NumbersInScientificNotationAreAccepted) {
  std::string out;
  // "1e3" is the integer 1000, as it is in a config file.
  ASSERT_EQ(qdiff_run("noise --source gaussian --n 1e3", &out), 0) << out;
  EXPECT_NE(out.find("n = 1000"), std::string::npos) << out;
}
