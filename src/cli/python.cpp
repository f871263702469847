// See python.hpp. Used by `hiili footprint` and by `hiili mc --workers / --scheduler`.
#include "python.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

extern char** environ;

namespace hiili::cli {

namespace {

constexpr int kNoPython = 2;
constexpr int kInternalError = 1;

// Runs `python -c "import <module>"` quietly; true when it exits 0.
bool can_import(const std::string& python, bool search_path, const std::string& module) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {python, "-c", "import " + module};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = search_path ? posix_spawnp(&pid, python.c_str(), &actions, nullptr, argv.data(), environ)
                       : posix_spawn(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::filesystem::path this_executable() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe;
}

std::string beside_this_executable() {
  auto exe = this_executable();
  return exe.empty() ? std::string() : (exe.parent_path() / "python3").string();
}

// The binary wheel (auditwheel) keeps the command in <prefix>/lib/pythonX.Y/site-packages/
// hiili.scripts/ and bin/hiili execs it: the environment's interpreter is <prefix>/bin/python3.
std::string of_this_wheel() {
  auto dir = this_executable().parent_path();
  if (dir.filename() != "hiili.scripts") return {};
  return (dir.parent_path().parent_path().parent_path().parent_path() / "bin" / "python3").string();
}

struct Candidate {
  std::string python;
  bool search_path;
  std::string what;
};

std::vector<Candidate> candidates() {
  std::vector<Candidate> out;
  if (auto beside = beside_this_executable(); !beside.empty())
    out.push_back({beside, false, "python3 beside this executable"});
  if (auto wheel = of_this_wheel(); !wheel.empty())
    out.push_back({wheel, false, "python3 of the environment this wheel is installed in"});
  if (const char* env = std::getenv("HIILI_PYTHON"); env != nullptr && *env != '\0')
    out.push_back({env, std::strchr(env, '/') == nullptr, "$HIILI_PYTHON"});
  out.push_back({"python3", true, "python3 on PATH"});
  return out;
}

}  // namespace

int exec_python_module(const std::string& prog, const std::string& module,
                       const std::vector<std::string>& args, const std::string& install_hint) {
  std::vector<std::string> tried;
  for (const auto& candidate : candidates()) {
    if (!can_import(candidate.python, candidate.search_path, module)) {
      tried.push_back(fmt::format("{} ({}): no {}", candidate.python, candidate.what, module));
      continue;
    }
    std::vector<std::string> full = {candidate.python, "-m", module};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    setenv("HIILI_PROG", prog.c_str(), 1);
    std::fflush(stdout);
    if (candidate.search_path)
      execvp(candidate.python.c_str(), argv.data());
    else
      execv(candidate.python.c_str(), argv.data());
    fmt::print(stderr, "{}: cannot run {}: {}\n", prog, candidate.python, std::strerror(errno));
    return kInternalError;
  }
  fmt::print(stderr,
             "{}: needs a Python interpreter with the hiili package (pip install '{}'), or "
             "HIILI_PYTHON set to one. Tried:\n",
             prog, install_hint);
  for (const auto& t : tried) fmt::print(stderr, "  {}\n", t);
  return kNoPython;
}

std::vector<std::string> given_arguments(const CLI::App& command) {
  std::vector<std::string> out;
  for (const CLI::Option* option : command.get_options()) {
    if (option->count() == 0) continue;
    const auto& long_names = option->get_lnames();
    const auto& short_names = option->get_snames();
    if (long_names.empty() && short_names.empty()) {  // a positional
      for (const auto& value : option->results()) out.push_back(value);
      continue;
    }
    const std::string name = long_names.empty() ? "-" + short_names.front() : "--" + long_names.front();
    if (option->get_expected_max() == 0) {  // a flag
      out.push_back(name);
      continue;
    }
    for (const auto& value : option->results()) {
      out.push_back(name);
      out.push_back(value);
    }
  }
  return out;
}

}  // namespace hiili::cli
