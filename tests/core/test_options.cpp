// Typed options: every key lands in its field, modes parse from and print to the schema's names,
// cross-key rules name the key, and stored configs resolve with overrides.
#include <gtest/gtest.h>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/options.hpp"

using namespace qdiff;

namespace {

template <class E>
void expect_mode_round_trip(const std::string& key) {
  const KeySpec* spec = find_key(key);
  ASSERT_NE(spec, nullptr) << key;
  EXPECT_EQ(spec->choices, mode_names<E>()) << key << ": the schema's values are the enum's names";
  for (const std::string& name : mode_names<E>()) EXPECT_EQ(mode_name(parse_mode<E>(name)), name) << key;
}

}  // namespace

TEST(Options, ModesAreTheSchemasChoices) {
  expect_mode_round_trip<SubsetMode>("data.subset");
  expect_mode_round_trip<Arch>("model.arch");
  expect_mode_round_trip<BottleneckKind>("model.bottleneck");
  expect_mode_round_trip<Ansatz>("quantum.ansatz");
  expect_mode_round_trip<Entangler>("quantum.entangler");
  expect_mode_round_trip<GradMethod>("quantum.gradient");
  expect_mode_round_trip<Precision>("quantum.precision");
  expect_mode_round_trip<Reduce>("quantum.reduce");
  expect_mode_round_trip<ScheduleKind>("diffusion.schedule");
  expect_mode_round_trip<TimestepKind>("diffusion.timesteps");
  expect_mode_round_trip<NoiseKind>("diffusion.noise");
  expect_mode_round_trip<OptimizerKind>("train.optimizer");
  expect_mode_round_trip<SamplerKind>("sample.sampler");
  expect_mode_round_trip<MatmulPrecision>("train.precision");
  expect_mode_round_trip<MatmulPrecision>("sample.precision");
}

TEST(Options, UnknownModeNamesTheValidOnes) {
  try {
    parse_mode<Entangler>("star");
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "unknown entangler 'star' (use chain, ring or all)");
  }
}

