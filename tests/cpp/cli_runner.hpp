// Shared by the tests of the `hiili` command (test_cli*.cpp): a fixture with a temporary folder
// per test that runs the built command (HIILI_CLI_PATH, set by src/cli/CMakeLists.txt) with
// stdout and stderr captured in files. These tests are only built when the command is
// (HIILI_BUILD_CLI), so a missing binary is a build error, not a skipped test.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef HIILI_CLI_PATH
#error "HIILI_CLI_PATH is not defined: the CLI tests need the hiili command (HIILI_BUILD_CLI=ON)"
#endif

namespace hiili::cli_test {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Single-quoted for /bin/sh.
inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline fs::path command_path() { return HIILI_CLI_PATH; }

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hiili_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Runs `hiili args...` with no stdin; returns the exit code (-1 if it did not exit) and output.
  Outcome run(const std::vector<std::string>& args) {
    std::string command = quote(command_path().string());
    for (const auto& a : args) command += " " + quote(a);
    command += " >" + quote((dir_ / "out").string()) + " 2>" + quote((dir_ / "err").string()) +
               " </dev/null";
    const int status = std::system(command.c_str());
    Outcome r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(dir_ / "out");
    r.err = slurp(dir_ / "err");
    return r;
  }

  fs::path dir_;
};

}  // namespace hiili::cli_test
