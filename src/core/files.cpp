#include "qdiff/core/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "qdiff/core/error.hpp"

namespace qdiff {
namespace fs = std::filesystem;

void require_readable_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw FileError(path, "is a directory, expected a file");
  if (!fs::exists(path, ec)) throw FileError(path, "no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path, std::string("cannot open for reading: ") + std::strerror(errno));
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  require_readable_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path, std::string("cannot open for reading: ") + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw FileError(path, "cannot determine file size");
  in.seekg(0, std::ios::beg);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw FileError(path, "read failed");
  return bytes;
}

std::string read_file_text(const std::string& path) {
  auto b = read_file_bytes(path);
  return std::string(b.begin(), b.end());
}

void make_dirs(const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw FileError(path, "cannot create directory: " + ec.message());
}

namespace {

// Test hook (tests/cli): QDIFF_TEST_KILL_MID_WRITE=<file name> makes the process SIGKILL itself
// halfway through writing the file of that name, exactly as a `kill -9` landing inside the write.
bool kill_mid_write(const fs::path& target) {
  const char* name = std::getenv("QDIFF_TEST_KILL_MID_WRITE");
  return name && *name && target.filename() == name;
}

void write_all(int fd, std::string_view bytes, const fs::path& target) {
  const size_t stop = kill_mid_write(target) ? bytes.size() / 2 : bytes.size();
  for (size_t done = 0; done < stop;) {
    const ssize_t n = ::write(fd, bytes.data() + done, stop - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category());
    done += static_cast<size_t>(n);
  }
  if (stop < bytes.size()) {
    ::fsync(fd);
    ::raise(SIGKILL);
  }
}

// Makes a rename in `dir` durable (the directory entry reaches the disk).
void sync_directory(const std::string& dir, const std::string& path) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw FileError(path, std::string("cannot open its directory to sync it: ") + std::strerror(errno));
  const int rc = ::fsync(fd), err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL)  // EINVAL: a file system that cannot sync directories
    throw FileError(path, std::string("cannot sync its directory: ") + std::strerror(err));
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const fs::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  make_dirs(dir);
  // The temporary file is hidden and does not end like the target ("ckpt_*.bin" never matches
  // it); it becomes the target only by the rename, after its bytes are on the disk.
  const std::string tmp = (target.parent_path() / ("." + target.filename().string() + ".tmp." +
                                                   std::to_string(::getpid()))).string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw FileError(path, std::string("cannot create temporary file: ") + std::strerror(errno));
  try {
    write_all(fd, bytes, target);
  } catch (const std::system_error& e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw FileError(path, std::string("write failed: ") + e.code().message());
  }
  const int sync_rc = ::fsync(fd), sync_err = errno;
  const int close_rc = ::close(fd), close_err = errno;
  if (sync_rc != 0 || close_rc != 0) {
    ::unlink(tmp.c_str());
    throw FileError(path, std::string("flush failed: ") + std::strerror(sync_rc != 0 ? sync_err : close_err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw FileError(path, "rename of temporary file failed: " + why);
  }
  sync_directory(dir, path);
}

}  // namespace qdiff
