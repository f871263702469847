// hiili: the command-line front end. Parsing and dispatch only; see commands.cpp.
//
// Exit codes: 0 ok, 2 bad usage (the arguments), 3 bad input data (hiili::Error: a model
// file that cannot be read, a singular matrix, an unknown label...), 1 anything else.
// Every usage error prints one line, "hiili: error: <what>", and exits 2.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "arguments.hpp"
#include "commands.hpp"
#include "hiili/error.hpp"
#include "hiili/io/read.hpp"
#include "hiili/version.hpp"

namespace {

using namespace hiili::cli;

constexpr int kUsageError = 2;
constexpr int kDataError = 3;
constexpr int kInternalError = 1;

void add_output_flags(CLI::App* command, CommonOptions& common) {
  auto* json = command->add_flag("--json", common.json, "Print JSON (for machines)");
  auto* csv = command->add_flag("--csv", common.csv, "Print CSV (for machines)");
  json->excludes(csv);
  command->add_flag("-q,--quiet", common.quiet, "No progress indicator on stderr");
  add_cache_option(command);
}

CLI::Validator model_validator() {
  return CLI::Validator([](std::string& text) { return check_model_argument(text); }, "MODEL",
                        "model");
}

CLI::Validator solver_validator() {
  return CLI::IsMember({"klu", "umfpack", "eigen"}, CLI::ignore_case);
}

// A usage error in the one documented form. CLI11's own messages are kept as they are (they
// name the option); its "A subcommand is required" for a word that is no command says so.
int usage_error(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  std::string what = e.what();
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known = known || sub->check_name(argv[1]);
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) what = fmt::format("unknown command '{}' (commands: {})", argv[1], names);
  }
  std::fflush(stdout);
  fmt::print(stderr, "hiili: error: {}\nRun 'hiili --help' for the commands and options.\n", what);
  return kUsageError;
}

CLI::Validator format_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        try {
          hiili::io::format_from_string(text);
          return {};
        } catch (const hiili::Error& e) {
          return e.what();
        }
      },
      "FORMAT", "format");
}

const char* kModelHelp =
    "Model: a file or folder in any supported format (detected from its content), or "
    "synth[:n=N,k=K,seed=S]; default: the built-in synth:n=20000,k=3,seed=1";

}  // namespace

const char* const kReaderOptionHelp =
    "A reader option, repeatable: e.g. allocation=physical for an openLCA export (see "
    "docs/formats-openlca-ecoinvent.md); an unknown name is an error";

int main(int argc, char** argv) {
  CLI::App app{"hiili: fast life cycle assessment (LCA) inventory and impact solver", "hiili"};
  app.set_version_flag("--version", std::string("hiili ") + hiili::kVersion);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 2 bad usage, 3 bad input data (unreadable model, singular matrix, "
      "unknown label), 1 other errors.");

  InfoOptions info;
  auto* info_cmd = app.add_subcommand("info", "Sizes, structure and conditioning of a model");
  info_cmd->add_option("model", info.model, kModelHelp)->check(model_validator());
  info_cmd->add_option("--format", info.format, "Force the model's format")
      ->check(format_validator());
  info_cmd->add_option("--solver", info.solver, "klu (default), umfpack or eigen")
      ->check(solver_validator());
  info_cmd->add_option("-O,--option", info.reader_options, kReaderOptionHelp)
      ->type_name("NAME=VALUE");
  add_output_flags(info_cmd, info.common);

  SolveOptions solve;
  auto* solve_cmd = app.add_subcommand("solve", "Scores and top contributors for a demand");
  solve_cmd->add_option("model", solve.model, kModelHelp)->check(model_validator());
  solve_cmd
      ->add_option("-d,--demand", solve.demand,
                   "LABEL_OR_INDEX=AMOUNT, repeatable: an activity by label (id, name or any "
                   "label column) or by index (#12 or 12), and its amount")
      ->check(CLI::Validator([](std::string& t) { return check_demand_syntax(t); }, "LABEL=AMOUNT",
                             "demand"));
  solve_cmd
      ->add_option("--demand-file", solve.demand_file,
                   "A demand file of a USEEIO model: [{\"sector\": id, \"amount\": x}, ...]; "
                   "adds to --demand")
      ->check(CLI::ExistingFile);
  solve_cmd->add_option("-c,--category", solve.category,
                        "Category (name or index) for the contributions; default the first");
  solve_cmd->add_option("-n,--top", solve.top, "How many top contributors to show")
      ->check(integer_in(0, kMaxTop, "--top"))
      ->capture_default_str();
  solve_cmd->add_option("--format", solve.format, "Force the model's format")
      ->check(format_validator());
  solve_cmd->add_option("--solver", solve.solver, "klu (default), umfpack or eigen")
      ->check(solver_validator());
  solve_cmd->add_option("-O,--option", solve.reader_options, kReaderOptionHelp)
      ->type_name("NAME=VALUE");
  add_output_flags(solve_cmd, solve.common);

  DemoOptions demo;
  auto* demo_cmd = app.add_subcommand(
      "demo", "The built-in synthetic model, timed phase by phase, and a USEEIO footprint");
  demo_cmd
      ->add_option("--model", demo.useeio,
                   "USEEIO model folder (default: ../shared/data/useeio_v2.0_ghg, where "
                   "found)")
      ->check(CLI::ExistingPath);
  demo_cmd->add_option("--solver", demo.solver, "klu (default), umfpack or eigen")
      ->check(solver_validator());
  add_output_flags(demo_cmd, demo.common);
  auto analysis = add_analysis_commands(app);  // contrib, paths, sensitivity (analyze.cpp)
  auto mc = add_mc_command(app);               // mc (mc.cpp)
  // footprint (footprint.cpp): hands its arguments over to python -m hiili.footprint
  auto footprint = add_footprint_command(app);

  try {
    app.parse(argc, argv);
    if (*solve_cmd && solve.demand.empty() && solve.demand_file.empty())
      throw CLI::RequiredError("solve: --demand or --demand-file");
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e, argc, argv);
  }

  try {
    if (*info_cmd) return run_info(info);
    if (*solve_cmd) return run_solve(solve);
    if (*demo_cmd) return run_demo(demo, argv[0]);
    if (auto code = run_analysis_command(*analysis)) return *code;
    if (auto code = run_mc_command(*mc)) return *code;
    if (auto code = run_footprint_command(*footprint)) return *code;
  } catch (const hiili::Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "hiili: error: {}\n", e.what());
    return kDataError;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "hiili: internal error: {}\n", hiili::detail::escape_message(e.what()));
    return kInternalError;
  }
  return kUsageError;
}
