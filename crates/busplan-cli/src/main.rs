//! The `busplan` command: parse arguments, read files, call the library, print and write.
//!
//! Exit codes: 0 done; 1 planned but workers unserved, or a check failed; 2 bad input or
//! failure (with `error: ...` on stderr).

#[macro_use]
mod output;

mod bench;
mod geojson;
mod import;
mod manifest;
mod map;
mod replan;
mod roads;

use anyhow::{Context, Result};
use busplan_core::plan::Plan;
use busplan_core::{check, parse_scenario, plan_observed, Backend, Options, Scenario, Strategy};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "busplan", version, about = "Plans chartered buses from the home door to the factory gate, with regrouping at hubs.")]
struct Cli {
    /// Print nothing but errors and warnings (exit codes unchanged, files still written).
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plan a scenario: print a summary and write the plan as JSON.
    Plan {
        /// Scenario file (JSON).
        scenario: PathBuf,
        /// Where to write the plan (JSON). Default: do not write.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Strategy.
        #[arg(long, value_enum, default_value_t = StrategyArg::Fast)]
        strategy: StrategyArg,
        /// Backend for exact models and lower bounds.
        #[arg(long, value_enum, default_value_t = BackendArg::Microlp)]
        backend: BackendArg,
        /// Time limit for the whole run, seconds.
        #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
        time_limit: f64,
        /// Relative MIP gap at which the exact strategy may stop.
        #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
        mip_gap: f64,
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Worker threads (0 = all cores); the plan does not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Do not plan the direct-only baseline (no saving reported).
        #[arg(long)]
        no_direct: bool,
        /// Print every bus, not only the summary.
        #[arg(long)]
        buses: bool,
        /// Print the summary as one JSON document (fields in docs/cli.md), and nothing else.
        #[arg(long, conflicts_with = "buses")]
        json: bool,
    },
    /// Check a plan against its scenario, without the model.
    Check {
        /// Scenario file (JSON).
        #[arg(required_unless_present = "codes")]
        scenario: Option<PathBuf>,
        /// Plan file (JSON).
        #[arg(required_unless_present = "codes")]
        plan: Option<PathBuf>,
        /// List every check code instead.
        #[arg(long)]
        codes: bool,
        /// Print the report as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Compare strategies on generated instances: a table (cost, bound, gap, time, buses, peak
    /// memory) and optionally CSV and Markdown.
    Bench(bench::Args),
    /// One run of `bench` (internal).
    #[command(hide = true)]
    BenchRun(bench::RunArgs),
    /// Generate a benchmark scenario (seeded: the same seed gives the same file).
    Gen {
        /// Shape: county (Chaoyang -> Dalian), city (Cixi), province (Yunnan).
        #[arg(long, value_enum)]
        tier: TierArg,
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Province only: scale to this many workers (default 1,567,800).
        #[arg(long)]
        workers: Option<u64>,
        /// Where to write the scenario (JSON). Default: standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Re-plan a published plan after roads closed or new requests came in.
    Replan(replan::Args),
    /// Import worker registrations and employer shortages (CSV) into a scenario.
    Import(import::ImportArgs),
    /// Write a manifest (one row per worker) and printable sheets (one page per bus).
    Manifest(manifest::ManifestArgs),
    /// Validate a scenario and list every problem.
    Validate {
        /// Scenario file (JSON).
        scenario: Option<PathBuf>,
        /// List every validation code instead.
        #[arg(long)]
        codes: bool,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Write a plan as GeoJSON (sites, bus legs, services) for QGIS or web maps.
    Geojson(geojson::GeojsonArgs),
    /// Draw a plan as an SVG map.
    Map(map::MapArgs),
    /// Draw where workers come from against where employers need them, as an SVG heat map.
    Heatmap(map::HeatmapArgs),
    /// Put a road graph (CSV or GeoJSON) into a scenario, attach its sites, close roads.
    Roads(roads::RoadsArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum StrategyArg {
    Fast,
    Exact,
    Direct,
    Greedy,
    Mip,
}

impl From<StrategyArg> for Strategy {
    fn from(a: StrategyArg) -> Strategy {
        match a {
            StrategyArg::Fast => Strategy::Fast,
            StrategyArg::Exact => Strategy::Exact,
            StrategyArg::Direct => Strategy::Direct,
            StrategyArg::Greedy => Strategy::Greedy,
            StrategyArg::Mip => Strategy::Mip,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum TierArg {
    County,
    City,
    Province,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Microlp,
    Highs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::set_quiet(cli.quiet);
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    };
    ExitCode::from(output::exit_code(code))
}

fn read_scenario(path: &Path) -> Result<Scenario> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read scenario {}", path.display()))?;
    parse_scenario(&text).with_context(|| format!("invalid scenario {}", path.display()))
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Plan { scenario, output, strategy, backend, time_limit, mip_gap, seed, threads, no_direct, buses, json } => {
            let s = read_scenario(&scenario)?;
            let options = Options {
                strategy: strategy.into(),
                backend: match backend {
                    BackendArg::Microlp => Backend::Microlp,
                    BackendArg::Highs => Backend::Highs,
                },
                time_limit_s: time_limit,
                mip_gap,
                threads,
                seed,
                compare_direct: !no_direct,
            };
            let started = Instant::now();
            let bar = output::stage_bar(output::wants_progress(json), time_limit);
            let planned = plan_observed(&s, &options, options.strategy.allocator(), &|stage| output::show_stage(&bar, stage));
            bar.finish_and_clear();
            let p = planned.context("planning failed")?;
            let secs = started.elapsed().as_secs_f64();
            let report = check(&s, &p);
            if let Some(out) = &output {
                let json = serde_json::to_string_pretty(&p)?;
                std::fs::write(out, json + "\n").with_context(|| format!("cannot write plan {}", out.display()))?;
            }
            if json {
                say!("{}", serde_json::to_string_pretty(&output::plan_json(&s, &p, secs, output.as_deref()))?);
            } else {
                output::print_plan(&s, &p, secs, buses);
                if let Some(out) = &output {
                    say!("plan written to {}", out.display());
                }
            }
            if !report.is_ok() {
                anyhow::bail!("the plan fails its own check (a bug, please report it):\n{report}");
            }
            Ok(u8::from(!p.unserved.is_empty()))
        }
        Command::Check { scenario, plan: plan_path, codes, json } => {
            let (Some(scenario), Some(plan_path), false) = (scenario, plan_path, codes) else {
                for (code, what) in busplan_core::check::codes() {
                    say!("{code}  {what}");
                }
                return Ok(0);
            };
            let s = read_scenario(&scenario)?;
            let text = std::fs::read_to_string(&plan_path).with_context(|| format!("cannot read plan {}", plan_path.display()))?;
            let p: Plan = serde_json::from_str(&text).with_context(|| format!("plan {} is not a busplan plan", plan_path.display()))?;
            let report = check(&s, &p);
            if json {
                let doc = serde_json::json!({
                    "scenario": s.name,
                    "plan": plan_path.display().to_string(),
                    "ok": report.is_ok(),
                    "violations": report.violations,
                });
                say!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                say!("{report}");
            }
            Ok(u8::from(!report.is_ok()))
        }
        Command::Bench(args) => bench::run(&args),
        Command::BenchRun(args) => bench::run_one(&args),
        Command::Gen { tier, seed, workers, output } => {
            use busplan_core::generate::{self, ProvinceSize, Tier};
            let s = match (tier, workers) {
                (TierArg::Province, Some(n)) if n > 0 => generate::tiers::province(ProvinceSize::for_workers(n), seed),
                (_, Some(_)) if !matches!(tier, TierArg::Province) => anyhow::bail!("--workers applies to --tier province only"),
                (_, Some(_)) => anyhow::bail!("--workers must be positive"),
                (TierArg::County, None) => generate::tier(Tier::County, seed),
                (TierArg::City, None) => generate::tier(Tier::City, seed),
                (TierArg::Province, None) => generate::tier(Tier::Province, seed),
            };
            let json = serde_json::to_string_pretty(&s)? + "\n";
            match output {
                Some(out) => {
                    std::fs::write(&out, json).with_context(|| format!("cannot write scenario {}", out.display()))?;
                    note!(
                        "{}: {} origins, {} hubs, {} destinations, {} services, {} workers",
                        out.display(),
                        s.origins.len(),
                        s.hubs.len(),
                        s.destinations.len(),
                        s.services.len(),
                        s.total_workers()
                    );
                }
                None => data!("{json}"),
            }
            Ok(0)
        }
        Command::Replan(args) => replan::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Manifest(args) => manifest::run(&args),
        Command::Validate { scenario, codes, json } => {
            if codes {
                for (code, what) in busplan_core::validate::codes() {
                    say!("{code}  {what}");
                }
                return Ok(0);
            }
            let path = scenario.context("give a scenario file, or --codes")?;
            let s = read_scenario(&path)?;
            if json {
                let doc = serde_json::json!({
                    "scenario": s.name,
                    "file": path.display().to_string(),
                    "valid": true,
                    "origins": s.origins.len(),
                    "hubs": s.hubs.len(),
                    "destinations": s.destinations.len(),
                    "services": s.services.len(),
                    "workers": s.total_workers(),
                });
                say!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(0);
            }
            say!(
                "{}: valid ({} origins, {} hubs, {} destinations, {} services, {} workers)",
                path.display(),
                s.origins.len(),
                s.hubs.len(),
                s.destinations.len(),
                s.services.len(),
                s.total_workers()
            );
            Ok(0)
        }
        Command::Geojson(args) => geojson::run(&args),
        Command::Map(args) => map::run_map(&args),
        Command::Heatmap(args) => map::run_heatmap(&args),
        Command::Roads(args) => roads::run(&args),
    }
}
