// `hiili footprint ...`: hands every argument over to the Python implementation
// (`python -m hiili.footprint`), which needs pandas and matplotlib for its tables and report.
//
// The interpreter is the first of: python3 beside this executable (a virtual environment's
// bin/, where pip puts `hiili`), the environment's python3 when the binary wheel's launcher
// runs it from site-packages/hiili.scripts/, $HIILI_PYTHON, python3 on PATH, that can import
// hiili.footprint. None: a message saying what was tried, exit code 2.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "commands.hpp"

extern char** environ;

namespace hiili::cli {

struct FootprintCommand {
  CLI::App* cmd = nullptr;
};

namespace {

constexpr int kNoPython = 2;
constexpr int kInternalError = 1;

// Runs `python -c "import hiili.footprint"` quietly; true when it exits 0.
bool has_footprint(const std::string& python, bool search_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {python, "-c", "import hiili.footprint"};
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

std::shared_ptr<FootprintCommand> add_footprint_command(CLI::App& app) {
  auto c = std::make_shared<FootprintCommand>();
  c->cmd = app.add_subcommand(
      "footprint",
      "An organisation's carbon footprint from activity data (runs python -m hiili.footprint; "
      "`hiili footprint --help` for its options)");
  c->cmd->prefix_command();  // every argument goes to Python, --help included
  c->cmd->set_help_flag();
  return c;
}

std::optional<int> run_footprint_command(const FootprintCommand& command) {
  if (!*command.cmd) return std::nullopt;
  std::vector<std::string> tried;
  for (const auto& candidate : candidates()) {
    if (!has_footprint(candidate.python, candidate.search_path)) {
      tried.push_back(fmt::format("{} ({}): no hiili.footprint", candidate.python, candidate.what));
      continue;
    }
    std::vector<std::string> args = {candidate.python, "-m", "hiili.footprint"};
    for (const auto& a : command.cmd->remaining()) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    setenv("HIILI_PROG", "hiili footprint", 1);
    std::fflush(stdout);
    if (candidate.search_path)
      execvp(candidate.python.c_str(), argv.data());
    else
      execv(candidate.python.c_str(), argv.data());
    fmt::print(stderr, "hiili footprint: cannot run {}: {}\n", candidate.python,
               std::strerror(errno));
    return kInternalError;
  }
  fmt::print(stderr,
             "hiili footprint: needs a Python interpreter with the hiili package (pip install "
             "'hiili[footprint]'), or HIILI_PYTHON set to one. Tried:\n");
  for (const auto& t : tried) fmt::print(stderr, "  {}\n", t);
  return kNoPython;
}

}  // namespace hiili::cli
