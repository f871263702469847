#include "commands.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <exception>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <string_view>

#include "hiili/contribution.hpp"
#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"
#include "hiili/io/read.hpp"
#include "hiili/io/useeio.hpp"
#include "hiili/lca.hpp"
#include "hiili/limits.hpp"
#include "hiili/model.hpp"
#include "hiili/solver.hpp"
#include "hiili/synth.hpp"
#include "hiili/version.hpp"
#include "io/util.hpp"

namespace hiili::cli {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

// ---- parsing helpers ---------------------------------------------------------

// A finite number: the readers' whole-token parsing (io/util.hpp, fast_float), which also
// accepts "nan" and "inf" spellings; the command refuses those.
std::optional<double> parse_finite(std::string_view text) {
  const auto value = io::detail::parse_double(text);
  if (!value || !std::isfinite(*value)) return std::nullopt;
  return value;
}

std::optional<long long> parse_integer(std::string_view text) {
  const auto value = io::detail::parse_int(text);
  if (!value) return std::nullopt;
  return static_cast<long long>(*value);
}

bool is_synth_spec(const std::string& text) {
  return text == "synth" || text.rfind("synth:", 0) == 0;
}

// "synth:n=2000,k=3,seed=7,m=250,family=stress" -> SynthOptions; throws InvalidInputError.
SynthOptions parse_synth_spec(const std::string& text) {
  SynthOptions options;
  if (text == "synth") return options;
  std::string_view rest = std::string_view(text).substr(6);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      throw InvalidInputError(fmt::format("model '{}': expected key=value, got '{}'", text, item));
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    auto real = parse_finite(value);
    auto integer = parse_integer(value);
    // 1e6 is a whole number too; one beyond 64 bits is out of every range (limits.hpp).
    if (!integer && real && *real == std::floor(*real)) {
      if (std::abs(*real) >= 0x1p63) {
        const long long hi = key == "k"      ? kMaxSynthCategories
                             : key == "seed" ? LLONG_MAX
                                             : kMaxSynthSize;
        throw InvalidInputError(fmt::format("model '{}': {} must be in [{}, {}], got {}", text, key,
                                            key == "k" || key == "seed" ? 0 : 1, hi, value));
      }
      integer = static_cast<long long>(*real);
    }
    auto need = [&](bool ok) {
      if (!ok)
        throw InvalidInputError(
            fmt::format("model '{}': bad value '{}' for '{}'", text, value, key));
    };
    if (key == "n") {
      need(integer.has_value());
      options.n = *integer;
    } else if (key == "m") {
      need(integer.has_value());
      options.m = *integer;
    } else if (key == "k") {
      need(integer.has_value());
      options.k = *integer;
    } else if (key == "seed") {
      need(integer.has_value() && *integer >= 0);
      options.seed = static_cast<std::uint64_t>(*integer);
    } else if (key == "core") {
      need(real.has_value());
      options.core_fraction = *real;
    } else if (key == "family") {  // ecoinvent (default) or stress (docs/synth.md)
      need(value == "ecoinvent" || value == "stress");
      options.family = synth_family_from_string(value);
    } else if (key == "uncertainty") {  // lognormal on A's inputs and all of B (hiili mc)
      need(integer.has_value() && (*integer == 0 || *integer == 1));
      options.uncertainty = *integer == 1;
    } else {
      throw InvalidInputError(
          fmt::format("model '{}': unknown key '{}' (known: n, m, k, seed, family, core, "
                      "uncertainty)",
                      text, key));
    }
  }
  return options;
}

std::string synth_description(const SynthOptions& o) {
  return fmt::format("synth:n={},k={},seed={}{}{}", o.n, o.k, o.seed,
                     o.family == SynthFamily::Stress ? ",family=stress" : "",
                     o.uncertainty ? ",uncertainty=1" : "");
}

// ---- the model ----------------------------------------------------------------

std::string column_or_empty(const Labels& labels, std::string_view column, Index i) {
  if (labels.empty() || !labels.has_column(column)) return {};
  return labels.column(column)[i];
}

// ---- errors with their context ----------------------------------------------------
// Library messages name the matrix and the entry; readers also name the file. Prefix the
// model's source where the message lacks it, and name the activity of a singular column,
// keeping the exception's type (main maps every hiili::Error to exit code 3).

std::string in_context(const std::string& source, const std::string& what) {
  if (source.empty() || what.find(source) != std::string::npos) return what;
  return source + ": " + what;
}

template <class F>
auto with_context(const std::string& source, const Model* model, F&& body) {
  try {
    return body();
  } catch (const SingularMatrixError& e) {
    std::string what = in_context(source, e.what());
    if (model && !model->activities().empty() && e.column() >= 0 &&
        e.column() < model->num_activities())
      what +=
          fmt::format(" (activity #{}: {})", e.column(), model->activities().display(e.column()));
    throw SingularMatrixError(what, e.column(), e.rcond());
  } catch (const IllConditionedError& e) {
    throw IllConditionedError(in_context(source, e.what()), e.residual(), e.rcond());
  } catch (const FormatError& e) {
    throw FormatError(in_context(source, e.what()));
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(in_context(source, e.what()));
  }
}

