// Bring your own data: resizing and colour conversion against closed forms, the stratified split,
// and a whole ImageFolder-style import read back through the training loader.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/io/data_import.hpp"
#include "qdiff/io/npz.hpp"
#include "qdiff/io/png.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::TempDir;

namespace {

Image8 make_image(int w, int h, int c, uint8_t (*f)(int x, int y, int ch)) {
  Image8 img{w, h, c, std::vector<uint8_t>(static_cast<size_t>(w) * h * c)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch) img.pixels[(static_cast<size_t>(y) * w + x) * c + ch] = f(x, y, ch);
  return img;
}

void save(const std::string& path, const Image8& img) { write_png(path, img.pixels.data(), img.w, img.h, img.c); }

}  // namespace

TEST(Convert, GrayscaleIsPilLuma) {
  // PIL convert("L"): (19595 R + 38470 G + 7471 B + 32768) >> 16
  Image8 rgb{5, 1, 3, {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 20, 30}};
  const Image8 g = to_grayscale(rgb);
  ASSERT_EQ(g.c, 1);
  EXPECT_EQ(g.pixels, (std::vector<uint8_t>{76, 150, 29, 255, 18}));
  EXPECT_EQ(to_grayscale(g).pixels, g.pixels);
  const Image8 back = to_rgb(g);
  ASSERT_EQ(back.c, 3);
  for (size_t p = 0; p < 5; ++p)
    for (int ch = 0; ch < 3; ++ch) EXPECT_EQ(back.pixels[3 * p + ch], g.pixels[p]);
}

TEST(Resize, ConstantStaysAndSameSizeIsUnchanged) {
  const Image8 flat = make_image(45, 37, 3, [](int, int, int ch) { return static_cast<uint8_t>(50 + 60 * ch); });
  for (int size : {8, 28, 64}) {
    const Image8 r = resize_image(flat, size);
    ASSERT_EQ(r.w, size);
    ASSERT_EQ(r.h, size);
    for (size_t i = 0; i < r.pixels.size(); ++i) ASSERT_EQ(r.pixels[i], 50 + 60 * (i % 3)) << size;
  }
  const Image8 same = make_image(28, 28, 1, [](int x, int y, int) { return static_cast<uint8_t>(x * 9 + y); });
  EXPECT_EQ(resize_image(same, 28).pixels, same.pixels);
}

TEST(Resize, ShrinkingAveragesAreas) {
  // 56x56 made of 2x2 blocks of one value -> 28x28 of those values (box filter = area average);
  // and a 2x2 block with values a,b,c,d -> their mean.
  const Image8 blocks = make_image(56, 56, 1, [](int x, int y, int) { return static_cast<uint8_t>((x / 2) * 5 + (y / 2) * 3); });
  const Image8 r = resize_image(blocks, 28);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) ASSERT_EQ(r.pixels[y * 28 + x], x * 5 + y * 3) << x << "," << y;
  const Image8 mixed = make_image(16, 16, 1, [](int x, int y, int) { return static_cast<uint8_t>(x % 2 == 0 ? 40 : 120 + (y % 2) * 40); });
  const Image8 m = resize_image(mixed, 8);  // every output pixel averages 40, 40, 120, 160 = 90
  for (auto v : m.pixels) ASSERT_EQ(v, 90);
}

TEST(Resize, GrowingIsBilinear) {
  // 2 pixels [0, 255] -> 4: output centres at input x = -0.25, 0.25, 0.75, 1.25 (clamped at the edges)
  const Image8 two = make_image(2, 2, 1, [](int x, int, int) { return static_cast<uint8_t>(x * 255); });
  const Image8 r = resize_image(two, 4);
  const std::vector<uint8_t> row = {0, 64, 191, 255};  // 0.25*255 = 63.75, 0.75*255 = 191.25
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_EQ(r.pixels[y * 4 + x], row[x]) << x << "," << y;
}

