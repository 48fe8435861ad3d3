#include "qdiff/io/image_source.hpp"

#include <filesystem>

#include "qdiff/io/image_folder.hpp"
#include "qdiff/io/npy.hpp"

namespace qdiff {

std::string SourceReading::text(const ImageSet& set) const {
  return std::to_string(set.n) + " images " + std::to_string(set.w) + "x" + std::to_string(set.h) + " " +
         (set.c == 1 ? "grayscale" : "RGB") + " from a " + kind + ": " + array.text();
}

ImageSet load_images(const std::string& path, const std::string& split, const ArrayFormat& format,
                     SourceReading* seen) {
  SourceReading reading;
  ImageSet set;
  const std::filesystem::path p(path);
  if (std::filesystem::is_directory(p)) {
    reading.kind = "folder of PNG/JPEG images";
    set = read_image_folder(path);
    reading.array = {"one image per file", "uint8 0..255", false};
  } else if (p.extension() == ".npy") {
    reading.kind = ".npy array";
    set = images_from_array(read_npy_file(path), path, format, &reading.array);
  } else {
    set = load_split(path, split, format, &reading.array);
    reading.kind = "data file (" + set.source + ")";
  }
  if (seen) *seen = reading;
  return set;
}

}  // namespace qdiff