struct LoadedModel {
  std::shared_ptr<const Model> model;
  std::string source;  // what the user named, spelled out
  std::string format;  // "synth" or the reader's format
  double seconds = 0.0;
  std::optional<io::ReadReport> report;  // for a model read from a file
};

// "NAME=VALUE" items (--option) as reader options.
io::ReadOptions reader_options(const std::vector<std::string>& items) {
  io::ReadOptions options;
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InvalidInputError("--option " + item + ": expected NAME=VALUE");
    options.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return options;
}

LoadedModel load_model(const std::string& spec, const std::string& format_name, bool progress,
                       const std::vector<std::string>& options = {}) {
  LoadedModel loaded;
  Stopwatch clock;
  if (spec.empty() || (is_synth_spec(spec) && !fs::exists(spec))) {
    SynthOptions options = spec.empty() ? SynthOptions{} : parse_synth_spec(spec);
    Progress p("generating " + synth_description(options), progress);
    loaded.model = std::make_shared<const Model>(synth(options));
    loaded.source = synth_description(options);
    loaded.format = "synth";
  } else {
    io::Format format = io::format_from_string(format_name);
    Progress p("reading " + spec, progress);
    const io::ReadOptions read_options = reader_options(options);
    loaded.model = with_context(spec, nullptr, [&] {
      if (format == io::Format::Auto) format = io::detect_format(spec);
      io::ReadResult result = io::read(spec, format, read_options);
      loaded.report = std::move(result.report);
      return std::make_shared<const Model>(std::move(result.model));
    });
    loaded.source = spec;
    loaded.format = io::to_string(format);
  }
  loaded.seconds = clock.seconds();
  return loaded;
}

SparseDemand parse_demand(const Model& model, const std::vector<std::string>& items) {
  SparseDemand demand;
  for (const auto& item : items) {
    auto eq = item.rfind('=');  // check_demand_syntax already accepted it
    Index j = model.activity_index(item.substr(0, eq));
    demand.emplace_back(j, *parse_finite(item.substr(eq + 1)));
  }
  return demand;
}

std::string analysis_cache_dir;  // --cache DIR; empty: off

FactorizationOptions factorization_options(const std::string& solver) {
  FactorizationOptions options;
  options.backend = backend_from_string(solver);
  options.analysis_cache = analysis_cache_dir;
  return options;
}

// ---- contributions --------------------------------------------------------------
// The direct contribution of each activity (C B diag(s)) and of each flow (C diag(g)) to
// category q, ranked by magnitude (hiili/contribution.hpp).

using Contribution = RankedItem;

std::vector<Contribution> top_contributions(const Eigen::VectorXd& values, int top) {
  return rank_contributions(values, top).top;
}

struct Contributions {
  Index category = 0;
  double score = 0.0;
  std::vector<Contribution> activities, flows;
};

Contributions contributions(const Model& model, const LcaResult& result, Index q, int top) {
  Contributions out;
  out.category = q;
  out.score = result.scores[q];
  const Eigen::VectorXd activities = process_contributions(model, result.supply).row(q);
  const Eigen::VectorXd flows = flow_contributions(model, result.inventory).row(q);
  out.activities = top_contributions(activities, top);
  out.flows = top_contributions(flows, top);
  return out;
}

std::string share(double value, double total) {
  if (total == 0.0) return "";
  return fmt::format("{:.1f}%", 100.0 * value / total);
}

// ---- printing pieces --------------------------------------------------------------

constexpr const char* kNoCategories =
    "No scores: the model has no impact categories (no characterisation matrix C; openLCA "
    "exports without LCIA methods, such as USLCI, have none). The inventory is shown instead.";

Json report_json(const FactorizationReport& r) {
  Json j;
  j["backend"] = to_string(r.backend);
  j["n"] = r.n;
  j["nnz"] = r.nnz;
  j["nnz_factors"] = r.nnz_factors;
  j["fill"] = r.nnz > 0 && r.nnz_factors > 0 ? static_cast<double>(r.nnz_factors) / r.nnz : 0.0;
  j["blocks"] = r.blocks;
  j["max_block"] = r.max_block;
  j["rcond"] = r.rcond;
  j["static_factor"] = r.static_factor;  // the static kernel, not KLU's, holds the factors
  j["analyze_seconds"] = r.analyze_seconds;
  j["factor_seconds"] = r.factor_seconds;
  j["refinements"] = r.refinements;
  j["last_residual"] = r.last_residual;
  return j;
}

Json model_json(const LoadedModel& loaded) {
  const Model& m = *loaded.model;
  Json j;
  j["source"] = loaded.source;
  j["format"] = loaded.format;
  j["activities"] = m.num_activities();
  j["flows"] = m.num_flows();
  j["categories"] = m.num_categories();
  j["nnz"] = {{"A", m.A().nnz()}, {"B", m.B().nnz()}, {"C", m.C().nnz()}};
  return j;
}