TEST(Split, StratifiedSeededAndKeepsTrainingImages) {
  std::vector<int64_t> labels;
  for (int c = 0; c < 3; ++c) labels.insert(labels.end(), 10 * (c + 1), c);  // 10, 20, 30 images
  labels.push_back(3);  // a class of one image stays in train
  const int64_t n = static_cast<int64_t>(labels.size());
  const auto s = stratified_split(labels, n, 0.1, 0.2, 7);
  std::map<int64_t, std::array<int, 3>> count;
  for (int64_t i = 0; i < n; ++i) ++count[labels[i]][static_cast<int>(s[i])];
  EXPECT_EQ(count[0], (std::array<int, 3>{7, 1, 2}));
  EXPECT_EQ(count[1], (std::array<int, 3>{14, 2, 4}));
  EXPECT_EQ(count[2], (std::array<int, 3>{21, 3, 6}));
  EXPECT_EQ(count[3], (std::array<int, 3>{1, 0, 0}));
  EXPECT_EQ(stratified_split(labels, n, 0.1, 0.2, 7), s);
  EXPECT_NE(stratified_split(labels, n, 0.1, 0.2, 8), s);
  const auto unlabelled = stratified_split({}, 10, 0.0, 0.5, 0);
  EXPECT_EQ(std::count(unlabelled.begin(), unlabelled.end(), Split::Test), 5);
  EXPECT_THROW(stratified_split(labels, n, 0.6, 0.5, 0), InvalidArgument);
  EXPECT_THROW(stratified_split(labels, n, -0.1, 0.2, 0), InvalidArgument);
}

TEST(Import, ClassFoldersBecomeAMedMnistNpz) {
  TempDir tmp;
  const std::string src = tmp.file("shapes");
  // classes named so that byte order differs from creation order; one RGB image, one not square,
  // a stray text file, a hidden file, a loose image and a nested folder inside a class
  for (const char* cls : {"zeta", "Alpha", "mid"}) std::filesystem::create_directories(src + "/" + cls);
  std::filesystem::create_directories(src + "/mid/nested");
  const Image8 dark = make_image(32, 32, 1, [](int, int, int) { return uint8_t(10); });
  const Image8 light = make_image(32, 32, 1, [](int, int, int) { return uint8_t(200); });
  for (int i = 0; i < 10; ++i) {
    save(src + "/Alpha/a" + std::to_string(i) + ".png", dark);
    save(src + "/zeta/z" + std::to_string(i) + ".png", light);
    save(src + "/mid/" + std::string(i < 5 ? "nested/" : "") + "m" + std::to_string(i) + ".png",
         make_image(40, 20, 1, [](int, int, int) { return uint8_t(100); }));
  }
  save(src + "/zeta/colour.png", make_image(32, 32, 3, [](int, int, int ch) { return static_cast<uint8_t>(ch == 0 ? 255 : 0); }));
  std::ofstream(src + "/zeta/notes.txt") << "not an image";
  std::ofstream(src + "/zeta/._z0.png") << "macOS resource fork";
  save(src + "/loose.png", dark);

  ImportOptions opt;
  opt.grayscale = true;
  opt.val = 0.1, opt.test = 0.2, opt.seed = 3;
  const json m = import_image_folder(src, tmp.file("out/shapes.npz"), opt);
  EXPECT_EQ(m["classes"], json({"Alpha", "mid", "zeta"}));
  EXPECT_EQ(m["images"], 31);
  EXPECT_EQ(m["channels"], 1);
  EXPECT_EQ(m["conversion"]["resized"], 31);
  EXPECT_EQ(m["conversion"]["not_square"], 10);
  EXPECT_EQ(m["conversion"]["to_grayscale"], 1);
  EXPECT_EQ(m["counts"]["test"], json({2, 2, 2}));
  EXPECT_EQ(m["counts"]["train"], json({7, 7, 8}));  // zeta has 11 images: round(1.1) = 1 val, round(2.2) = 2 test
  EXPECT_EQ(json::parse(read_file_text(tmp.file("out/shapes.npz.json"))), m);

  NpzFile z(tmp.file("out/shapes.npz"));
  for (const char* key : {"train_images", "train_labels", "val_images", "val_labels", "test_images", "test_labels"})
    EXPECT_TRUE(z.has(key)) << key;
  const ImageSet train = load_split(tmp.file("out/shapes.npz"), "train");
  EXPECT_EQ(train.n, 22);
  EXPECT_EQ(train.c, 1);
  EXPECT_EQ(train.h, 28);
  EXPECT_EQ(z.read("train_labels").shape, (std::vector<int64_t>{22, 1}));
  // each image keeps its class's value, and the manifest names its source file
  const auto& files = m["files"]["train"];
  for (int64_t i = 0; i < train.n; ++i) {
    const std::string f = files[i].get<std::string>();
    const int64_t label = train.labels[i];
    EXPECT_EQ(f.substr(0, f.find('/')), m["classes"][label].get<std::string>()) << f;
    const float v = train.image(i)[14 * 28 + 14];
    const int expect = label == 0 ? 10 : label == 1 ? 100 : (f == "zeta/colour.png" ? 76 : 200);
    EXPECT_FLOAT_EQ(v, expect * 2.0f / 255.0f - 1.0f) << f;
  }
}

