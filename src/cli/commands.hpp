// The subcommands of `hiili`: each takes its parsed options, prints its result to stdout
// (text, JSON or CSV) and throws hiili::Error for bad input data (main turns that into
// exit code 3).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hiili/lca.hpp"
#include "hiili/model.hpp"
#include "output.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace hiili::cli {

struct CommonOptions {
  bool json = false;
  bool csv = false;
  bool quiet = false;  // no progress indicator
  OutputMode mode() const {
    return json ? OutputMode::Json : csv ? OutputMode::Csv : OutputMode::Text;
  }
};

struct InfoOptions {
  CommonOptions common;
  std::string model;            // path, "synth[:n=...,k=...,seed=...]", or empty (default)
  std::string format = "auto";  // hiili::io::Format name
  std::string solver = "klu";
  std::vector<std::string> reader_options;  // "NAME=VALUE" (--option), io::ReadOptions
};

struct SolveOptions {
  CommonOptions common;
  std::string model;
  std::string format = "auto";
  std::string solver = "klu";
  std::vector<std::string> reader_options;  // "NAME=VALUE" (--option), io::ReadOptions
  std::vector<std::string> demand;  // "LABEL_OR_INDEX=AMOUNT"
  std::string demand_file;          // a USEEIO demand file [{"sector": id, "amount": x}]
  std::string category;             // name or index; empty: the first
  int top = 10;
};

struct DemoOptions {
  CommonOptions common;
  std::string useeio;  // --model: a USEEIO model folder; empty: look for ../shared/data
  std::string solver = "klu";
};

int run_info(const InfoOptions& options);
int run_solve(const SolveOptions& options);
int run_demo(const DemoOptions& options, const std::string& argv0);

// --cache DIR on a command that factorizes: keep the symbolic analysis in DIR across runs
// (FactorizationOptions::analysis_cache; default off). cache_warning prints, on stderr, why a
// cache file was rejected or not written (the solve goes on with a fresh analysis).
void add_cache_option(CLI::App* command);
void cache_warning(const FactorizationReport& report);

// Splits "LABEL=AMOUNT" at the last '='; returns an error message, or "" when it parses.
std::string check_demand_syntax(const std::string& text);
// Checks a MODEL argument: an existing path or a "synth[:...]" specification.
std::string check_model_argument(const std::string& text);

// ---- shared with analyze.cpp ----------------------------------------------------------------

// A model, demand and category resolved as `solve` resolves them, and an Lca factorised.
struct Prepared {
  std::shared_ptr<const Model> model;
  std::string source;  // what the user named, spelled out
  std::string format;
  SparseDemand demand;
  Index category = 0;
  std::unique_ptr<Lca> lca;
  double read_seconds = 0.0;
  double factor_seconds = 0.0;
  double condition_estimate = 0.0;    // of A (Factorization::condition_estimate)
  std::vector<std::string> warnings;  // model_warnings(), already printed by prepare()
};
Prepared prepare(const std::string& model, const std::string& format, const std::string& solver,
                 const std::vector<std::string>& demand, const std::string& demand_file,
                 const std::string& category, bool progress);
// What a reader of the result should know (hiili/diagnostics.hpp): the condition warning of A
// and the climate categories' characterisation notes.
std::vector<std::string> model_warnings(const Model& model, double condition_estimate);
// Each as "hiili: warning: <text>" on stderr, after flushing stdout.
void print_warnings(const std::vector<std::string>& warnings);
// "LABEL_OR_INDEX=AMOUNT" items (checked by check_demand_syntax) against a model's activities.
SparseDemand resolve_demand(const Model& model, const std::vector<std::string>& items);
// "name [location]" (else id, else the first column, else "#i"), as solve prints labels.
std::string row_label(const Labels& labels, Index i);
// Runs `body`, prefixing hiili errors with the model's source (as solve does).
void in_model_context(const Prepared& prepared, const std::function<void()>& body);

// contrib, paths, sensitivity (analyze.cpp): registered on the app before parsing; after it,
// run_analysis_command runs the one that was chosen (nullopt when none was).
struct AnalysisCommands;
std::shared_ptr<AnalysisCommands> add_analysis_commands(CLI::App& app);
std::optional<int> run_analysis_command(const AnalysisCommands& commands);

// mc (mc.cpp): Monte Carlo uncertainty of the scores, registered and run the same way.
struct McCommand;
std::shared_ptr<McCommand> add_mc_command(CLI::App& app);
std::optional<int> run_mc_command(const McCommand& command);

// footprint (footprint.cpp): hands its arguments to `python -m hiili.footprint`.
struct FootprintCommand;
std::shared_ptr<FootprintCommand> add_footprint_command(CLI::App& app);
std::optional<int> run_footprint_command(const FootprintCommand& command);

}  // namespace hiili::cli
