#include "harness.hpp"

#include <zip.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <system_error>
#include <typeinfo>

#include "hiili/error.hpp"

namespace hiili::fuzz {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMarker = "=== ";
constexpr std::size_t kMaxFiles = 32;

bool safe_path(std::string_view path) {
  if (path.empty() || path.size() > 120 || path.front() == '/' || path.back() == '/') return false;
  int depth = 0;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || ++depth > 4) return false;
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

struct Scratch {
  fs::path dir;
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    fs::path base = tmp != nullptr && *tmp != '\0' ? fs::path(tmp)
                    : fs::is_directory("/dev/shm") ? fs::path("/dev/shm")
                                                   : fs::temp_directory_path();
    std::string pattern = (base / "hiili_fuzz_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("hiili fuzz: mkdtemp");
      std::abort();
    }
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

void write_bytes(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) {
    std::fprintf(stderr, "hiili fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

[[noreturn]] void finding(const char* what, const char* kind, const char* message) {
  std::fprintf(stderr, "\nhiili fuzz finding in %s: %s: %s\n", what, kind, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace

std::vector<File> split_files(std::string_view data, std::string_view default_path) {
  std::vector<File> files;
  std::string path(default_path);
  std::size_t pos = 0;
  if (data.substr(0, kMarker.size()) == kMarker) pos = std::string_view::npos;  // no default part
  std::size_t begin = 0;
  while (true) {
    // The next marker at the start of a line.
    std::size_t marker = data.find(kMarker, pos == std::string_view::npos ? 0 : pos);
    while (marker != std::string_view::npos && marker != 0 && data[marker - 1] != '\n')
      marker = data.find(kMarker, marker + 1);
    if (pos != std::string_view::npos) {
      // The newline before a marker ends the line, not the file.
      std::size_t end = marker == std::string_view::npos ? data.size() : marker;
      if (end > begin && marker != std::string_view::npos) --end;
      if (files.size() < kMaxFiles && safe_path(path))
        files.push_back({path, std::string(data.substr(begin, end - begin))});
    }
    if (marker == std::string_view::npos) break;
    const std::size_t name_begin = marker + kMarker.size();
    std::size_t eol = data.find('\n', name_begin);
    if (eol == std::string_view::npos) eol = data.size();
    path = std::string(data.substr(name_begin, eol - name_begin));
    begin = std::min(eol + 1, data.size());
    pos = begin;
  }
  return files;
}

const fs::path& scratch_dir() {
  static Scratch scratch;
  return scratch.dir;
}

fs::path write_folder(const std::string& folder, const std::vector<File>& files) {
  const fs::path dir = scratch_dir() / folder;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const File& f : files) {
    const fs::path path = dir / f.path;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec || fs::is_directory(path)) continue;  // "a" and "a/b" both given: keep the first
    write_bytes(path, f.content);
  }
  return dir;
}

fs::path write_zip(const std::string& name, std::string_view raw, const std::vector<File>& files) {
  const fs::path path = scratch_dir() / name;
  if (raw.substr(0, 2) == "PK") {
    write_bytes(path, raw);
    return path;
  }
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (archive == nullptr) finding(name.c_str(), "harness", "zip_open failed");
  for (const File& f : files) {
    zip_source_t* source = zip_source_buffer(archive, f.content.data(), f.content.size(), 0);
    const zip_int64_t index = zip_file_add(archive, f.path.c_str(), source, ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(source);
      continue;
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  // An archive without members is not written by libzip: leave an empty file instead.
  if (zip_close(archive) != 0) finding(name.c_str(), "harness", zip_strerror(archive));
  if (!fs::exists(path)) write_bytes(path, "");
  return path;
}

void check_contract(const char* what, const std::function<void()>& read) {
  try {
    read();
  } catch (const hiili::Error& e) {
    static const bool verbose = std::getenv("HIILI_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "%s: %s\n", what, e.what());
    if (!hiili::detail::is_valid_utf8(e.what()))
      finding(what, "hiili::Error message is not valid UTF-8", e.what());
  } catch (const std::exception& e) {
    finding(what, typeid(e).name(), e.what());
  } catch (...) {
    finding(what, "unknown exception", "");
  }
}

}  // namespace hiili::fuzz