Json scores_json(const Model& model, const Eigen::VectorXd& scores) {
  Json list = Json::array();
  for (Index q = 0; q < scores.size(); ++q)
    list.push_back({{"index", q},
                    {"category", model.categories().display(q)},
                    {"unit", column_or_empty(model.categories(), "unit", q)},
                    {"score", scores[q]}});
  return list;
}

Json contributions_json(const Model& model, const Contributions& c) {
  Json j;
  j["category"] = {{"index", c.category}, {"name", model.categories().display(c.category)}};
  j["score"] = c.score;
  auto list = [&](const std::vector<Contribution>& items, const Labels& labels) {
    Json out = Json::array();
    for (std::size_t r = 0; r < items.size(); ++r)
      out.push_back({{"rank", r + 1},
                     {"index", items[r].index},
                     {"label", labels.display(items[r].index)},
                     {"contribution", items[r].value},
                     {"share", c.score != 0.0 ? items[r].value / c.score : 0.0}});
    return out;
  };
  j["activities"] = list(c.activities, model.activities());
  j["flows"] = list(c.flows, model.flows());
  return j;
}

// CSV rows shared by solve and demo: part,kind,rank,index,label,value,share.
Table csv_table() { return Table({"part", "kind", "rank", "index", "label", "value", "share"}); }

std::string g17(double v) { return fmt::format("{:.17g}", v); }

void csv_scores(Table& t, const std::string& part, const Model& model,
                const Eigen::VectorXd& scores) {
  for (Index q = 0; q < scores.size(); ++q)
    t.add({part, "score", "", std::to_string(q), model.categories().display(q), g17(scores[q]),
           ""});
}

void csv_contributions(Table& t, const std::string& part, const Model& model,
                       const Contributions& c) {
  auto rows = [&](const char* kind, const std::vector<Contribution>& items, const Labels& labels) {
    for (std::size_t r = 0; r < items.size(); ++r)
      t.add({part, kind, std::to_string(r + 1), std::to_string(items[r].index),
             labels.display(items[r].index), g17(items[r].value),
             c.score != 0.0 ? g17(items[r].value / c.score) : ""});
  };
  rows("activity", c.activities, model.activities());
  rows("flow", c.flows, model.flows());
}

void print_scores(const Model& model, const Eigen::VectorXd& scores, int indent = 2) {
  Table t({"#", "category", "score", "unit"}, {true, false, true, false});
  for (Index q = 0; q < scores.size(); ++q)
    t.add({std::to_string(q), model.categories().display(q), number(scores[q]),
           column_or_empty(model.categories(), "unit", q)});
  t.print_text(stdout, 60, indent);
}

void print_ranking(const std::string& title, const std::string& what,
                   const std::vector<Contribution>& items, const Labels& labels, double score,
                   int indent) {
  fmt::print("\n{}{}\n", std::string(indent, ' '), title);
  Table t({"rank", "#", what, "contribution", "share"}, {true, true, false, true, true});
  for (std::size_t r = 0; r < items.size(); ++r)
    t.add({std::to_string(r + 1), std::to_string(items[r].index), labels.display(items[r].index),
           number(items[r].value), share(items[r].value, score)});
  t.print_text(stdout, 60, indent);
}

// `what`: "activity" or "sector", the word for a column of A.
void print_contributions(const Model& model, const Contributions& c, const std::string& what,
                         bool with_flows, int indent = 2) {
  std::string category = model.categories().display(c.category);
  std::string plural = what == "activity" ? "activities" : what + "s";
  print_ranking(fmt::format("Top {} {} by direct contribution to {} (c.B[:,j].s_j)",
                            c.activities.size(), plural, category),
                what, c.activities, model.activities(), c.score, indent);
  if (with_flows)
    print_ranking(
        fmt::format("Top {} flows by contribution to {} (c_f.g_f)", c.flows.size(), category),
        "flow", c.flows, model.flows(), c.score, indent);
}

Json inventory_json(const Model& model, const std::vector<Contribution>& flows) {
  Json j;
  j["reason"] = kNoCategories;
  Json list = Json::array();
  for (std::size_t r = 0; r < flows.size(); ++r)
    list.push_back({{"rank", r + 1},
                    {"index", flows[r].index},
                    {"flow", model.flows().display(flows[r].index)},
                    {"amount", flows[r].value},
                    {"unit", column_or_empty(model.flows(), "unit", flows[r].index)}});
  j["top_flows"] = list;
  return j;
}

// solve on a model without categories: why there is no score, and the largest flows of g.
void print_inventory(const Model& model, const std::vector<Contribution>& flows) {
  fmt::print("  {}\n\n  Top {} of {} flows by |amount| (g = B s)\n", kNoCategories, flows.size(),
             thousands(model.num_flows()));
  Table t({"rank", "#", "flow", "amount", "unit"}, {true, true, false, true, false});
  for (std::size_t r = 0; r < flows.size(); ++r)
    t.add({std::to_string(r + 1), std::to_string(flows[r].index),
           model.flows().display(flows[r].index), number(flows[r].value),
           column_or_empty(model.flows(), "unit", flows[r].index)});
  t.print_text(stdout, 60, 2);
}

