// Folders of PNG/JPEG images, decoded with stb_image: single files, a flat folder of generated
// samples (one size and channel count, what `qdiff eval --samples DIR` reads), and the class
// sub-folders of torchvision's ImageFolder layout (what `qdiff data import` reads).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/io/dataset.hpp"

namespace qdiff {

// One decoded 8-bit image, interleaved: pixels [H,W,C] with C = 1 (grayscale) or 3 (RGB).
struct Image8 {
  int w = 0, h = 0, c = 0;
  std::vector<uint8_t> pixels;
  const char* kind() const { return c == 1 ? "grayscale" : "RGB"; }
};

inline constexpr int kMaxImageSide = 16384;

// Decodes a PNG or JPEG file (16-bit PNGs are reduced to 8 bits). An alpha channel is dropped
// (gray+alpha -> gray, RGBA -> RGB), as PIL's convert("L"/"RGB") does. Throws FileError naming
// the file when it is missing, not a PNG/JPEG stb_image can decode, or larger than kMaxImageSide.
Image8 read_image(const std::string& path);

// True for a file name ending in .png, .jpg or .jpeg (any case) that is not hidden (".name",
// e.g. macOS "._x.png" resource forks).
bool is_image_file_name(const std::string& name);

// A folder's files: the images (sorted by path) and everything else that is not a folder.
// recursive: also the files of sub-folders (hidden sub-folders are skipped).
struct FolderListing {
  std::vector<std::string> images, other;
};
// Throws FileError when `dir` is not a readable directory.
FolderListing list_folder(const std::string& dir, bool recursive);

// The images directly in `dir` (sub-folders and other files are ignored) as [N,C,H,W] in [-1,1],
// converted exactly as a uint8 array would be. Throws FileError naming `dir` when it holds no
// image, and naming the file when one cannot be decoded or differs in size or channel count
// from the first.
ImageSet read_image_folder(const std::string& dir);

// torchvision's ImageFolder layout: every non-hidden sub-folder of `dir` is a class; its name
// sorted (byte order, as Python's sorted() on names) gives the label; its images are found
// recursively. Images directly in `dir` are listed in `loose` (torchvision ignores them too).
// A `dir` without sub-folders yields no classes and every image in `files` (unlabelled).
struct ClassFolders {
  std::vector<std::string> classes;      // label -> class name
  std::vector<std::string> files;        // every image, class by class, sorted within a class
  std::vector<int64_t> labels;           // [files.size()], empty when there are no classes
  std::vector<std::string> loose, other; // images left out; files that are not images
};
// Throws FileError naming the folder when it is not a directory, holds no image, or a class
// folder holds no image.
ClassFolders scan_class_folders(const std::string& dir);

}  // namespace qdiff
