// Commands implemented in Python: finding an interpreter that has the hiili package, and
// handing the command line over to it (exec, so signals and the exit code are Python's).
//
// The interpreter is the first of: python3 beside this executable (a virtual environment's
// bin/, where pip puts `hiili`), the environment's python3 when the binary wheel's launcher
// runs it from site-packages/hiili.scripts/, $HIILI_PYTHON, python3 on PATH, that can import
// the module asked for.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace hiili::cli {

// Execs `python -m module args...` with HIILI_PROG=prog (for the usage line). Returns only when
// that failed: 2 with a message listing the interpreters tried when none can import `module`,
// 1 when exec itself failed. `install_hint` names what to pip install.
int exec_python_module(const std::string& prog, const std::string& module,
                       const std::vector<std::string>& args, const std::string& install_hint);

// The options a subcommand was given, as a command line again: `--name value` per value of each
// option that was set (flags: `--name`), positionals as their values. For handing a command
// over to Python after CLI11 has parsed it.
std::vector<std::string> given_arguments(const CLI::App& command);

}  // namespace hiili::cli
