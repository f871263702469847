// `hiili footprint ...`: hands every argument over to the Python implementation
// (`python -m hiili.footprint`), which needs pandas and matplotlib for its tables and report.
//
// The interpreter is found as python.hpp says (one that can import hiili.footprint). None: a
// message saying what was tried, exit code 2.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "python.hpp"

namespace hiili::cli {

struct FootprintCommand {
  CLI::App* cmd = nullptr;
};

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
  return exec_python_module("hiili footprint", "hiili.footprint", command.cmd->remaining(),
                            "hiili[footprint]");
}

}  // namespace hiili::cli
