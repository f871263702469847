// hiili contrib | paths | sensitivity: where a score comes from and what moves it
// (contribution.hpp, sensitivity.hpp), as text tables, JSON or CSV. Printing only: the
// analyses are the library's.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "hiili/contribution.hpp"
#include "hiili/error.hpp"
#include "hiili/sensitivity.hpp"
#include "hiili/version.hpp"

namespace hiili::cli {

using Json = nlohmann::ordered_json;

struct AnalysisCommands {
  // Shared by the three commands.
  struct Input {
    CommonOptions common;
    std::string model, format = "auto", solver = "klu";
    std::vector<std::string> demand;
    std::string demand_file, category;
    int top = 10;
  };
  Input contrib_in, paths_in, sens_in;
  bool all_categories = false;
  double path_cutoff = 1e-6;
  int max_length = 50;
  long long max_expansions = 1000000;
  std::string matrices = "ABC";
  CLI::App* contrib = nullptr;
  CLI::App* paths = nullptr;
  CLI::App* sensitivity = nullptr;
};

namespace {

const char* kModelHelp =
    "Model: a file or folder in any supported format, or synth[:n=N,k=K,seed=S]; default: "
    "the built-in synth:n=20000,k=3,seed=1";

void add_input(CLI::App* cmd, AnalysisCommands::Input& in) {
  cmd->add_option("model", in.model, kModelHelp)
      ->check(
          CLI::Validator([](std::string& t) { return check_model_argument(t); }, "MODEL", "model"));
  cmd->add_option("-d,--demand", in.demand,
                  "LABEL_OR_INDEX=AMOUNT, repeatable: an activity by label or index (#12 or "
                  "12) and its amount")
      ->check(CLI::Validator([](std::string& t) { return check_demand_syntax(t); }, "LABEL=AMOUNT",
                             "demand"));
  cmd->add_option("--demand-file", in.demand_file,
                  "A USEEIO demand file [{\"sector\": id, \"amount\": x}, ...]; adds to --demand")
      ->check(CLI::ExistingFile);
  cmd->add_option("-c,--category", in.category, "Category (name or index); default the first");
  cmd->add_option("-n,--top", in.top, "How many rows to show")
      ->check(integer_in(0, kMaxTop, "--top"))
      ->capture_default_str();
  cmd->add_option("--format", in.format, "Force the model's format");
  cmd->add_option("--solver", in.solver, "klu (default), umfpack or eigen")
      ->check(CLI::IsMember({"klu", "umfpack", "eigen"}, CLI::ignore_case));
  add_cache_option(cmd);
  auto* json = cmd->add_flag("--json", in.common.json, "Print JSON (for machines)");
  auto* csv = cmd->add_flag("--csv", in.common.csv, "Print CSV (for machines)");
  json->excludes(csv);
  cmd->add_flag("-q,--quiet", in.common.quiet, "No progress indicator on stderr");
  cmd->parse_complete_callback([cmd, &in] {
    if (in.demand.empty() && in.demand_file.empty())
      throw CLI::RequiredError(cmd->get_name() + ": --demand or --demand-file");
  });
}

Prepared prepare_input(const AnalysisCommands::Input& in) {
  return prepare(in.model, in.format, in.solver, in.demand, in.demand_file, in.category,
                 !in.common.quiet);
}

std::string g17(double v) { return fmt::format("{:.17g}", v); }
std::string percent(double value, double total) {
  return total != 0.0 ? fmt::format("{:.1f} %", 100.0 * value / total) : "";
}
Json finite(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json header(const char* command, const Prepared& p) {
  const Model& m = *p.model;
  Json j;
  j["hiili_version"] = kVersion;
  j["command"] = command;
  j["model"] = {{"source", p.source},
                {"format", p.format},
                {"activities", m.num_activities()},
                {"flows", m.num_flows()},
                {"categories", m.num_categories()}};
  Json d = Json::array();
  for (const auto& [index, amount] : p.demand)
    d.push_back(
        {{"index", index}, {"label", row_label(m.activities(), index)}, {"amount", amount}});
  j["demand"] = d;
  return j;
}

void print_header(const Prepared& p, Index category, double score) {
  const Model& m = *p.model;
  fmt::print("model     {} ({} activities, {} flows, {} categories)\n", p.source,
             thousands(m.num_activities()), thousands(m.num_flows()),
             thousands(m.num_categories()));
  for (std::size_t e = 0; e < p.demand.size() && e < 5; ++e)
    fmt::print("demand    {} x {} (#{})\n", number(p.demand[e].second),
               row_label(m.activities(), p.demand[e].first), p.demand[e].first);
  if (p.demand.size() > 5) fmt::print("demand    ... {} entries in all\n", p.demand.size());
  fmt::print("category  {} (#{}): score {}\n", row_label(m.categories(), category), category,
             number(score));
}

// ---- contrib ------------------------------------------------------------------------------

struct Ranked {
  const char* kind;    // "process", "flow", "upstream"
  const char* plural;  // the JSON key
  const Labels* labels;
  RankedContributions ranking;
};

int run_contrib(const AnalysisCommands& c) {
  const auto& in = c.contrib_in;
  Prepared p = prepare_input(in);
  const Model& m = *p.model;
  std::vector<Index> categories;
  if (c.all_categories)
    for (Index q = 0; q < m.num_categories(); ++q) categories.push_back(q);
  else
    categories.push_back(p.category);

  Json j = header("contrib", p);
  Json list = Json::array();
  Table csv({"category", "kind", "rank", "index", "label", "value", "share"});
  for (Index q : categories) {
    ScoreAnalysis a;
    in_model_context(p, [&] { a = analyze_score(*p.lca, p.demand, q); });
    const Ranked parts[3] = {
        {"process", "processes", &m.activities(),
         rank_contributions(a.process_contributions(), in.top)},
        {"flow", "flows", &m.flows(), rank_contributions(a.flow_contributions(), in.top)},
        {"upstream", "upstream", &m.activities(), rank_contributions(a.upstream_scores(), in.top)}};
    const std::string category = row_label(m.categories(), q);
    if (in.common.mode() == OutputMode::Json) {
      Json cj = {{"index", q}, {"category", category}, {"score", a.score}};
      for (const Ranked& part : parts) {
        Json rows = Json::array();
        for (std::size_t r = 0; r < part.ranking.top.size(); ++r) {
          const RankedItem& item = part.ranking.top[r];
          rows.push_back({{"rank", r + 1},
                          {"index", item.index},
                          {"label", row_label(*part.labels, item.index)},
                          {"value", item.value},
                          {"share", finite(a.score != 0 ? item.value / a.score : NAN)}});
        }
        cj[part.plural] = rows;
        if (part.kind != std::string("upstream"))
          cj[std::string(part.kind) + "_rest"] = {{"value", part.ranking.rest},
                                                  {"count", part.ranking.rest_count}};
      }
      list.push_back(std::move(cj));
    } else if (in.common.mode() == OutputMode::Csv) {
      csv.add({category, "score", "", "", "", g17(a.score), ""});
      for (const Ranked& part : parts) {
        for (std::size_t r = 0; r < part.ranking.top.size(); ++r) {
          const RankedItem& item = part.ranking.top[r];
          csv.add({category, part.kind, std::to_string(r + 1), std::to_string(item.index),
                   row_label(*part.labels, item.index), g17(item.value),
                   a.score != 0 ? g17(item.value / a.score) : ""});
        }
        if (part.kind != std::string("upstream"))
          csv.add({category, part.kind, "0", "", "rest", g17(part.ranking.rest),
                   a.score != 0 ? g17(part.ranking.rest / a.score) : ""});
      }
    } else {
      print_header(p, q, a.score);
      const char* titles[3] = {"Processes by direct impact (s_j b_j; these add up to the score)",
                               "Flows by impact (c_f g_f; these add up to the score)",
                               "Activities by upstream (cumulative) impact: y_j A_jj s_j, "
                               "supply chain included; loops count more than once"};
      for (int t = 0; t < 3; ++t) {
        const Ranked& part = parts[t];
        fmt::print("\n  {}\n", titles[t]);
        Table table({"rank", "#", part.kind == std::string("flow") ? "flow" : "activity", "impact",
                     "share"},
                    {true, true, false, true, true});
        for (std::size_t r = 0; r < part.ranking.top.size(); ++r) {
          const RankedItem& item = part.ranking.top[r];
          table.add({std::to_string(r + 1), std::to_string(item.index),
                     row_label(*part.labels, item.index), number(item.value),
                     percent(item.value, a.score)});
        }
        if (t < 2 && part.ranking.rest_count > 0)
          table.add({"", "", fmt::format("rest ({} others)", part.ranking.rest_count),
                     number(part.ranking.rest), percent(part.ranking.rest, a.score)});
        table.print_text(stdout, 60, 2);
      }
      fmt::print("\n");
    }
  }
  if (in.common.mode() == OutputMode::Json) {
    j["categories"] = list;
    fmt::print("{}\n", j.dump(2));
  } else if (in.common.mode() == OutputMode::Csv) {
    csv.print_csv(stdout);
  }
  return 0;
}

// ---- paths ----------------------------------------------------------------------------------

int run_paths(const AnalysisCommands& c) {
  const auto& in = c.paths_in;
  Prepared p = prepare_input(in);
  const Model& m = *p.model;
  PathOptions o;
  o.top = std::max(1, in.top);
  o.cutoff = c.path_cutoff;
  o.max_length = c.max_length;
  o.max_expansions = c.max_expansions;
  PathAnalysis result;
  in_model_context(p, [&] {
    const ScoreAnalysis a = analyze_score(*p.lca, p.demand, p.category);
    result = structural_paths(m, a, o);
  });
  const auto labels = [&](const Path& path, const char* sep) {
    std::string out;
    for (std::size_t l = 0; l < path.activities.size(); ++l)
      out += (l ? sep : "") + row_label(m.activities(), path.activities[l]);
    return out;
  };
  if (in.common.mode() == OutputMode::Json) {
    Json j = header("paths", p);
    j["category"] = {{"index", p.category}, {"name", row_label(m.categories(), p.category)}};
    j["score"] = result.score;
    j["coverage"] = finite(result.coverage);
    j["complete"] = result.complete;
    j["expansions"] = result.expansions;
    Json rows = Json::array();
    for (std::size_t r = 0; r < result.paths.size(); ++r) {
      const Path& path = result.paths[r];
      Json names = Json::array();
      for (Index a : path.activities) names.push_back(row_label(m.activities(), a));
      rows.push_back({{"rank", r + 1},
                      {"value", path.value},
                      {"share", finite(path.share)},
                      {"cumulative", path.cumulative},
                      {"amount", path.amount},
                      {"activities", path.activities},
                      {"labels", names}});
    }
    j["paths"] = rows;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  if (in.common.mode() == OutputMode::Csv) {
    Table csv({"rank", "value", "share", "cumulative", "length", "activities", "path"});
    for (std::size_t r = 0; r < result.paths.size(); ++r) {
      const Path& path = result.paths[r];
      std::string ids;
      for (std::size_t l = 0; l < path.activities.size(); ++l)
        ids += (l ? ";" : "") + std::to_string(path.activities[l]);
      csv.add({std::to_string(r + 1), g17(path.value), g17(path.share), g17(path.cumulative),
               std::to_string(path.activities.size() - 1), ids, labels(path, " > ")});
    }
    csv.print_csv(stdout);
    return 0;
  }
  print_header(p, p.category, result.score);
  fmt::print("paths     top {} by |value| cover {} of the score{}\n\n", result.paths.size(),
             percent(result.coverage * result.score, result.score),
             result.complete ? "" : " (search stopped at --max-expansions)");
  Table table({"rank", "value", "share", "edges", "path (demand > ... > emitting activity)"},
              {true, true, true, true, false});
  for (std::size_t r = 0; r < result.paths.size(); ++r) {
    const Path& path = result.paths[r];
    table.add({std::to_string(r + 1), number(path.value), percent(path.value, result.score),
               std::to_string(path.activities.size() - 1), labels(path, " > ")});
  }
  table.print_text(stdout, 100, 2);
  return 0;
}

// ---- sensitivity --------------------------------------------------------------------------

int run_sensitivity(const AnalysisCommands& c) {
  const auto& in = c.sens_in;
  Prepared p = prepare_input(in);
  const Model& m = *p.model;
  Sensitivity s;
  in_model_context(p, [&] { s = sensitivity(*p.lca, p.demand, p.category); });
  const auto entries =
      s.top(in.top, c.matrices.find('A') != std::string::npos,
            c.matrices.find('B') != std::string::npos, c.matrices.find('C') != std::string::npos);
  const auto names = [&](const SensitivityEntry& e) -> std::pair<std::string, std::string> {
    switch (e.matrix) {
      case MatrixKind::Technosphere:
        return {row_label(m.activities(), e.row), row_label(m.activities(), e.col)};
      case MatrixKind::Biosphere:
        return {row_label(m.flows(), e.row), row_label(m.activities(), e.col)};
      case MatrixKind::Characterization:
        return {row_label(m.categories(), e.row), row_label(m.flows(), e.col)};
    }
    return {};
  };
  const auto letter = [](MatrixKind k) {
    return k == MatrixKind::Technosphere ? "A" : k == MatrixKind::Biosphere ? "B" : "C";
  };
  if (in.common.mode() == OutputMode::Json) {
    Json j = header("sensitivity", p);
    j["category"] = {{"index", p.category}, {"name", row_label(m.categories(), p.category)}};
    j["score"] = s.score;
    Json rows = Json::array();
    for (std::size_t r = 0; r < entries.size(); ++r) {
      const auto& e = entries[r];
      const auto [rl, cl] = names(e);
      rows.push_back({{"rank", r + 1},
                      {"matrix", letter(e.matrix)},
                      {"row", e.row},
                      {"col", e.col},
                      {"row_label", rl},
                      {"col_label", cl},
                      {"value", e.value},
                      {"derivative", e.derivative},
                      {"elasticity", finite(e.elasticity)}});
    }
    j["entries"] = rows;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  if (in.common.mode() == OutputMode::Csv) {
    Table csv({"rank", "matrix", "row", "col", "row_label", "col_label", "value", "derivative",
               "elasticity"});
    for (std::size_t r = 0; r < entries.size(); ++r) {
      const auto& e = entries[r];
      const auto [rl, cl] = names(e);
      csv.add({std::to_string(r + 1), letter(e.matrix), std::to_string(e.row),
               std::to_string(e.col), rl, cl, g17(e.value), g17(e.derivative), g17(e.elasticity)});
    }
    csv.print_csv(stdout);
    return 0;
  }
  print_header(p, p.category, s.score);
  fmt::print(
      "\n  Entries by |elasticity| (dh/dx * x/h: the % change of the score per % change of "
      "the entry)\n");
  Table table({"rank", "matrix", "row", "column", "value", "dh/dx", "elasticity"},
              {true, false, false, false, true, true, true});
  for (std::size_t r = 0; r < entries.size(); ++r) {
    const auto& e = entries[r];
    const auto [rl, cl] = names(e);
    table.add({std::to_string(r + 1), letter(e.matrix), rl, cl, number(e.value),
               number(e.derivative), number(e.elasticity)});
  }
  table.print_text(stdout, 40, 2);
  return 0;
}

}  // namespace

std::shared_ptr<AnalysisCommands> add_analysis_commands(CLI::App& app) {
  auto c = std::make_shared<AnalysisCommands>();
  c->contrib = app.add_subcommand(
      "contrib", "Process, flow and upstream contributions to a score (top-N and the rest)");
  add_input(c->contrib, c->contrib_in);
  c->contrib->add_flag("--all-categories", c->all_categories, "Every category, not just one");

  c->paths = app.add_subcommand("paths", "Top structural paths of a score (power series of A)");
  add_input(c->paths, c->paths_in);
  c->paths_in.top = 20;
  c->paths
      ->add_option("--cutoff", c->path_cutoff,
                   "Do not extend paths whose cumulative impact is below this share of the "
                   "score")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  c->paths->add_option("--max-length", c->max_length, "Most edges in a path")
      ->check(integer_in(0, kMaxTop, "--max-length"))
      ->capture_default_str();
  c->paths->add_option("--max-expansions", c->max_expansions, "Search budget")
      ->check(integer_in(1, kMaxExpansions, "--max-expansions"))
      ->capture_default_str();

  c->sensitivity = app.add_subcommand(
      "sensitivity", "Entries of A, B and C that move a score most (adjoint derivatives)");
  add_input(c->sensitivity, c->sens_in);
  c->sens_in.top = 20;
  c->sensitivity->add_option("--matrices", c->matrices, "Which of A, B, C to rank (e.g. AB)")
      ->check(CLI::Validator(
          [](std::string& t) -> std::string {
            if (t.empty() || t.find_first_not_of("ABC") != std::string::npos)
              return "use letters of ABC, got '" + t + "'";
            return {};
          },
          "ABC", "matrices"))
      ->capture_default_str();
  return c;
}

std::optional<int> run_analysis_command(const AnalysisCommands& c) {
  if (*c.contrib) return run_contrib(c);
  if (*c.paths) return run_paths(c);
  if (*c.sensitivity) return run_sensitivity(c);
  return std::nullopt;
}

}  // namespace hiili::cli
