//! `busplan geojson`: the plan as GeoJSON for desktop GIS and web maps.

use anyhow::{Context, Result};
use busplan_core::{check, Plan, Scenario};
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `busplan geojson`.
#[derive(Args)]
pub struct GeojsonArgs {
    /// Scenario file (JSON).
    scenario: PathBuf,
    /// Plan file (JSON) of that scenario.
    plan: PathBuf,
    /// Where to write the GeoJSON. Default: standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Reads a plan file.
pub fn read_plan(path: &Path) -> Result<Plan> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read plan {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("plan {} is not a busplan plan", path.display()))
}

/// Warns when the plan does not pass its check against the scenario; true when it passes.
pub fn plan_checks(s: &Scenario, p: &Plan, path: &Path) -> bool {
    let report = check(s, p);
    if !report.is_ok() {
        eprintln!("warning: plan {} does not pass its check against the scenario:\n{report}", path.display());
    }
    report.is_ok()
}

/// Writes text to a file, or to standard output without a file.
pub fn write_out(output: Option<&Path>, text: &str, what: &str) -> Result<()> {
    match output {
        Some(out) => {
            std::fs::write(out, text).with_context(|| format!("cannot write {what} {}", out.display()))?;
            note!("{what} written to {}", out.display());
        }
        None => data!("{text}"),
    }
    Ok(())
}

/// Runs `busplan geojson`: 0 done, 1 written but the plan fails its check.
pub fn run(args: &GeojsonArgs) -> Result<u8> {
    let s = crate::read_scenario(&args.scenario)?;
    let p = read_plan(&args.plan)?;
    let ok = plan_checks(&s, &p, &args.plan);
    let text = busplan_io::geojson::plan_geojson(&s, &p)?;
    write_out(args.output.as_deref(), &text, "GeoJSON")?;
    Ok(u8::from(!ok))
}
