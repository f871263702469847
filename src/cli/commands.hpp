// The subcommands of `hiili`: each takes its parsed options, prints its result to stdout
// (text, JSON or CSV) and throws hiili::Error for bad input data (main turns that into
// exit code 3).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "output.hpp"

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
};

struct SolveOptions {
  CommonOptions common;
  std::string model;
  std::string format = "auto";
  std::string solver = "klu";
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

// Splits "LABEL=AMOUNT" at the last '='; returns an error message, or "" when it parses.
std::string check_demand_syntax(const std::string& text);
// Checks a MODEL argument: an existing path or a "synth[:...]" specification.
std::string check_model_argument(const std::string& text);

}  // namespace hiili::cli
