// .npy parsing: round trips, every supported dtype, and hostile headers.
#include <gtest/gtest.h>

#include <cstring>

#include "qdiff/core/error.hpp"
#include "qdiff/io/npy.hpp"

using namespace qdiff;

namespace {

// Builds a .npy v1 buffer from a raw header dict and payload.
std::vector<uint8_t> make_npy(const std::string& dict, const std::vector<uint8_t>& payload, int major = 1) {
  std::string d = dict;
  const size_t pre = major == 1 ? 10 : 12;
  while ((pre + d.size() + 1) % 64) d.push_back(' ');
  d.push_back('\n');
  std::vector<uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < pre - 8; ++i) b.push_back(static_cast<uint8_t>(d.size() >> (8 * i)));
  b.insert(b.end(), d.begin(), d.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    parse_npy(bytes, "x.npy");
  } catch (const FileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Npy, RoundTripFloat) {
  const auto a = NpyArray::from_f32({2, 3}, {1.5f, -2, 3, 4, 5, 6.25f});
  const auto back = parse_npy(serialize_npy(a), "mem");
  EXPECT_EQ(back.dtype, DType::F4);
  EXPECT_EQ(back.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back.to_float(), a.to_float());
}

// An import split with no images makes empty arrays; an empty vector's data() may be null, which
// memcpy must not get (UBSan found it in Import.ColourWhenAnyImageIsColourAndErrorsNameTheFolder).
TEST(Npy, EmptyArraysRoundTrip) {
  for (const auto& a : {NpyArray::from_f32({0, 3}, {}), NpyArray::from_i64({0, 1}, {})}) {
    const auto back = parse_npy(serialize_npy(a), "mem");
    EXPECT_EQ(back.dtype, a.dtype);
    EXPECT_EQ(back.shape, a.shape);
    EXPECT_EQ(back.numel(), 0);
    EXPECT_TRUE(back.to_float().empty());
  }
}

TEST(Npy, HeaderIsAlignedTo64) {
  const auto bytes = serialize_npy(NpyArray::from_u8({3}, {1, 2, 3}));
  EXPECT_EQ((bytes.size() - 3) % 64, 0u);
}

TEST(Npy, VersionsTwoAndThreeParse) {
  for (int major : {2, 3}) {
    const auto b = make_npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, major);
    const auto a = parse_npy(b, "v");
    EXPECT_EQ(a.to_int64(), (std::vector<int64_t>{1, -1})) << "version " << major;
  }
}

TEST(Npy, EveryDtypeConverts) {
  double v8 = -0.5;
  float v4 = 0.25f;
  int64_t i8 = -7;
  std::vector<uint8_t> p8(8), p4(4), pi8(8);
  std::memcpy(p8.data(), &v8, 8), std::memcpy(p4.data(), &v4, 4), std::memcpy(pi8.data(), &i8, 8);
  EXPECT_DOUBLE_EQ(parse_npy(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", p8), "").at(0), -0.5);
  EXPECT_DOUBLE_EQ(parse_npy(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", p4), "").at(0), 0.25);
  EXPECT_DOUBLE_EQ(parse_npy(make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", pi8), "").at(0), -7);
  EXPECT_DOUBLE_EQ(parse_npy(make_npy("{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }", {0xfe}), "").at(0), -2);
  EXPECT_DOUBLE_EQ(parse_npy(make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", {0xfe}), "").at(0), 254);
}

TEST(Npy, BigEndianAndBoolAreConvertedNotMisread) {
  const auto be = parse_npy(make_npy("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", {0, 0, 1, 2}), "");
  EXPECT_EQ(be.at(0), 258);
  const auto b = parse_npy(make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", {0, 1, 1}), "");
  EXPECT_EQ(b.to_int64(), (std::vector<int64_t>{0, 1, 1}));
}

TEST(Npy, ScalarShape) {
  const auto a = parse_npy(make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", {42}), "");
  EXPECT_EQ(a.numel(), 1);
  EXPECT_EQ(a.at(0), 42);
}

TEST(NpyHostile, ObjectArrayRefused) {
  EXPECT_NE(error_of(make_npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", {0, 0, 0, 0, 0, 0, 0, 0}))
                .find("object arrays"),
            std::string::npos);
}

TEST(NpyHostile, UnsupportedDtype) {
  EXPECT_NE(error_of(make_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::vector<uint8_t>(8)))
                .find("unsupported dtype"),
            std::string::npos);
  EXPECT_NE(error_of(make_npy("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", std::vector<uint8_t>(2)))
                .find("unsupported dtype"),
            std::string::npos);
}

TEST(NpyHostile, ShapeLargerThanPayload) {
  EXPECT_NE(error_of(make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (10,), }", {1, 2, 3})).find("truncated"),
            std::string::npos);
}

TEST(NpyHostile, PayloadLargerThanShape) {
  EXPECT_NE(error_of(make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", {1, 2, 3})).find("more than"),
            std::string::npos);
}

TEST(NpyHostile, NegativeAndAbsurdShapes) {
  EXPECT_NE(error_of(make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (-5,), }", {})).find("negative"),
            std::string::npos);
  EXPECT_NE(error_of(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 100000000), }", {}))
                .find("absurd"),
            std::string::npos);
}

TEST(NpyHostile, MalformedHeaders) {
  EXPECT_NE(error_of(make_npy("{'descr': '|u1', 'shape': (1,), }", {1})).find("malformed"), std::string::npos);
  EXPECT_NE(error_of(make_npy("{'descr': '|u1' 'fortran_order': False, 'shape': (1,), }", {1})).find("malformed"),
            std::string::npos);
  EXPECT_NE(error_of(make_npy("[1, 2, 3]", {1})).find("malformed"), std::string::npos);
  EXPECT_NE(error_of(make_npy("{'descr': '|u1', 'fortran_order': True, 'shape': (1,), }", {1})).find("fortran"),
            std::string::npos);
  EXPECT_NE(error_of(make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", {1})).find("structured"),
            std::string::npos);
}

TEST(NpyHostile, BadMagicVersionAndTruncation) {
  EXPECT_NE(error_of({}).find("too short"), std::string::npos);
  EXPECT_NE(error_of({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0}).find("bad magic"), std::string::npos);
  auto b = make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", {1});
  b[6] = 9;
  EXPECT_NE(error_of(b).find("version"), std::string::npos);
  auto c = make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", {1});
  c.resize(30);
  EXPECT_NE(error_of(c).find("truncated"), std::string::npos);
}
