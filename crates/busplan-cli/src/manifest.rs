//! `busplan manifest`: one row per worker, and one printable sheet per bus.

use anyhow::{Context, Result};
use busplan_core::plan::Plan;
use busplan_core::{check, parse_scenario};
use busplan_io::manifest;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `busplan manifest`.
#[derive(Args)]
pub struct ManifestArgs {
    /// Scenario file (JSON).
    scenario: PathBuf,
    /// Plan file (JSON) for the scenario.
    plan: PathBuf,
    /// Who the workers are: the assignments CSV of `busplan import`. Default: synthetic ids
    /// (origin/destination/001).
    #[arg(long)]
    roster: Option<PathBuf>,
    /// Where to write the manifest (CSV, one row per worker).
    #[arg(short, long)]
    output: PathBuf,
    /// Where to write the escorts' sheets (HTML, one printed page per bus).
    #[arg(long)]
    sheets: Option<PathBuf>,
    /// Where to write the same sheets as plain text.
    #[arg(long)]
    text: Option<PathBuf>,
}

/// Runs `busplan manifest`. The plan must pass `busplan check` first.
pub fn run(a: &ManifestArgs) -> Result<u8> {
    let text = std::fs::read_to_string(&a.scenario).with_context(|| format!("cannot read scenario {}", a.scenario.display()))?;
    let s = parse_scenario(&text).with_context(|| format!("invalid scenario {}", a.scenario.display()))?;
    let text = std::fs::read_to_string(&a.plan).with_context(|| format!("cannot read plan {}", a.plan.display()))?;
    let p: Plan = serde_json::from_str(&text).with_context(|| format!("plan {} is not a busplan plan", a.plan.display()))?;
    let report = check(&s, &p);
    if !report.is_ok() {
        anyhow::bail!("the plan does not pass its check; no manifest is made for it:\n{report}");
    }
    let roster = match &a.roster {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read roster {}", path.display()))?;
            Some(manifest::parse_roster(&text).with_context(|| format!("roster {}", path.display()))?)
        }
        None => None,
    };
    let m = manifest::build(&s, &p, roster.as_deref()).context("cannot make the manifest")?;
    std::fs::write(&a.output, manifest::manifest_csv(&s, &m)).with_context(|| format!("cannot write {}", a.output.display()))?;
    if let Some(path) = &a.sheets {
        std::fs::write(path, manifest::sheets_html(&s, &p, &m)).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &a.text {
        std::fs::write(path, manifest::sheets_text(&s, &p, &m)).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let unserved = m.workers.iter().filter(|w| w.unserved.is_some()).count();
    say!(
        "{}: {} workers on {} buses and {} services{}",
        s.name,
        m.workers.len(),
        p.vehicles.len(),
        p.services.len(),
        if unserved > 0 { format!(", {unserved} unserved (listed with the reason)") } else { String::new() }
    );
    say!("manifest written to {}", a.output.display());
    if let Some(path) = &a.sheets {
        say!("sheets written to {} ({} buses, each starting a new page)", path.display(), p.vehicles.len());
    }
    if let Some(path) = &a.text {
        say!("text sheets written to {}", path.display());
    }
    Ok(0)
}