TEST(Import, ColourWhenAnyImageIsColourAndErrorsNameTheFolder) {
  TempDir tmp;
  const std::string src = tmp.file("d");
  std::filesystem::create_directories(src + "/a");
  std::filesystem::create_directories(src + "/b");
  save(src + "/a/1.png", make_image(8, 8, 1, [](int, int, int) { return uint8_t(7); }));
  save(src + "/b/1.png", make_image(8, 8, 3, [](int, int, int ch) { return static_cast<uint8_t>(ch * 100); }));
  ImportOptions opt;
  opt.size = 8, opt.val = 0, opt.test = 0;
  const json m = import_image_folder(src, tmp.file("c.npz"), opt);
  EXPECT_EQ(m["channels"], 3);
  EXPECT_EQ(m["conversion"]["gray_to_rgb"], 1);
  const ImageSet s = load_split(tmp.file("c.npz"), "train");
  EXPECT_EQ(s.c, 3);
  EXPECT_EQ(NpzFile(tmp.file("c.npz")).read("val_images").shape, (std::vector<int64_t>{0, 8, 8, 3}));

  std::filesystem::create_directories(src + "/empty");
  try {
    import_image_folder(src, tmp.file("e.npz"), opt);
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find(src + "/empty: class folder holds no"), std::string::npos) << e.what();
  }
  std::filesystem::remove(src + "/empty");
  std::ofstream(src + "/b/2.png") << "broken";
  try {
    import_image_folder(src, tmp.file("e.npz"), opt);
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find(src + "/b/2.png: not a PNG or JPEG"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.file("e.npz"))) << "nothing written on error";
  std::filesystem::create_directories(tmp.file("none"));
  EXPECT_THROW(import_image_folder(tmp.file("none"), tmp.file("n.npz"), opt), FileError);
  EXPECT_THROW(import_image_folder(tmp.file("missing"), tmp.file("n.npz"), opt), FileError);
  opt.size = 4;
  EXPECT_THROW(import_image_folder(src, tmp.file("n.npz"), opt), InvalidArgument);
}

TEST(Import, FlatFolderIsUnlabelled) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("flat"));
  for (int i = 0; i < 10; ++i) save(tmp.file("flat/" + std::to_string(i) + ".png"), make_image(28, 28, 1, [](int, int, int) { return uint8_t(1); }));
  ImportOptions opt;
  const json m = import_image_folder(tmp.file("flat"), tmp.file("f.npz"), opt);
  EXPECT_TRUE(m["classes"].empty());
  NpzFile z(tmp.file("f.npz"));
  EXPECT_TRUE(z.has("train_images"));
  EXPECT_FALSE(z.has("train_labels"));
  EXPECT_EQ(load_split(tmp.file("f.npz"), "test").n, 2);
  EXPECT_EQ(m["conversion"]["resized"], 0);
}