void print_json(const Json& j) { fmt::print("{}\n", j.dump(2)); }

// Prints warnings when the scope ends normally (not while an error propagates).
struct WarningsAtExit {
  const std::vector<std::string>& warnings;
  ~WarningsAtExit() {
    if (std::uncaught_exceptions() == 0) print_warnings(warnings);
  }
};

Json header_json(const char* command) {
  Json j;
  j["hiili_version"] = kVersion;
  j["command"] = command;
  return j;
}

}  // namespace

// ---- checks used by the argument parser -----------------------------------------------

std::string check_demand_syntax(const std::string& text) {
  auto eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return fmt::format("demand '{}' is not LABEL_OR_INDEX=AMOUNT", text);
  if (!parse_finite(text.substr(eq + 1)))
    return fmt::format("demand '{}': '{}' is not a finite number", text, text.substr(eq + 1));
  return {};
}

std::string check_model_argument(const std::string& text) {
  if (fs::exists(text)) return {};
  if (is_synth_spec(text)) {
    try {
      check_synth_options(parse_synth_spec(text));  // limits.hpp: sizes and memory
      return {};
    } catch (const InvalidInputError& e) {
      return e.what();
    }
  }
  return fmt::format("model '{}' does not exist (give a file or folder, or synth[:n=N,k=K,seed=S])",
                     text);
}

// ---- info -------------------------------------------------------------------------------

void add_cache_option(CLI::App* command) {
  command->add_option("--cache", analysis_cache_dir,
                      "Keep the solver's symbolic analysis in DIR (created if missing) and reuse "
                      "it in later runs on the same pattern; default off")
      ->type_name("DIR");
}

void cache_warning(const FactorizationReport& report) {
  if (!report.cache.warning.empty())
    fmt::print(stderr, "hiili: warning: {}\n", detail::escape_message(report.cache.warning));
}

Json read_report_json(const io::ReadReport& r) {
  Json counts = Json::object();
  for (const auto& [name, value] : r.counts) counts[name] = value;
  return Json{{"format", r.format},
              {"source", r.source},
              {"counts", counts},
              {"warnings", r.warnings},
              {"brief", r.brief}};
}

// The reader's report: its summary, the counts that are not zero, its first warnings.
void print_read_report(const io::ReadReport& r) {
  fmt::print("\nRead report ({})\n  {}\n", r.format, detail::escape_message(r.brief));
  std::string line;
  for (const auto& [name, value] : r.counts) {
    if (value == 0) continue;
    std::string item = fmt::format("{} {}", name, thousands(value));
    if (!line.empty() && line.size() + item.size() > 90) {
      fmt::print("  {}\n", line);
      line.clear();
    }
    line += (line.empty() ? "" : ", ") + item;
  }
  if (!line.empty()) fmt::print("  {}\n", line);
  constexpr std::size_t kShown = 20;
  for (std::size_t w = 0; w < r.warnings.size() && w < kShown; ++w)
    fmt::print("  - {}\n", detail::escape_message(r.warnings[w]));
  if (r.warnings.size() > kShown)
    fmt::print("  ... {} more (--json lists them all)\n", r.warnings.size() - kShown);
}

