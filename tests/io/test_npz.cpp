// .npz archives: the bundled numpy-written files, qdiff round trips, and hostile archives.
#include <gtest/gtest.h>
#include <zip.h>

#include <fstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/io/npz.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

namespace {

std::string npz_error(const std::string& path, const std::string& key) {
  try {
    NpzFile z(path);
    z.read(key);
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "error must name the file: " << e.what();
    return e.what();
  }
  return "";
}

// Writes a zip with one member holding raw `bytes`, stored or deflated.
void write_zip(const std::string& path, const std::string& member, const std::vector<uint8_t>& bytes, bool deflate) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(z, nullptr);
  zip_source_t* s = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
  const auto idx = zip_file_add(z, member.c_str(), s, 0);
  zip_set_file_compression(z, idx, deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  ASSERT_EQ(zip_close(z), 0);
}

}  // namespace

TEST(NpzBundled, MnistKerasKeysCompressed) {
  NpzFile z(repo_path("data/mnist.npz"));
  EXPECT_EQ(z.keys(), (std::vector<std::string>{"x_train", "y_train", "x_test", "y_test"}));
  const auto info = z.describe();
  EXPECT_TRUE(info[0].compressed);
  const auto y = z.read("y_test");
  EXPECT_EQ(y.shape, (std::vector<int64_t>{10000}));
  std::vector<int64_t> counts(10);
  for (auto l : y.to_int64()) ++counts.at(l);
  EXPECT_EQ(counts, (std::vector<int64_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  const auto x = z.read("x_test");
  EXPECT_EQ(x.shape, (std::vector<int64_t>{10000, 28, 28}));
  EXPECT_EQ(x.dtype, DType::U1);
}

TEST(NpzBundled, MedMnistKeysAndColour) {
  NpzFile r(repo_path("data/retinamnist.npz"));
  EXPECT_EQ(r.read("train_images").shape, (std::vector<int64_t>{1080, 28, 28, 3}));
  EXPECT_EQ(r.read("test_labels").shape, (std::vector<int64_t>{400, 1}));
  NpzFile b(repo_path("data/breastmnist.npz"));
  std::vector<int64_t> counts(2);
  for (auto l : b.read("train_labels").to_int64()) ++counts.at(l);
  EXPECT_EQ(counts, (std::vector<int64_t>{147, 399}));
}

TEST(NpzRoundTrip, WriteStoredReadBack) {
  TempDir tmp;
  const auto path = tmp.file("s.npz");
  const auto img = NpyArray::from_u8({2, 2, 2}, {0, 1, 2, 3, 252, 253, 254, 255});
  const auto f = NpyArray::from_f32({3}, {0.5f, -1.f, 2.f});
  write_npz(path, {{"images", img}, {"values", f}});
  NpzFile z(path);
  EXPECT_FALSE(z.describe()[0].compressed);
  EXPECT_EQ(z.read("images").data, img.data);
  EXPECT_EQ(z.read("values").to_float(), f.to_float());
}

TEST(NpzRoundTrip, DeflatedMemberReads) {
  TempDir tmp;
  const auto a = NpyArray::from_f32({4}, {1, 2, 3, 4});
  write_zip(tmp.file("d.npz"), "a.npy", serialize_npy(a), true);
  NpzFile z(tmp.file("d.npz"));
  EXPECT_TRUE(z.describe()[0].compressed);
  EXPECT_EQ(z.read("a").to_float(), a.to_float());
}

TEST(NpzHostile, EmptyFileAndNotAZip) {
  TempDir tmp;
  write_file_atomic(tmp.file("empty.npz"), std::string_view(""));
  EXPECT_NE(npz_error(tmp.file("empty.npz"), "x").find("not a .npz"), std::string::npos);
  write_file_atomic(tmp.file("text.npz"), std::string_view("hello, this is not a zip archive at all"));
  EXPECT_NE(npz_error(tmp.file("text.npz"), "x").find("not a .npz"), std::string::npos);
  EXPECT_NE(npz_error(tmp.file("missing.npz"), "x").find("no such file"), std::string::npos);
}

TEST(NpzHostile, TruncatedArchive) {
  TempDir tmp;
  auto bytes = read_file_bytes(repo_path("data/breastmnist.npz"));
  bytes.resize(bytes.size() / 2);
  write_file_atomic(tmp.file("t.npz"), bytes);
  EXPECT_FALSE(npz_error(tmp.file("t.npz"), "train_images").empty());
}

TEST(NpzHostile, FlippedByteInCompressedData) {
  TempDir tmp;
  auto bytes = read_file_bytes(repo_path("data/breastmnist.npz"));
  bytes[20000] ^= 0x5a;  // inside the first (train_images) member's deflate stream
  write_file_atomic(tmp.file("f.npz"), bytes);
  const auto msg = npz_error(tmp.file("f.npz"), "train_images");
  EXPECT_NE(msg.find("corrupt"), std::string::npos) << msg;
}

TEST(NpzHostile, ObjectArrayMember) {
  TempDir tmp;
  std::string d = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }";
  auto bytes = serialize_npy(NpyArray::from_u8({8}, std::vector<uint8_t>(8)));
  // Replace the descr in a valid header of equal alignment.
  std::string s(bytes.begin(), bytes.end());
  s.replace(s.find("'|u1'"), 5, "'|O' ");
  write_zip(tmp.file("o.npz"), "o.npy", std::vector<uint8_t>(s.begin(), s.end()), false);
  EXPECT_NE(npz_error(tmp.file("o.npz"), "o").find("object arrays"), std::string::npos);
}

TEST(NpzHostile, MemberLargerThanHeaderSays) {
  // Header promises 10 bytes; the member inflates to 4 MB.
  TempDir tmp;
  auto bytes = serialize_npy(NpyArray::from_u8({10}, std::vector<uint8_t>(10, 7)));
  bytes.resize(bytes.size() + (4 << 20), 0);
  write_zip(tmp.file("bomb.npz"), "a.npy", bytes, true);
  const auto msg = npz_error(tmp.file("bomb.npz"), "a");
  EXPECT_TRUE(msg.find("does not match its header") != std::string::npos ||
              msg.find("more data than its header") != std::string::npos)
      << msg;
}

TEST(NpzHostile, ShapeLargerThanMember) {
  TempDir tmp;
  auto bytes = serialize_npy(NpyArray::from_u8({10}, std::vector<uint8_t>(10, 7)));
  std::string s(bytes.begin(), bytes.end());
  s.replace(s.find("(10,)"), 5, "(99,)");
  write_zip(tmp.file("short.npz"), "a.npy", std::vector<uint8_t>(s.begin(), s.end()), true);
  const auto msg = npz_error(tmp.file("short.npz"), "a");
  EXPECT_NE(msg.find("does not match its header"), std::string::npos) << msg;
}

TEST(NpzHostile, MissingKeyListsWhatExists) {
  const auto msg = npz_error(repo_path("data/mnist.npz"), "train_images");
  EXPECT_NE(msg.find("x_train"), std::string::npos) << msg;
}
