//! `busplan bench`: strategies on benchmark instances, one table and a CSV.
//!
//! Every run is a child process (`busplan bench-run`), so that its wall time and peak memory
//! (`VmHWM` of `/proc/self/status`, Linux) are its own. Every plan is checked by the
//! independent checker; a plan that fails makes the bench fail.

use anyhow::{bail, Context, Result};
use busplan_core::generate::{self, ProvinceSize, Tier};
use busplan_core::{check, plan, Backend, Options, Scenario, Strategy};
use clap::Args as ClapArgs;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

/// Arguments of `busplan bench`.
#[derive(ClapArgs)]
pub struct Args {
    /// Tiers to run (county, city, province).
    #[arg(long, value_delimiter = ',', default_values_t = vec!["county".to_string(), "city".to_string()])]
    tiers: Vec<String>,
    /// Seeds of the generated instances.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1u64])]
    seeds: Vec<u64>,
    /// Strategies to compare (fast, exact, direct, greedy, mip).
    #[arg(long, value_delimiter = ',', default_values_t = vec!["fast".to_string(), "greedy".to_string(), "direct".to_string()])]
    strategies: Vec<String>,
    /// Backend for bounds and exact models (microlp, highs).
    #[arg(long, default_value = "microlp")]
    backend: String,
    /// Time limit per run, seconds.
    #[arg(long, default_value_t = 60.0)]
    time_limit: f64,
    /// Instead of tiers: province-like instances of these many workers (a scaling study).
    #[arg(long, value_delimiter = ',')]
    workers: Vec<u64>,
    /// Write the rows as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write the table as Markdown.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

/// Arguments of the hidden `busplan bench-run` (one run, one JSON line on stdout).
#[derive(ClapArgs)]
pub struct RunArgs {
    /// Tier.
    #[arg(long)]
    tier: String,
    /// Seed.
    #[arg(long)]
    seed: u64,
    /// Province-like instance of this many workers.
    #[arg(long)]
    workers: Option<u64>,
    /// Strategy.
    #[arg(long)]
    strategy: String,
    /// Backend.
    #[arg(long)]
    backend: String,
    /// Time limit, seconds.
    #[arg(long)]
    time_limit: f64,
}

/// One row of the bench.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Instance name.
    pub instance: String,
    /// Workers in the instance.
    pub workers: u64,
    /// Strategy.
    pub strategy: String,
    /// Backend.
    pub backend: String,
    /// Plan status.
    pub status: String,
    /// Plan cost, yuan.
    pub cost: f64,
    /// Lower bound, yuan.
    pub lower_bound: f64,
    /// Gap, percent.
    pub gap_pct: f64,
    /// Wall time of planning (generation excluded), seconds.
    pub wall_s: f64,
    /// Buses.
    pub buses: u32,
    /// Workers delivered.
    pub delivered: u64,
    /// Peak resident memory of the run, MiB (Linux only).
    pub peak_mib: Option<f64>,
}

fn instance(tier: &str, seed: u64, workers: Option<u64>) -> Result<Scenario> {
    Ok(match (tier, workers) {
        ("province", Some(n)) => generate::tiers::province(ProvinceSize::for_workers(n), seed),
        ("county", None) => generate::tier(Tier::County, seed),
        ("city", None) => generate::tier(Tier::City, seed),
        ("province", None) => generate::tier(Tier::Province, seed),
        (t, None) => bail!("unknown tier {t:?} (county, city, province)"),
        (_, Some(_)) => bail!("--workers applies to the province tier only"),
    })
}

fn strategy(name: &str) -> Result<Strategy> {
    Strategy::ALL.into_iter().find(|s| s.name() == name).with_context(|| format!("unknown strategy {name:?}"))
}

fn backend(name: &str) -> Result<Backend> {
    match name {
        "microlp" => Ok(Backend::Microlp),
        "highs" => Ok(Backend::Highs),
        b => bail!("unknown backend {b:?} (microlp, highs)"),
    }
}

fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `busplan bench-run`: plans one instance and prints its row as JSON.
pub fn run_one(a: &RunArgs) -> Result<u8> {
    let s = instance(&a.tier, a.seed, a.workers)?;
    let options = Options {
        strategy: strategy(&a.strategy)?,
        backend: backend(&a.backend)?,
        time_limit_s: a.time_limit,
        seed: a.seed,
        compare_direct: false,
        ..Options::default()
    };
    let started = Instant::now();
    let p = plan(&s, &options).context("planning failed")?;
    let wall_s = started.elapsed().as_secs_f64();
    let report = check(&s, &p);
    if !report.is_ok() {
        bail!("the plan of {} by {} fails the checker:\n{report}", s.name, a.strategy);
    }
    let row = Row {
        instance: s.name.clone(),
        workers: s.total_workers(),
        strategy: p.strategy.clone(),
        backend: p.backend.clone(),
        status: format!("{:?}", p.status).to_lowercase(),
        cost: p.totals.cost,
        lower_bound: p.lower_bound,
        gap_pct: p.gap * 100.0,
        wall_s,
        buses: p.totals.buses,
        delivered: p.totals.workers_delivered,
        peak_mib: peak_mib(),
    };
    data!("{}\n", serde_json::to_string(&row)?);
    Ok(0)
}

/// `busplan bench`.
pub fn run(a: &Args) -> Result<u8> {
    let exe = std::env::current_exe().context("cannot find the busplan binary")?;
    for s in &a.strategies {
        strategy(s)?;
    }
    backend(&a.backend)?;
    let mut jobs: Vec<(String, u64, Option<u64>)> = Vec::new();
    if a.workers.is_empty() {
        for t in &a.tiers {
            for &seed in &a.seeds {
                jobs.push((t.clone(), seed, None));
            }
        }
    } else {
        for &n in &a.workers {
            for &seed in &a.seeds {
                jobs.push(("province".to_string(), seed, Some(n)));
            }
        }
    }
    let mut rows = Vec::new();
    say!("{}", header());
    for (tier, seed, workers) in &jobs {
        for st in &a.strategies {
            let mut cmd = Command::new(&exe);
            cmd.args(["bench-run", "--tier", tier, "--seed", &seed.to_string(), "--strategy", st, "--backend", &a.backend]);
            cmd.args(["--time-limit", &a.time_limit.to_string()]);
            if let Some(n) = workers {
                cmd.args(["--workers", &n.to_string()]);
            }
            let out = cmd.output().context("cannot run busplan bench-run")?;
            if !out.status.success() {
                bail!("{tier} seed {seed} with {st} failed:\n{}", String::from_utf8_lossy(&out.stderr));
            }
            let row: Row = serde_json::from_slice(&out.stdout).context("bench-run printed no row")?;
            say!("{}", line(&row));
            rows.push(row);
        }
    }
    if let Some(path) = &a.csv {
        let mut w = csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
        for r in &rows {
            w.serialize(r)?;
        }
        w.flush()?;
        say!("rows written to {}", path.display());
    }
    if let Some(path) = &a.markdown {
        let mut md = String::from(
            "| instance | workers | strategy | status | cost (yuan) | lower bound | gap | wall (s) | buses | delivered | peak MiB |\n|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in &rows {
            let mut c = cells(r);
            c[6].push_str(" %");
            let _ = writeln!(md, "| {} |", c.join(" | "));
        }
        std::fs::write(path, md).with_context(|| format!("cannot write {}", path.display()))?;
        say!("table written to {}", path.display());
    }
    Ok(0)
}

/// Column widths of the terminal table (negative: left-aligned).
const WIDTHS: [i32; 11] = [-24, 9, -8, -10, 14, 14, 8, 8, 7, 9, 8];

fn align(cells: &[String]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(WIDTHS)
        .map(|(c, w)| if w < 0 { format!("{c:<width$}", width = w.unsigned_abs() as usize) } else { format!("{c:>width$}", width = w as usize) })
        .collect();
    padded.join(" ")
}

fn header() -> String {
    let names = ["instance", "workers", "strategy", "status", "cost", "lower bound", "gap %", "wall s", "buses", "delivered", "peak MiB"];
    align(&names.map(String::from))
}

/// A row's cells, as the terminal table and the Markdown table show them.
fn cells(r: &Row) -> [String; 11] {
    [
        r.instance.clone(),
        r.workers.to_string(),
        r.strategy.clone(),
        r.status.clone(),
        format!("{:.0}", r.cost),
        format!("{:.0}", r.lower_bound),
        format!("{:.2}", r.gap_pct),
        format!("{:.2}", r.wall_s),
        r.buses.to_string(),
        r.delivered.to_string(),
        r.peak_mib.map_or("-".to_string(), |m| format!("{m:.0}")),
    ]
}

fn line(r: &Row) -> String {
    align(&cells(r))
}