int run_info(const InfoOptions& o) {
  bool progress = !o.common.quiet;
  LoadedModel loaded = load_model(o.model, o.format, progress, o.reader_options);
  const Model& model = *loaded.model;
  std::optional<Factorization> lu;
  {
    Progress p("factorizing", progress);
    with_context(loaded.source, &model,
                 [&] { lu.emplace(model.A(), factorization_options(o.solver)); });
  }
  cache_warning(lu->report());
  double condest = 0.0;
  {
    Progress p("estimating the condition number", progress);
    condest = with_context(loaded.source, &model, [&] { return lu->condition_estimate(); });
  }
  const FactorizationReport& r = lu->report();
  const std::vector<std::string> warnings = model_warnings(model, condest);

  if (o.common.mode() == OutputMode::Json) {
    Json j = header_json("info");
    j["model"] = model_json(loaded);
    Json categories = Json::array();
    for (Index q = 0; q < model.num_categories(); ++q)
      categories.push_back({{"index", q},
                            {"name", model.categories().display(q)},
                            {"unit", column_or_empty(model.categories(), "unit", q)}});
    j["categories"] = categories;
    j["factorization"] = report_json(r);
    j["factorization"]["condition_estimate"] = condest;
    j["factorization"]["ill_conditioned"] = is_ill_conditioned(condest);
    j["warnings"] = warnings;
    j["read_seconds"] = loaded.seconds;
    if (loaded.report) j["read_report"] = read_report_json(*loaded.report);
    print_json(j);
    return 0;
  }

  Table t({"key", "value"});
  auto add = [&](std::string key, std::string value) { t.add({std::move(key), std::move(value)}); };
  bool csv = o.common.mode() == OutputMode::Csv;
  auto count = [&](Index v) { return csv ? std::to_string(v) : thousands(v); };
  auto real = [&](double v) { return csv ? g17(v) : number(v); };
  add("model", loaded.source);
  add("format", loaded.format);
  add("activities", count(model.num_activities()));
  add("flows", count(model.num_flows()));
  add("categories", count(model.num_categories()));
  add("nnz_A", count(model.A().nnz()));
  add("nnz_B", count(model.B().nnz()));
  add("nnz_C", count(model.C().nnz()));
  add("solver", to_string(r.backend));
  add("nnz_factors", count(r.nnz_factors));
  add("fill", r.nnz_factors > 0 ? real(static_cast<double>(r.nnz_factors) / r.nnz) : "");
  add("blocks", count(r.blocks));
  add("max_block", count(r.max_block));
  add("rcond", real(r.rcond));
  add("condition_estimate", real(condest));
  add("ill_conditioned", is_ill_conditioned(condest) ? "true" : "false");
  add("read_seconds", csv ? g17(loaded.seconds) : duration(loaded.seconds));
  add("analyze_seconds", csv ? g17(r.analyze_seconds) : duration(r.analyze_seconds));
  add("factor_seconds", csv ? g17(r.factor_seconds) : duration(r.factor_seconds));
  if (csv) {
    if (loaded.report)
      for (const auto& [name, value] : loaded.report->counts) add("read_" + name, count(value));
    for (Index q = 0; q < model.num_categories(); ++q)
      add(fmt::format("category_{}", q), model.categories().display(q));
    for (std::size_t w = 0; w < warnings.size(); ++w)
      add(fmt::format("warning_{}", w), warnings[w]);
    t.print_csv(stdout);
    return 0;
  }

  fmt::print("model       {} ({})\n", loaded.source, loaded.format);
  fmt::print("sizes       {} activities, {} flows, {} categories\n",
             thousands(model.num_activities()), thousands(model.num_flows()),
             thousands(model.num_categories()));
  fmt::print("nonzeros    A {} ({:.1f} a column), B {}, C {}\n", thousands(model.A().nnz()),
             static_cast<double>(model.A().nnz()) / std::max<Index>(1, model.num_activities()),
             thousands(model.B().nnz()), thousands(model.C().nnz()));
  if (r.blocks > 0) {
    fmt::print(
        "structure   {} diagonal blocks (BTF); largest strongly connected block {} ({:.1f}%)\n",
        thousands(r.blocks), thousands(r.max_block),
        100.0 * static_cast<double>(r.max_block) / std::max<Index>(1, r.n));
  } else {
    fmt::print("structure   (block form reported by the klu solver only)\n");
  }
  if (r.nnz_factors > 0)
    fmt::print("factors     {} nonzeros in L+U ({:.2f}x fill)\n", thousands(r.nnz_factors),
               static_cast<double>(r.nnz_factors) / std::max<Index>(1, r.nnz));
  fmt::print("condition   rcond {:.3e}, 1-norm condition estimate {:.3e}\n", r.rcond, condest);
  fmt::print("timings     read {}, analyse {}, factorize {}\n", duration(loaded.seconds),
             duration(r.analyze_seconds), duration(r.factor_seconds));
  fmt::print("solver      {}\n", r.brief());
  if (model.num_categories() > 0) {
    fmt::print("\nCategories\n");
    Table c({"#", "category", "unit"}, {true, false, false});
    for (Index q = 0; q < model.num_categories(); ++q)
      c.add({std::to_string(q), model.categories().display(q),
             column_or_empty(model.categories(), "unit", q)});
    c.print_text(stdout);
  }
  if (loaded.report) print_read_report(*loaded.report);
  if (!warnings.empty()) {
    fmt::print("\nWarnings\n");
    for (const auto& text : warnings) fmt::print("  - {}\n", text);
  }
  return 0;
}

// ---- solve ------------------------------------------------------------------------------