// Every key set to a value other than its default: each must arrive in its own field.
TEST(Options, EveryKeyLandsInItsField) {
  Config c;
  for (const char* kv :
       {"data.path=x.npz", "data.split=val", "data.classes=[3,5]", "data.n=7", "data.subset=random", "data.seed=9",
        "model.arch=large", "model.bottleneck=classical", "model.base_channels=16", "model.channel_mult=[1,3]",
        "model.groups=2", "model.classical_hidden=11", "quantum.n_qubits=5", "quantum.n_layers=4",
        "quantum.ansatz=strong", "quantum.entangler=all", "quantum.gradient=parameter_shift",
        "quantum.precision=float", "quantum.shots=17", "quantum.reduce=linear", "diffusion.T=300",
        "diffusion.schedule=cosine", "diffusion.beta_start=0.001", "diffusion.beta_end=0.03", "diffusion.cosine_s=0.01",
        "diffusion.tailored_power=3", "diffusion.timesteps=curriculum", "diffusion.curriculum_start=0.6",
        "diffusion.curriculum_end=0.2", "diffusion.curriculum_width=0.5", "diffusion.importance_history=4",
        "diffusion.noise=quantum", "diffusion.noise_qubits=6", "train.steps=33", "train.batch=12", "train.lr=0.002",
        "train.optimizer=adamw", "train.weight_decay=0.1", "train.grad_clip=2", "train.ema_decay=0.9",
        "train.ema_warmup=false", "train.seed=4", "train.log_every=3", "train.ckpt_every=6", "train.sample_every=8",
        "train.threads=2", "train.precision=bf16", "sample.sampler=ddpm", "sample.steps=400", "sample.eta=0.5", "sample.n=10",
        "sample.clip_x0=false", "sample.precision=bf16"})
    c.set(kv);
  const RunOptions r = resolve_options(c);
  EXPECT_EQ(r.data.path, "x.npz");
  EXPECT_EQ(r.data.split, "val");
  EXPECT_EQ(r.data.classes, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(r.data.n, 7);
  EXPECT_EQ(r.data.subset, SubsetMode::Random);
  EXPECT_EQ(r.data.seed, 9u);
  EXPECT_EQ(r.model.arch, Arch::Large);
  EXPECT_EQ(r.model.bottleneck, BottleneckKind::Classical);
  EXPECT_EQ(r.model.base_channels, 16);
  EXPECT_EQ(r.model.channel_mult, (std::vector<int>{1, 3}));
  EXPECT_EQ(r.model.groups, 2);
  EXPECT_EQ(r.model.classical_hidden, 11);
  EXPECT_EQ(r.quantum.n_qubits, 5);
  EXPECT_EQ(r.quantum.n_layers, 4);
  EXPECT_EQ(r.quantum.ansatz, Ansatz::Strong);
  EXPECT_EQ(r.quantum.entangler, Entangler::All);
  EXPECT_EQ(r.quantum.gradient, GradMethod::ParameterShift);
  EXPECT_EQ(r.quantum.precision, Precision::Float);
  EXPECT_EQ(r.quantum.shots, 17);
  EXPECT_EQ(r.quantum.reduce, Reduce::Linear);
  EXPECT_EQ(r.diffusion.T, 300);
  EXPECT_EQ(r.diffusion.schedule, ScheduleKind::Cosine);
  EXPECT_DOUBLE_EQ(r.diffusion.beta_start, 0.001);
  EXPECT_DOUBLE_EQ(r.diffusion.beta_end, 0.03);
  EXPECT_DOUBLE_EQ(r.diffusion.cosine_s, 0.01);
  EXPECT_DOUBLE_EQ(r.diffusion.tailored_power, 3.0);
  EXPECT_EQ(r.diffusion.timesteps, TimestepKind::Curriculum);
  EXPECT_DOUBLE_EQ(r.diffusion.curriculum_start, 0.6);
  EXPECT_DOUBLE_EQ(r.diffusion.curriculum_end, 0.2);
  EXPECT_DOUBLE_EQ(r.diffusion.curriculum_width, 0.5);
  EXPECT_EQ(r.diffusion.importance_history, 4);
  EXPECT_EQ(r.diffusion.noise, NoiseKind::Quantum);
  EXPECT_EQ(r.diffusion.noise_qubits, 6);
  EXPECT_EQ(r.train.steps, 33);
  EXPECT_EQ(r.train.batch, 12);
  EXPECT_DOUBLE_EQ(r.train.lr, 0.002);
  EXPECT_EQ(r.train.optimizer, OptimizerKind::AdamW);
  EXPECT_DOUBLE_EQ(r.train.weight_decay, 0.1);
  EXPECT_DOUBLE_EQ(r.train.grad_clip, 2.0);
  EXPECT_DOUBLE_EQ(r.train.ema_decay, 0.9);
  EXPECT_FALSE(r.train.ema_warmup);
  EXPECT_EQ(r.train.seed, 4u);
  EXPECT_EQ(r.train.log_every, 3);
  EXPECT_EQ(r.train.ckpt_every, 6);
  EXPECT_EQ(r.train.precision, MatmulPrecision::BF16);
  EXPECT_EQ(r.sample.precision, MatmulPrecision::BF16);
  EXPECT_EQ(r.train.sample_every, 8);
  EXPECT_EQ(r.train.threads, 2);
  EXPECT_EQ(r.sample.sampler, SamplerKind::Ddpm);
  EXPECT_EQ(r.sample.steps, 400);  // > T is fine for DDPM, which runs all T steps
  EXPECT_DOUBLE_EQ(r.sample.eta, 0.5);
  EXPECT_EQ(r.sample.n, 10);
  EXPECT_FALSE(r.sample.clip_x0);
  EXPECT_EQ(r.config, c.resolved());
}

TEST(Options, DefaultsAreTheSchemas) {
  const RunOptions r = resolve_options(Config());
  EXPECT_EQ(r.model.arch, Arch::Paper);
  EXPECT_EQ(r.quantum.n_qubits, 8);
  EXPECT_EQ(r.quantum.entangler, Entangler::Ring);
  EXPECT_EQ(r.diffusion.T, 1000);
  EXPECT_EQ(r.sample.sampler, SamplerKind::Ddim);
  EXPECT_EQ(r.sample.steps, 50);
  EXPECT_TRUE(r.sample.clip_x0);
}

TEST(Options, CrossKeyRulesNameTheKey) {
  auto key_of = [](std::initializer_list<const char*> sets) -> std::string {
    Config c;
    for (const char* s : sets) c.set(s);
    try {
      resolve_options(c);
    } catch (const ConfigError& e) {
      return e.key();
    }
    return "";
  };
  EXPECT_EQ(key_of({"diffusion.beta_start=0.05", "diffusion.beta_end=0.01"}), "diffusion.beta_end");
  EXPECT_EQ(key_of({"diffusion.schedule=sigmoid", "diffusion.beta_start=0.05", "diffusion.beta_end=0.01"}),
            "diffusion.beta_end");
  EXPECT_EQ(key_of({"diffusion.schedule=cosine", "diffusion.beta_start=0.05", "diffusion.beta_end=0.01"}), "");
  EXPECT_EQ(key_of({"diffusion.schedule=tailored", "diffusion.beta_start=0.5"}), "diffusion.beta_start");
  EXPECT_EQ(key_of({"diffusion.T=20"}), "sample.steps");  // 50 DDIM steps > T
  EXPECT_EQ(key_of({"diffusion.T=20", "sample.sampler=ddpm"}), "");
}

TEST(Options, StoredConfigsResolveWithOverrides) {
  Config c;
  c.set("diffusion.T=20");
  c.set("sample.steps=10");
  const RunOptions r = resolve_options(c.resolved(), "ck.bin", {{"sample.steps", 20}, {"sample.sampler", "ddpm"}});
  EXPECT_EQ(r.sample.steps, 20);
  EXPECT_EQ(r.sample.sampler, SamplerKind::Ddpm);
  EXPECT_EQ(r.config["sample"]["steps"], 20);
  // An override may repair a stored config the rules reject (50 DDIM steps > T = 20).
  c.set("sample.steps=50");
  EXPECT_THROW(resolve_options(c), ConfigError);
  EXPECT_EQ(resolve_options(c.resolved(), "ck.bin", {{"sample.steps", 5}}).sample.steps, 5);
  // A stored config this qdiff does not accept names the file; a bad override names its key.
  json stored = c.resolved();
  stored["model"]["arch"] = "huge";
  try {
    resolve_options(stored, "ck.bin");
    FAIL() << "no error";
  } catch (const FileError& e) {
    EXPECT_EQ(e.path(), "ck.bin");
  }
  try {
    resolve_options(c.resolved(), "ck.bin", {{"sample.steps", 0}});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "sample.steps");
  }
}
