// The shared part of hiili's fuzz targets (tests/fuzz/fuzz_*.cpp).
//
// Each target turns libFuzzer's bytes into the input of one reader (a file, a folder of files
// or a zip archive in a scratch folder, or a buffer) and calls it under check_contract(), which
// enforces what hiili promises for hostile input: the reader returns, or throws a hiili::Error
// whose message is valid UTF-8. Anything else escaping (std::bad_alloc, std::length_error,
// nlohmann::json's exceptions, ...) or an invalid message aborts: that is a finding. Crashes,
// sanitizer reports, hangs (-timeout) and memory use (-rss_limit_mb, -malloc_limit_mb) are
// libFuzzer's to catch.
//
// Several files in one input: sections, each introduced by a line "=== <relative path>".
// Bytes before the first such line belong to the target's default file; the newline that
// ends a file's last line before the next marker is not part of the file. Paths are limited to
// [A-Za-z0-9._-] components separated by '/', without "..", at most 4 deep (others are
// dropped), so nothing is written outside the scratch folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hiili::fuzz {

struct File {
  std::string path;  // relative, checked
  std::string content;
};

// The sections of `data` (see above); the first has path `default_path`.
std::vector<File> split_files(std::string_view data, std::string_view default_path);

// A folder of the process's own, made on first use under $TMPDIR (or /dev/shm when it exists)
// and removed at exit.
const std::filesystem::path& scratch_dir();

// Empties `folder` (a subfolder of scratch_dir()) and writes `files` into it. Returns folder.
std::filesystem::path write_folder(const std::string& folder, const std::vector<File>& files);

// Writes `files` as members of a zip archive scratch_dir()/<name> (stored, not compressed, so
// the reader sees the fuzzer's bytes), or, when `raw` starts with a zip signature ("PK"), the
// raw bytes themselves: both the reader's and libzip's handling of the archive are fuzzed.
std::filesystem::path write_zip(const std::string& name, std::string_view raw,
                                const std::vector<File>& files);

// Runs `read` and aborts (a finding) unless it returns or throws a hiili::Error with a valid
// UTF-8 message. With HIILI_FUZZ_VERBOSE set, prints each message (to see what seeds reach).
void check_contract(const char* what, const std::function<void()>& read);

}  // namespace hiili::fuzz