int run_solve(const SolveOptions& o) {
  bool progress = !o.common.quiet;
  LoadedModel loaded = load_model(o.model, o.format, progress, o.reader_options);
  const Model& model = *loaded.model;
  SparseDemand demand = parse_demand(model, o.demand);
  if (!o.demand_file.empty()) {
    SparseDemand more = io::read_useeio_demand(model, o.demand_file);
    demand.insert(demand.end(), more.begin(), more.end());
  }
  Index q = 0;
  if (!o.category.empty())
    q = model.category_index(o.category);
  else if (model.num_categories() == 0)
    q = -1;

  Stopwatch factor_clock;
  std::optional<Lca> lca;
  {
    Progress p("factorizing", progress);
    with_context(loaded.source, &model,
                 [&] { lca.emplace(loaded.model, factorization_options(o.solver)); });
  }
  cache_warning(lca->report());
  double factor_seconds = factor_clock.seconds();
  const double condest = with_context(loaded.source, &model,
                                      [&] { return lca->factorization().condition_estimate(); });
  const std::vector<std::string> warnings = model_warnings(model, condest);
  Stopwatch solve_clock;
  LcaResult result = with_context(loaded.source, &model, [&] { return lca->solve(demand); });
  double solve_seconds = solve_clock.seconds();
  std::optional<Contributions> contrib;
  if (q >= 0) contrib = contributions(model, result, q, o.top);
  // Without categories there is no score: the inventory's largest flows stand in for it.
  std::vector<Contribution> flows;
  if (q < 0) flows = top_contributions(result.inventory, o.top);
  const WarningsAtExit at_exit{warnings};  // after the results, where a reader looks last

  if (o.common.mode() == OutputMode::Json) {
    Json j = header_json("solve");
    j["model"] = model_json(loaded);
    Json d = Json::array();
    for (const auto& [index, amount] : demand)
      d.push_back(
          {{"index", index}, {"label", model.activities().display(index)}, {"amount", amount}});
    j["demand"] = d;
    j["scores"] = scores_json(model, result.scores);
    j["contributions"] = contrib ? contributions_json(model, *contrib) : Json();
    if (q < 0) j["inventory"] = inventory_json(model, flows);
    j["factorization"] = report_json(lca->report());
    j["factorization"]["condition_estimate"] = condest;
    j["factorization"]["ill_conditioned"] = is_ill_conditioned(condest);
    j["warnings"] = warnings;
    j["timings"] = {
        {"read", loaded.seconds}, {"factorize", factor_seconds}, {"solve", solve_seconds}};
    print_json(j);
    return 0;
  }
  if (o.common.mode() == OutputMode::Csv) {
    Table t = csv_table();
    csv_scores(t, "solve", model, result.scores);
    if (contrib) csv_contributions(t, "solve", model, *contrib);
    for (std::size_t r = 0; r < flows.size(); ++r)
      t.add({"solve", "inventory", std::to_string(r + 1), std::to_string(flows[r].index),
             model.flows().display(flows[r].index), g17(flows[r].value), ""});
    t.print_csv(stdout);
    return 0;
  }

  fmt::print("model    {} ({} activities, {} flows, {} categories)\n", loaded.source,
             thousands(model.num_activities()), thousands(model.num_flows()),
             thousands(model.num_categories()));
  if (demand.size() <= 5) {
    for (const auto& [index, amount] : demand)
      fmt::print("demand   {} x {} (#{})\n", number(amount), model.activities().display(index),
                 index);
  } else {
    double total = 0.0;
    for (const auto& entry : demand) total += entry.second;
    fmt::print("demand   {} entries, {} in all{}\n",
               thousands(static_cast<long long>(demand.size())), number(total),
               o.demand_file.empty() ? "" : " (" + o.demand_file + ")");
  }
  fmt::print("solver   {}\n", lca->report().brief());
  fmt::print("timings  read {}, analyse+factorize {}, solve {}\n\n{}\n", duration(loaded.seconds),
             duration(factor_seconds), duration(solve_seconds), q < 0 ? "Inventory" : "Scores");
  if (q < 0) {
    print_inventory(model, flows);
    return 0;
  }
  print_scores(model, result.scores);
  if (contrib) print_contributions(model, *contrib, "activity", true);
  return 0;
}

// ---- demo -------------------------------------------------------------------------------

namespace {

// The USEEIO v2.0 GHG model shipped beside the repository, if any: ../shared/data relative to
// the current directory, to the executable's ancestors, or to the source tree it was built from.
std::optional<fs::path> find_useeio(const std::string& argv0) {
  const fs::path tail = fs::path("shared") / "data" / "useeio_v2.0_ghg";
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (!ec) candidates.push_back(cwd.parent_path() / tail);
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) exe = fs::absolute(argv0, ec);
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.parent_path(); p = p.parent_path())
    candidates.push_back(p / tail);
#ifdef HIILI_SOURCE_DIR
  candidates.push_back(fs::path(HIILI_SOURCE_DIR).parent_path() / tail);
#endif
  for (const auto& c : candidates)
    if (fs::is_directory(c, ec)) return c.lexically_normal();
  return std::nullopt;
}

// The sector the demo buys a million dollars of: electricity (BEA 221100), else automobiles.
Index demo_sector(const Model& model) {
  for (const char* key : {"221100/electricity/us", "221100", "Electricity", "336111/automobiles/us",
                          "336111", "Automobiles"}) {
    try {
      return model.activity_index(key);
    } catch (const InvalidInputError&) {
    }
  }
  throw InvalidInputError("the USEEIO model has no electricity or automobile sector to demo");
}

struct Phase {
  const char* name;
  double seconds;
};

}  // namespace

// Part 1 of the demo: the default synthetic model, phase by phase.
struct SynthDemo {
  SynthOptions options;  // n = 20,000, k = 3, seed 1: the built-in default model
  std::shared_ptr<const Model> model;
  std::optional<Lca> lca;
  std::vector<Phase> phases;
  Index demand_index = 0;
  std::optional<LcaResult> result;
  Eigen::MatrixXd activity_scores;
  std::optional<Contributions> contrib;
  Eigen::Index worst = 0;  // the activity whose unit scores highest in category 0
};

// Part 2: the USEEIO GHG footprint of a million dollars of one sector, where the data is.
struct UseeioDemo {
  fs::path path;
  std::shared_ptr<const Model> model;
  Index sector = -1;
  double read_seconds = 0.0, solve_seconds = 0.0;
  std::optional<LcaResult> result;
  std::optional<Contributions> contrib;
};

