//! `busplan map` and `busplan heatmap`: SVG pictures of a plan and of labour supply against
//! demand.

use crate::geojson::{plan_checks, read_plan, write_out};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `busplan map`.
#[derive(Args)]
pub struct MapArgs {
    /// Scenario file (JSON).
    scenario: PathBuf,
    /// Plan file (JSON) of that scenario.
    plan: PathBuf,
    /// Where to write the SVG. Default: standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Arguments of `busplan heatmap`.
#[derive(Args)]
pub struct HeatmapArgs {
    /// Scenario file (JSON).
    scenario: PathBuf,
    /// Where to write the SVG. Default: standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Runs `busplan map`: 0 done, 1 drawn but the plan fails its check.
pub fn run_map(args: &MapArgs) -> Result<u8> {
    let s = crate::read_scenario(&args.scenario)?;
    let p = read_plan(&args.plan)?;
    let ok = plan_checks(&s, &p, &args.plan);
    let svg = busplan_io::map::plan_svg(&s, &p)?;
    write_out(args.output.as_deref(), &svg, "map")?;
    Ok(u8::from(!ok))
}

/// Runs `busplan heatmap`: 0 done.
pub fn run_heatmap(args: &HeatmapArgs) -> Result<u8> {
    let s = crate::read_scenario(&args.scenario)?;
    let svg = busplan_io::map::heat_svg(&s)?;
    write_out(args.output.as_deref(), &svg, "heat map")?;
    Ok(0)
}
