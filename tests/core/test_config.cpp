// Config validation: defaults, unknown keys with suggestions, types, ranges, --set overrides.
#include <gtest/gtest.h>

#include <filesystem>

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

// Every run config in configs/ (globbed: a new file is covered without editing this test)
// validates, and the data file it names is there.
TEST(Config, ShippedConfigsValidate) {
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(qdiff::test::repo_path("configs"))) {
    if (e.path().extension() != ".json") continue;
    const std::string name = e.path().filename().string();
    try {
      const Config c = Config::from_file(e.path().string());
      EXPECT_NO_THROW(require_readable_file(qdiff::test::repo_path(c.str("data.path")))) << name;
    } catch (const Error& err) {
      ADD_FAILURE() << name << ": " << err.what();
    }
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

namespace {
// What tests/fuzz/fuzz_config.cpp does with an input: parse it as a config file, and apply its
// lines as --set assignments; only qdiff errors may come out.
void apply_like_the_fuzzer(const std::string& text) {
  try {
    (void)Config::from_text(text, "fuzz.json").hash();
  } catch (const Error&) {
  }
  Config c;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    try {
      c.set(text.substr(start, end - start));
    } catch (const Error&) {
    }
    start = end + 1;
  }
  EXPECT_NO_THROW(c.dump());
}
}  // namespace

// Found by fuzzing: a --set value with bytes that are not UTF-8 was stored, then every dump of
// the config threw nlohmann's type_error ("internal error").
TEST(Config, FuzzRegressionSetWithInvalidUtf8IsAConfigError) {
  apply_like_the_fuzzer(read_file_text(qdiff::test::repo_path("tests/data/fuzz_regressions/config_set_invalid_utf8.txt")));
  Config c;
  try {
    c.set("data.path=\xff\xfe");
    FAIL() << "invalid UTF-8 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.set("data.classes=\xff"), ConfigError);
}

// Found by fuzzing: a number beyond double range (1e400) made json::parse throw out_of_range,
// which neither the file parser nor --set caught ("internal error").
TEST(Config, FuzzRegressionNumberOverflowIsAConfigError) {
  apply_like_the_fuzzer(read_file_text(qdiff::test::repo_path("tests/data/fuzz_regressions/config_number_overflow.txt")));
  Config c;
  EXPECT_THROW(c.set("train.lr=1e400"), ConfigError);
  try {
    Config::from_text(R"({"train": {"lr": 1e400}})", "big.json");
    FAIL() << "1e400 accepted";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("big.json: invalid JSON"), std::string::npos) << e.what();
  }
}

TEST(Config, HugeNumbersForIntegerKeysAreRangeErrors) {
  Config c;
  // 1e300 is integral as a double; converting it to int64 before the range check was UB.
  EXPECT_THROW(c.set("train.steps=1e300"), ConfigError);
  EXPECT_THROW(c.set("train.steps=-1e300"), ConfigError);
  c.set("train.steps=1e3");
  EXPECT_EQ(c.integer("train.steps"), 1000);
}
