// safetensors: the byte layout the format specifies, a round trip, and hostile files (bad
// lengths, offsets out of range, overlaps, gaps, wrong dtypes, malformed headers) refused clearly.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "qdiff/core/error.hpp"
#include "qdiff/io/safetensors.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::TempDir;

namespace {

SafeTensors sample() {
  SafeTensors st;
  st.metadata = {{"format", "pt"}, {"config", "{\"a\": 1}"}};
  st.tensors = {{"b.weight", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"a.bias", {3}, {-1.5f, 0.25f, 1e-30f}}, {"scalar", {}, {7}},
                {"empty", {0, 4}, {}}};
  return st;
}

// A file from a header given as text and a buffer of `buffer_bytes` bytes.
std::vector<uint8_t> file_with(const std::string& header, size_t buffer_bytes) {
  std::vector<uint8_t> b(8 + header.size() + buffer_bytes, 0);
  const uint64_t n = header.size();
  std::memcpy(b.data(), &n, 8);
  std::memcpy(b.data() + 8, header.data(), header.size());
  return b;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    parse_safetensors(bytes, "w.safetensors");
  } catch (const FileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Safetensors, LayoutFollowsTheFormat) {
  const auto bytes = serialize_safetensors(sample());
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u) << "the byte buffer starts at a multiple of 8";
  const std::string text(reinterpret_cast<const char*>(bytes.data()) + 8, n);
  const json h = json::parse(text);  // trailing spaces are JSON whitespace
  EXPECT_EQ(h["__metadata__"]["format"], "pt");
  // tensors packed in name order: a.bias, b.weight, empty, scalar
  EXPECT_EQ(h["a.bias"], json({{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 12}}}));
  EXPECT_EQ(h["b.weight"], json({{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {12, 36}}}));
  EXPECT_EQ(h["empty"]["data_offsets"], json({36, 36}));
  EXPECT_EQ(h["scalar"], json({{"dtype", "F32"}, {"shape", json::array()}, {"data_offsets", {36, 40}}}));
  ASSERT_EQ(bytes.size(), 8 + n + 40);
  float v;
  std::memcpy(&v, bytes.data() + 8 + n + 12 + 4 * 4, 4);  // b.weight[1][1]
  EXPECT_EQ(v, 5.0f);
  const uint8_t le_one[4] = {0x00, 0x00, 0x80, 0x3f};  // 1.0f little-endian: b.weight[0][0]
  EXPECT_EQ(std::memcmp(bytes.data() + 8 + n + 12, le_one, 4), 0);
}

TEST(Safetensors, RoundTrip) {
  TempDir tmp;
  save_safetensors(tmp.file("m.safetensors"), sample());
  const SafeTensors back = load_safetensors(tmp.file("m.safetensors"));
  EXPECT_EQ(back.metadata, sample().metadata);
  ASSERT_EQ(back.tensors.size(), 4u);
  for (const auto& t : sample().tensors) {
    const SafeTensor* b = back.find(t.name);
    ASSERT_NE(b, nullptr) << t.name;
    EXPECT_EQ(b->shape, t.shape) << t.name;
    EXPECT_EQ(b->data, t.data) << t.name;
  }
  EXPECT_EQ(back.find("nope"), nullptr);
}

TEST(Safetensors, WriterRefusesBadInput) {
  SafeTensors st;
  st.tensors = {{"a", {2}, {1, 2}}, {"a", {1}, {3}}};
  EXPECT_THROW(serialize_safetensors(st), InvalidArgument);
  st.tensors = {{"a", {3}, {1, 2}}};
  EXPECT_THROW(serialize_safetensors(st), InvalidArgument);
  st.tensors = {{"__metadata__", {1}, {1}}};
  EXPECT_THROW(serialize_safetensors(st), InvalidArgument);
}

TEST(SafetensorsHostile, Lengths) {
  EXPECT_NE(error_of({1, 2, 3}).find("too short"), std::string::npos);
  auto b = serialize_safetensors(sample());
  const uint64_t huge = kMaxSafetensorsHeader + 1;
  std::memcpy(b.data(), &huge, 8);
  EXPECT_NE(error_of(b).find("exceeds the limit of 100000000 bytes"), std::string::npos) << error_of(b);
  const uint64_t past = b.size();
  std::memcpy(b.data(), &past, 8);
  EXPECT_NE(error_of(b).find("runs past the end of the file"), std::string::npos);
  const uint64_t wrap = ~uint64_t(0) - 4;  // would wrap around if added carelessly
  std::memcpy(b.data(), &wrap, 8);
  EXPECT_FALSE(error_of(b).empty());
  auto truncated = serialize_safetensors(sample());
  truncated.resize(truncated.size() - 4);
  EXPECT_NE(error_of(truncated).find("out of range"), std::string::npos) << error_of(truncated);
  EXPECT_NE(error_of(file_with("", 0)).find("does not start with '{'"), std::string::npos);
}

TEST(SafetensorsHostile, MalformedHeaders) {
  EXPECT_NE(error_of(file_with("{\"a\": ", 0)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(file_with("[1, 2]", 0)).find("does not start with '{'"), std::string::npos);
  const std::string entry = R"({"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})";
  EXPECT_NE(error_of(file_with("{\"a\": " + entry + ", \"a\": " + entry + "}", 4)).find("repeats the key 'a'"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4))
                .find("repeats the key 'dtype'"),
            std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"__metadata__": {"k": 1}})", 0)).find("'k'] is not a string"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [1]}})", 4)).find("needs an object with dtype"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4))
                .find("not a non-negative integer"),
            std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4)).find("two non-negative"),
            std::string::npos);
}

TEST(SafetensorsHostile, DtypesAndShapes) {
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", 4))
                .find("tensor 'a': dtype F16 is not supported (qdiff reads F32)"),
            std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}})", 4)).find("unknown dtype \"F33\""),
            std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", 8))
                .find("span 4 bytes but shape [2] in F32 needs 8"),
            std::string::npos);
  // a shape whose element count overflows 64 bits, with offsets that would match the wrapped product
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 0]}})", 0))
                .find("holds more F32 values than the file"),
            std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [1073741824], "data_offsets": [0, 4]}})", 4))
                .find("holds more F32 values"),
            std::string::npos);
}

TEST(SafetensorsHostile, OffsetsOverlapsAndGaps) {
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 4)).find("out of range"),
            std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8)).find("out of range"),
            std::string::npos);
  const std::string overlap = R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})";
  EXPECT_NE(error_of(file_with(overlap, 12)).find("tensor 'b' overlaps tensor 'a'"), std::string::npos) << error_of(file_with(overlap, 12));
  const std::string same = R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                              "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})";
  EXPECT_NE(error_of(file_with(same, 4)).find("overlaps"), std::string::npos);
  const std::string gap = R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                             "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})";
  EXPECT_NE(error_of(file_with(gap, 12)).find("bytes 4..8 of the buffer belong to no tensor"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 8))
                .find("4 bytes after the last tensor"),
            std::string::npos);
  // the same header with exactly its buffer is fine
  EXPECT_EQ(error_of(file_with(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4)), "");
}
