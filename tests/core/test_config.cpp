// Config validation: defaults, unknown keys with suggestions, types, ranges, --set overrides.
#include <gtest/gtest.h>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "support/test_support.hpp"

using namespace qdiff;

namespace {
std::string config_error(const json& j) {
  try {
    Config::from_json(j);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, DefaultsAreComplete) {
  Config c;
  EXPECT_EQ(c.integer("diffusion.T"), 1000);
  EXPECT_DOUBLE_EQ(c.number("train.lr"), 3e-4);
  EXPECT_EQ(c.str("model.arch"), "paper");
  for (const auto& s : config_schema()) EXPECT_NO_THROW(validate_value(s, s.default_value)) << s.key;
}

TEST(Config, UnknownKeySuggestsClosest) {
  const auto msg = config_error({{"train", {{"lr_rate", 0.1}}}});
  EXPECT_NE(msg.find("train.lr_rate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'train.lr'"), std::string::npos) << msg;
  const auto sec = config_error({{"trian", {{"lr", 0.1}}}});
  EXPECT_NE(sec.find("did you mean 'train.lr'"), std::string::npos) << sec;
}

TEST(Config, WrongTypeAndRange) {
  EXPECT_NE(config_error({{"train", {{"steps", "many"}}}}).find("expected an integer"), std::string::npos);
  EXPECT_NE(config_error({{"train", {{"steps", 1.5}}}}).find("expected an integer"), std::string::npos);
  EXPECT_NE(config_error({{"quantum", {{"n_qubits", 40}}}}).find("out of range [1, 24]"), std::string::npos);
  EXPECT_NE(config_error({{"model", {{"arch", "resnet"}}}}).find("not one of: paper, large"), std::string::npos);
  EXPECT_NE(config_error({{"data", {{"classes", {1, "two"}}}}}).find("list of integers"), std::string::npos);
  EXPECT_NE(config_error({{"train", 5}}).find("section object"), std::string::npos);
}

TEST(Config, SetOverridesAndHash) {
  Config c;
  const auto h0 = c.hash();
  c.set("train.lr=0.001");
  c.set("model.bottleneck=classical");
  c.set("data.classes=[3,5]");
  EXPECT_DOUBLE_EQ(c.number("train.lr"), 0.001);
  EXPECT_EQ(c.str("model.bottleneck"), "classical");
  EXPECT_EQ(c.ints("data.classes"), (std::vector<int64_t>{3, 5}));
  EXPECT_NE(c.hash(), h0);
  EXPECT_THROW(c.set("train.lr"), InvalidArgument);
  EXPECT_THROW(c.set("nope.key=1"), ConfigError);
  EXPECT_THROW(c.set("train.lr=-1"), ConfigError);
}

TEST(Config, FileErrorsNameTheFile) {
  qdiff::test::TempDir tmp;
  write_file_atomic(tmp.file("bad.json"), std::string_view("{ not json"));
  try {
    Config::from_file(tmp.file("bad.json"));
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos);
  }
  write_file_atomic(tmp.file("k.json"), std::string_view(R"({"train": {"stepz": 3}})"));
  try {
    Config::from_file(tmp.file("k.json"));
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("k.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("train.steps"), std::string::npos) << e.what();
  }
}

TEST(Config, ShippedConfigsValidate) {
  for (const char* name : {"configs/mnist.json", "configs/mnist_classical.json", "configs/smoke.json"}) {
    EXPECT_NO_THROW(Config::from_file(qdiff::test::repo_path(name))) << name;
  }
}