constexpr int kDemoTop = 10;

SynthDemo run_synth_demo(const std::string& solver, bool progress) {
  SynthDemo d;
  Stopwatch clock;
  {
    Progress p("generating the synthetic model", progress);
    d.model = std::make_shared<const Model>(synth(d.options));
  }
  d.phases.push_back({"synth/build", clock.seconds()});
  {
    Progress p("factorizing", progress);
    d.lca.emplace(d.model, factorization_options(solver));
  }
  d.phases.push_back({"analyse", d.lca->report().analyze_seconds});
  d.phases.push_back({"factorize", d.lca->report().factor_seconds});
  // One unit of the last activity: the end of the periphery, with a deep supply chain.
  d.demand_index = d.model->num_activities() - 1;
  clock = Stopwatch();
  d.result = d.lca->solve(SparseDemand{{d.demand_index, 1.0}});
  d.phases.push_back({"solve", clock.seconds()});
  clock = Stopwatch();
  {
    Progress p("activity scores", progress);
    d.activity_scores = d.lca->activity_scores();
  }
  d.phases.push_back({"activity scores", clock.seconds()});
  d.contrib = contributions(*d.model, *d.result, 0, kDemoTop);
  if (d.activity_scores.rows() > 0) d.activity_scores.row(0).maxCoeff(&d.worst);
  return d;
}

std::optional<UseeioDemo> run_useeio_demo(const std::optional<fs::path>& path,
                                          const std::string& solver, bool progress) {
  if (!path) return std::nullopt;
  UseeioDemo d;
  d.path = *path;
  Stopwatch read_clock;
  {
    Progress p("reading " + path->string(), progress);
    d.model = with_context(path->string(), nullptr,
                           [&] { return std::make_shared<const Model>(io::read(*path)); });
  }
  d.read_seconds = read_clock.seconds();
  d.sector = demo_sector(*d.model);
  Stopwatch solve_clock;
  d.result = with_context(path->string(), d.model.get(), [&] {
    Lca useeio_lca(d.model, factorization_options(solver));
    return useeio_lca.solve(SparseDemand{{d.sector, 1e6}});
  });
  d.solve_seconds = solve_clock.seconds();
  d.contrib = contributions(*d.model, *d.result, 0, kDemoTop);
  return d;
}

void print_demo_json(const SynthDemo& d, const std::optional<UseeioDemo>& u) {
  const Model& model = *d.model;
  Json j = header_json("demo");
  Json s;
  s["model"] = synth_description(d.options);
  s["activities"] = model.num_activities();
  s["flows"] = model.num_flows();
  s["categories"] = model.num_categories();
  s["nnz_A"] = model.A().nnz();
  s["demand"] = {{"index", d.demand_index},
                 {"label", model.activities().display(d.demand_index)},
                 {"amount", 1.0}};
  Json timings;
  for (const auto& ph : d.phases) timings[ph.name] = ph.seconds;
  s["timings"] = timings;
  s["scores"] = scores_json(model, d.result->scores);
  s["contributions"] = contributions_json(model, *d.contrib);
  s["highest_activity_score"] = {
      {"index", static_cast<Index>(d.worst)},
      {"label", model.activities().display(d.worst)},
      {"score", d.activity_scores.rows() ? d.activity_scores(0, d.worst) : 0.0}};
  s["factorization"] = report_json(d.lca->report());
  j["synth"] = s;
  if (u) {
    Json v;
    v["model"] = u->path.string();
    v["sectors"] = u->model->num_activities();
    v["demand"] = {{"index", u->sector},
                   {"label", u->model->activities().display(u->sector)},
                   {"amount", 1e6}};
    v["scores"] = scores_json(*u->model, u->result->scores);
    v["contributions"] = contributions_json(*u->model, *u->contrib);
    v["timings"] = {{"read", u->read_seconds}, {"factorize+solve", u->solve_seconds}};
    j["useeio"] = v;
  } else {
    j["useeio"] = nullptr;
  }
  print_json(j);
}

void print_demo_csv(const SynthDemo& d, const std::optional<UseeioDemo>& u) {
  Table t = csv_table();
  for (const auto& ph : d.phases) t.add({"synth", "timing", "", "", ph.name, g17(ph.seconds), ""});
  csv_scores(t, "synth", *d.model, d.result->scores);
  csv_contributions(t, "synth", *d.model, *d.contrib);
  if (u) {
    csv_scores(t, "useeio", *u->model, u->result->scores);
    csv_contributions(t, "useeio", *u->model, *u->contrib);
  }
  t.print_csv(stdout);
}

