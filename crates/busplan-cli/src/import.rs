//! `busplan import`: worker registrations and employer shortages (CSV) into a scenario (JSON).

use anyhow::{Context, Result};
use busplan_io::import::{self, ImportError, ImportOptions, Placement, Template};
use busplan_io::pmedian::Method;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// Arguments of `busplan import` (the doc comments are the help text, read without markdown).
#[derive(Args)]
#[allow(clippy::doc_markdown)]
pub struct ImportArgs {
    /// Registered workers (CSV: worker_id, name, village, lat, lon, employer, district[, needs]).
    #[arg(long)]
    workers: PathBuf,
    /// Employers' shortages (CSV: employer, district[, district_name], lat, lon, workers_short, deadline).
    #[arg(long)]
    shortages: PathBuf,
    /// Departure sites or candidate sites (CSV: id[, name], lat, lon[, ready][, escorts][, fleet_<type>...]).
    #[arg(long)]
    sites: PathBuf,
    /// Template (JSON): vehicle types, hubs, services, travel, objective, rules, default fleets.
    /// Default: one coach-45 type and automatic fleets (docs/import.md).
    #[arg(long)]
    template: Option<PathBuf>,
    /// Open only K of the sites, those that minimise the workers' total access distance
    /// (p-median). Default: every site, each worker to the nearest.
    #[arg(long)]
    k: Option<usize>,
    /// How to solve the p-median problem (with --k).
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    method: MethodArg,
    /// Leave bad rows out (listed on stderr) instead of failing.
    #[arg(long)]
    exclude_bad_rows: bool,
    /// Scenario name. Default: the template's, else "imported".
    #[arg(long)]
    name: Option<String>,
    /// Where to write the scenario (JSON).
    #[arg(short, long)]
    output: PathBuf,
    /// Where to write every worker's departure point (CSV; the roster for `busplan manifest`).
    #[arg(long)]
    assignments: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    /// Enumerate every subset when there are at most 20,000, else the MIP.
    Auto,
    /// Every subset of K sites.
    Enumerate,
    /// The mixed-integer model (microlp).
    Mip,
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// Runs `busplan import`. Exit code 1 when bad rows stop the import (every one listed on stderr).
pub fn run(a: &ImportArgs) -> Result<u8> {
    let workers = read(&a.workers, "workers")?;
    let shortages = read(&a.shortages, "shortages")?;
    let sites = read(&a.sites, "sites")?;
    let template = match &a.template {
        Some(p) => import::parse_template(&read(p, "template")?).with_context(|| format!("template {}", p.display()))?,
        None => Template::default(),
    };
    let opts = ImportOptions {
        name: a.name.clone(),
        placement: match a.k {
            None => Placement::Nearest,
            Some(k) => Placement::Choose {
                k,
                method: match a.method {
                    MethodArg::Auto => Method::Auto,
                    MethodArg::Enumerate => Method::Enumerate,
                    MethodArg::Mip => Method::Mip,
                },
            },
        },
        exclude_bad_rows: a.exclude_bad_rows,
    };
    let path_of = |f: import::InputFile| match f {
        import::InputFile::Workers => a.workers.display().to_string(),
        import::InputFile::Shortages => a.shortages.display().to_string(),
        import::InputFile::Sites => a.sites.display().to_string(),
        import::InputFile::Roster => "roster".to_string(),
    };
    let bar = crate::output::spinner(a.k.is_some() && crate::output::wants_progress(false), "choosing departure points");
    let result = import::import(&workers, &shortages, &sites, &template, &opts);
    bar.finish_and_clear();
    let imported = match result {
        Ok(i) => i,
        Err(ImportError::BadRows(rows)) => {
            eprintln!("error: {} bad rows; nothing written{}", rows.len(), if a.exclude_bad_rows { "" } else { " (--exclude-bad-rows leaves them out)" });
            for r in &rows {
                eprintln!("{}:{}: {}", path_of(r.file), r.line, r.reason);
            }
            return Ok(1);
        }
        Err(e) => return Err(e).context("import failed"),
    };
    for r in &imported.problems {
        let what = if r.warning { "warning" } else { "excluded" };
        eprintln!("{what}: {}:{}: {}", path_of(r.file), r.line, r.reason);
    }
    let s = &imported.scenario;
    let json = serde_json::to_string_pretty(s)?;
    std::fs::write(&a.output, json + "\n").with_context(|| format!("cannot write scenario {}", a.output.display()))?;
    if let Some(path) = &a.assignments {
        std::fs::write(path, import::assignments_csv(&imported.assignments))
            .with_context(|| format!("cannot write assignments {}", path.display()))?;
    }
    let pl = &imported.placement;
    let n = imported.assignments.len();
    say!(
        "{}: {n} workers, {} departure points (of {} sites, {}), {} destinations",
        s.name,
        s.origins.len(),
        pl.candidates,
        match pl.method.as_str() {
            "nearest" => "each worker to the nearest".to_string(),
            "enumerate" => "p-median, every subset enumerated".to_string(),
            m => format!("p-median by {m} (microlp)"),
        },
        s.destinations.len()
    );
    say!(
        "access: {:.1} km in all, {:.1} km on average, {:.1} km at most (great circle)",
        pl.total_access_km,
        pl.total_access_km / n.max(1) as f64,
        pl.max_access_km
    );
    for o in &s.origins {
        let k: u32 = o.workers.iter().map(|g| g.count).sum();
        say!("  {}: {k} workers", o.id);
    }
    if !pl.unused.is_empty() {
        say!("sites no worker is nearest to (left out): {}", pl.unused.join(", "));
    }
    if imported.excluded_rows > 0 {
        say!("{} bad rows left out (listed on stderr)", imported.excluded_rows);
    }
    say!("scenario written to {}", a.output.display());
    if let Some(path) = &a.assignments {
        say!("assignments written to {}", path.display());
    }
    Ok(0)
}
