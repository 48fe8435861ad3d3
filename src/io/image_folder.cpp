#include "qdiff/io/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <memory>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

// stb_image for decoding, private to this file (the tests link their own copy).
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"  // the static copy defines more than this file uses
#include <stb_image.h>
#pragma GCC diagnostic pop

namespace qdiff {
namespace fs = std::filesystem;

Image8 read_image(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw FileError(path, "image file larger than 2 GB");
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &comp))
    throw FileError(path, std::string("not a PNG or JPEG image stb_image can read (") + stbi_failure_reason() + ")");
  if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide)
    throw FileError(path, std::to_string(w) + "x" + std::to_string(h) + " pixels: sides must be 1.." +
                              std::to_string(kMaxImageSide));
  Image8 img;
  img.c = comp <= 2 ? 1 : 3;  // gray(+alpha) -> gray, RGB(A) -> RGB
  std::unique_ptr<stbi_uc, void (*)(void*)> px(stbi_load_from_memory(bytes.data(), len, &img.w, &img.h, &comp, img.c),
                                                stbi_image_free);
  if (!px) throw FileError(path, std::string("cannot decode image (") + stbi_failure_reason() + ")");
  img.pixels.assign(px.get(), px.get() + static_cast<size_t>(img.w) * img.h * img.c);
  return img;
}

bool is_image_file_name(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (const char* ext : {".png", ".jpg", ".jpeg"}) {
    const std::string e = ext;
    if (lower.size() > e.size() && lower.compare(lower.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

namespace {

void require_directory(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw FileError(dir, "no such folder");
  if (!fs::is_directory(dir, ec)) throw FileError(dir, "not a folder");
}

bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

// The non-hidden sub-folders of `dir`, sorted by name.
std::vector<std::string> sub_folders(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && !hidden(e.path())) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

FolderListing list_folder(const std::string& dir, bool recursive) {
  require_directory(dir);
  FolderListing out;
  auto add = [&](const fs::directory_entry& e) {
    if (e.is_directory()) return;
    const std::string name = e.path().filename().string();
    (is_image_file_name(name) ? out.images : out.other).push_back(e.path().string());
  };
  try {
    if (recursive) {
      for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_directory() && hidden(it->path())) it.disable_recursion_pending();
        else add(*it);
      }
    } else {
      for (const auto& e : fs::directory_iterator(dir)) add(e);
    }
  } catch (const fs::filesystem_error& e) {
    throw FileError(dir, std::string("cannot list the folder: ") + e.code().message());
  }
  std::sort(out.images.begin(), out.images.end());
  std::sort(out.other.begin(), out.other.end());
  return out;
}

ImageSet read_image_folder(const std::string& dir) {
  const FolderListing listing = list_folder(dir, false);
  if (listing.images.empty()) throw FileError(dir, "holds no .png, .jpg or .jpeg images");
  const Image8 first = read_image(listing.images[0]);
  const int64_t n = static_cast<int64_t>(listing.images.size());
  const size_t per = first.pixels.size();
  std::vector<uint8_t> bytes(per * static_cast<size_t>(n));  // [N,H,W,C]
  std::copy(first.pixels.begin(), first.pixels.end(), bytes.begin());
  for (int64_t i = 1; i < n; ++i) {
    const std::string& path = listing.images[static_cast<size_t>(i)];
    const Image8 img = read_image(path);
    if (img.w != first.w || img.h != first.h || img.c != first.c)
      throw FileError(path, "is " + std::to_string(img.w) + "x" + std::to_string(img.h) + " " + img.kind() + " but " +
                                listing.images[0] + " (the first image) is " + std::to_string(first.w) + "x" +
                                std::to_string(first.h) + " " + first.kind() +
                                "; all images in the folder must have one size and channel count");
    std::copy(img.pixels.begin(), img.pixels.end(), bytes.begin() + static_cast<std::ptrdiff_t>(per * i));
  }
  return images_from_array(NpyArray::from_u8({n, first.h, first.w, first.c}, std::move(bytes)), dir,
                           {ArrayLayout::ChannelsLast, ValueRange::Auto});
}

ClassFolders scan_class_folders(const std::string& dir) {
  require_directory(dir);
  ClassFolders out;
  const FolderListing top = list_folder(dir, false);
  out.other = top.other;
  out.classes = sub_folders(dir);
  if (out.classes.empty()) {
    out.files = top.images;
  } else {
    out.loose = top.images;
    for (size_t label = 0; label < out.classes.size(); ++label) {
      const std::string sub = (fs::path(dir) / out.classes[label]).string();
      FolderListing in = list_folder(sub, true);
      if (in.images.empty()) throw FileError(sub, "class folder holds no .png, .jpg or .jpeg images");
      out.files.insert(out.files.end(), in.images.begin(), in.images.end());
      out.labels.insert(out.labels.end(), in.images.size(), static_cast<int64_t>(label));
      out.other.insert(out.other.end(), in.other.begin(), in.other.end());
    }
  }
  if (out.files.empty()) throw FileError(dir, "holds no .png, .jpg or .jpeg images (nor class sub-folders)");
  return out;
}

}  // namespace qdiff