void print_synth_demo_text(const SynthDemo& d) {
  const Model& model = *d.model;
  fmt::print("hiili {} demo\n\n", kVersion);
  fmt::print("1. A synthetic ecoinvent-like system ({})\n", synth_description(d.options));
  fmt::print("   {} activities, {} flows, {} categories; {} nonzeros in A\n",
             thousands(model.num_activities()), thousands(model.num_flows()),
             thousands(model.num_categories()), thousands(model.A().nnz()));
  const FactorizationReport& r = d.lca->report();
  fmt::print(
      "   {} diagonal blocks, the largest (the strongly connected core) {}; fill {:.2f}x\n\n",
      thousands(r.blocks), thousands(r.max_block),
      r.nnz > 0 ? static_cast<double>(r.nnz_factors) / r.nnz : 0.0);
  Table t({"phase", "time"}, {false, true});
  double total = 0.0;
  for (const auto& ph : d.phases) {
    t.add({ph.name, duration(ph.seconds)});
    total += ph.seconds;
  }
  t.add({"total", duration(total)});
  t.print_text(stdout, 60, 3);
  fmt::print("\n   Scores of one unit of {} (#{})\n", model.activities().display(d.demand_index),
             d.demand_index);
  print_scores(model, d.result->scores, 3);
  print_contributions(model, *d.contrib, "activity", false, 3);
  if (d.activity_scores.rows() > 0)
    fmt::print("\n   Of all {} activities, one unit of {} (#{}) scores highest in {}: {} {}\n",
               thousands(model.num_activities()), model.activities().display(d.worst), d.worst,
               model.categories().display(0), number(d.activity_scores(0, d.worst)),
               column_or_empty(model.categories(), "unit", 0));
}

void print_useeio_demo_text(const std::optional<UseeioDemo>& u) {
  if (!u) {
    fmt::print(
        "\n2. USEEIO: no ../shared/data/useeio_v2.0_ghg here (give a model folder with "
        "--model PATH)\n");
    return;
  }
  fmt::print("\n2. The greenhouse-gas footprint of $1,000,000 of {} (USEEIO)\n",
             u->model->activities().display(u->sector));
  fmt::print("   {}: {} sectors; read in {}, factorized and solved in {}\n", u->path.string(),
             thousands(u->model->num_activities()), duration(u->read_seconds),
             duration(u->solve_seconds));
  print_scores(*u->model, u->result->scores, 3);
  print_contributions(*u->model, *u->contrib, "sector", false, 3);
}

int run_demo(const DemoOptions& o, const std::string& argv0) {
  const bool progress = !o.common.quiet;
  const SynthDemo synth_demo = run_synth_demo(o.solver, progress);
  const std::optional<fs::path> useeio_path =
      o.useeio.empty() ? find_useeio(argv0) : std::optional<fs::path>(o.useeio);
  const std::optional<UseeioDemo> useeio_demo = run_useeio_demo(useeio_path, o.solver, progress);
  switch (o.common.mode()) {
    case OutputMode::Json:
      print_demo_json(synth_demo, useeio_demo);
      break;
    case OutputMode::Csv:
      print_demo_csv(synth_demo, useeio_demo);
      break;
    case OutputMode::Text:
      print_synth_demo_text(synth_demo);
      print_useeio_demo_text(useeio_demo);
      break;
  }
  return 0;
}

// ---- shared with analyze.cpp (contrib, paths, sensitivity) --------------------------------

Prepared prepare(const std::string& model, const std::string& format, const std::string& solver,
                 const std::vector<std::string>& demand, const std::string& demand_file,
                 const std::string& category, bool progress) {
  Prepared p;
  LoadedModel loaded = load_model(model, format, progress);
  p.model = loaded.model;
  p.source = loaded.source;
  p.format = loaded.format;
  p.read_seconds = loaded.seconds;
  const Model& m = *p.model;
  p.demand = parse_demand(m, demand);
  if (!demand_file.empty()) {
    SparseDemand more = io::read_useeio_demand(m, demand_file);
    p.demand.insert(p.demand.end(), more.begin(), more.end());
  }
  if (m.num_categories() == 0)
    throw InvalidInputError(p.source + ": the model has no impact categories to analyse");
  p.category = category.empty() ? 0 : m.category_index(category);
  Stopwatch clock;
  {
    Progress bar("factorizing", progress);
    with_context(p.source, &m,
                 [&] { p.lca = std::make_unique<Lca>(p.model, factorization_options(solver)); });
  }
  cache_warning(p.lca->report());
  p.factor_seconds = clock.seconds();
  p.condition_estimate =
      with_context(p.source, &m, [&] { return p.lca->factorization().condition_estimate(); });
  p.warnings = model_warnings(m, p.condition_estimate);
  print_warnings(p.warnings);
  return p;
}

std::vector<std::string> model_warnings(const Model& model, double condition_estimate) {
  std::vector<std::string> out;
  if (auto text = condition_warning(condition_estimate); !text.empty()) out.push_back(text);
  for (const auto& note : climate_notes(model)) out.push_back(note.message);
  return out;
}

void print_warnings(const std::vector<std::string>& warnings) {
  std::fflush(stdout);
  for (const auto& text : warnings) fmt::print(stderr, "hiili: warning: {}\n", text);
}

std::string row_label(const Labels& labels, Index i) { return labels.display(i); }

SparseDemand resolve_demand(const Model& model, const std::vector<std::string>& items) {
  return parse_demand(model, items);
}

void in_model_context(const Prepared& p, const std::function<void()>& body) {
  with_context(p.source, p.model.get(), [&] { body(); });
}

}  // namespace hiili::cli
