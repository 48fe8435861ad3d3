// Headers that lie about sizes: absurd shapes are refused before anything is allocated, and a
// plausible claim over a few bytes of data costs memory in proportion to the data, not the claim.
// In-memory readers (the fuzz targets' entry points) match the file readers.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <functional>
#include <string>
#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/io/idx.hpp"
#include "qdiff/io/npy.hpp"
#include "qdiff/io/npz.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::repo_path;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FileError& e) {
    return e.what();
  }
  return "";
}

// gzip (one member) of `raw`.
std::vector<uint8_t> gzip(const std::vector<uint8_t>& raw) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(raw.size() + 128);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Peak resident memory of this process so far, in MiB.
long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

TEST(HostileHeaders, AbsurdShapesAreRefusedByName) {
  // IDX: three dimensions of 2^32 - 1 bytes, about 8e28 elements.
  const std::vector<uint8_t> idx = {0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1, 2};
  EXPECT_NE(error_of([&] { parse_idx(idx, "huge-idx3"); }).find("huge-idx3: absurd IDX shape"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_idx(gzip(idx), "huge-idx3.gz"); }).find("absurd IDX shape"), std::string::npos);
  // .npy: 10^12 float32 elements.
  NpyArray a = NpyArray::from_f32({2}, {1.0f, 2.0f});
  auto bytes = serialize_npy(a);
  std::string text(bytes.begin(), bytes.end());
  text.replace(text.find("(2,)"), 4, "(1000000000000,)");
  const std::vector<uint8_t> npy(text.begin(), text.end());
  EXPECT_NE(error_of([&] { parse_npy(npy, "huge.npy"); }).find("huge.npy: absurd shape"), std::string::npos);
}

TEST(HostileHeaders, AClaimOverAFewBytesCostsMemoryForTheBytesOnly) {
  // A gzip IDX file whose header claims 3 GiB of uint8 (under the 16 GiB sanity limit) but
  // holds 8 bytes: it must fail as truncated without ever allocating the claim.
  const std::vector<uint8_t> raw = {0, 0, 8, 3, 0, 0, 0x30, 0, 0, 0, 0x40, 0, 0, 0, 0, 0x10, 1, 2, 3, 4, 5, 6, 7, 8};
  const long before = peak_rss_mib();
  const std::string msg = error_of([&] { parse_idx(gzip(raw), "claims-3GiB-idx3.gz"); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_LT(peak_rss_mib() - before, 512) << "the reader allocated what the header claimed";
  EXPECT_NE(error_of([&] { parse_idx(raw, "claims-3GiB-idx3"); }).find("truncated"), std::string::npos);
  // The fuzzer's timeout input of 2026-11-26 (2 x 2 x (2^31 + 2) bytes claimed over 4): reported
  // as a timeout only because the campaign was paused with SIGSTOP while it ran; it is refused
  // as truncated at once.
  const auto fuzzed = read_file_bytes(repo_path("tests/data/fuzz_regressions/idx_claims_8GiB_over_4_bytes.idx"));
  EXPECT_NE(error_of([&] { parse_idx(fuzzed, "fuzzed-idx3"); }).find("truncated"), std::string::npos);
}

TEST(HostileHeaders, InMemoryReadersMatchTheFileReaders) {
  const std::string gz = repo_path("data/mnist-idx/t10k-labels-idx1-ubyte.gz");
  const NpyArray from_file = read_idx(gz);
  const auto bytes = read_file_bytes(gz);
  EXPECT_EQ(parse_idx(bytes, gz).data, from_file.data);
  // Two concatenated gzip members read as one stream, as gzip -d does; junk after them does not.
  const std::vector<uint8_t> raw = {0, 0, 8, 1, 0, 0, 0, 4, 9, 8, 7, 6};
  std::vector<uint8_t> two = gzip({raw.begin(), raw.begin() + 6});
  const auto second = gzip({raw.begin() + 6, raw.end()});
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(parse_idx(two, "two-idx1.gz").data, (std::vector<uint8_t>{9, 8, 7, 6}));
  two.push_back(0x42);
  EXPECT_NE(error_of([&] { parse_idx(two, "junk-idx1.gz"); }).find("junk-idx1.gz: truncated gzip data"), std::string::npos);
  for (int i = 0; i < 16; ++i) two.push_back(0x42);
  EXPECT_NE(error_of([&] { parse_idx(two, "junk-idx1.gz"); }).find("junk-idx1.gz: corrupt gzip data"), std::string::npos);

  const std::string npz = repo_path("data/breastmnist.npz");
  const NpzFile z(read_file_bytes(npz), "breastmnist (memory)");
  EXPECT_EQ(z.read("val_labels").data, NpzFile(npz).read("val_labels").data);
  EXPECT_NE(error_of([] { NpzFile(std::vector<uint8_t>{1, 2, 3}, "junk.npz"); }).find("junk.npz: not a .npz"),
            std::string::npos);
}
