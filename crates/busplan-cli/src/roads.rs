//! `busplan roads`: put a road graph (CSV edge list or GeoJSON extract) into a scenario,
//! attach its sites to the nearest road nodes, and close roads.

use anyhow::{bail, Context, Result};
use busplan_core::scenario::TravelModel;
use busplan_io::roads::{attach_sites, close_roads, graph_from_csv, graph_from_geojson, unlinked, DEFAULT_MAX_SNAP_KM};
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `busplan roads`.
#[derive(Args)]
pub struct RoadsArgs {
    /// Scenario file (JSON).
    scenario: PathBuf,
    /// Road sections CSV: from, to, km, optional name and closed.
    #[arg(long, conflicts_with = "geojson")]
    edges: Option<PathBuf>,
    /// Road nodes CSV: id, lat, lon (sites are attached to the nearest node).
    #[arg(long, requires = "edges")]
    nodes: Option<PathBuf>,
    /// OSM-derived GeoJSON extract of road lines.
    #[arg(long)]
    geojson: Option<PathBuf>,
    /// Close roads: a road name (X203) or a node pair (n-pass~n-hongchi). Repeatable.
    #[arg(long = "closed", value_name = "SPEC")]
    closed: Vec<String>,
    /// Largest distance from a site to its road node, km.
    #[arg(long, default_value_t = DEFAULT_MAX_SNAP_KM)]
    max_snap_km: f64,
    /// Where to write the scenario with the road graph (JSON). Default: do not write.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// Runs `busplan roads`: 0 done, 1 written but some workers have no open road to their
/// destination.
pub fn run(args: &RoadsArgs) -> Result<u8> {
    let mut s = crate::read_scenario(&args.scenario)?;
    let graph = match (&args.edges, &args.geojson) {
        (Some(e), _) => {
            let nodes = args.nodes.as_deref().map(|n| read(n, "nodes CSV")).transpose()?;
            Some(graph_from_csv(&read(e, "edges CSV")?, nodes.as_deref()).with_context(|| format!("in {}", e.display()))?)
        }
        (None, Some(g)) => Some(graph_from_geojson(&read(g, "GeoJSON extract")?).with_context(|| format!("in {}", g.display()))?),
        (None, None) => None,
    };
    if let Some(graph) = graph {
        let closed = graph.edges.iter().filter(|e| e.closed).count();
        say!("road graph: {} nodes, {} sections ({closed} closed)", graph.nodes.len(), graph.edges.len());
        for snap in attach_sites(&mut s, graph, args.max_snap_km)? {
            say!("site {} -> road node {} ({:.2} km)", snap.site, snap.node, snap.km);
        }
    } else if !matches!(s.travel.model, TravelModel::Roads { .. }) {
        bail!("the scenario has no road graph: give --edges or --geojson");
    }
    for c in close_roads(&mut s, &args.closed)? {
        say!(
            "closed {}{} {} ~ {} ({} km){}",
            c.spec,
            c.name.as_ref().filter(|n| **n != c.spec).map(|n| format!(" [{n}]")).unwrap_or_default(),
            c.from,
            c.to,
            c.km,
            if c.already_closed { ", already closed" } else { "" }
        );
    }
    busplan_core::validate(&s).context("the scenario with the road graph is not valid")?;
    let cut = unlinked(&s)?;
    for u in &cut {
        say!("WARNING: no open road from {} to {} ({} workers)", u.origin, u.destination, u.workers);
    }
    if let Some(out) = &args.output {
        let json = serde_json::to_string_pretty(&s)?;
        std::fs::write(out, json + "\n").with_context(|| format!("cannot write scenario {}", out.display()))?;
        say!("scenario written to {}", out.display());
    }
    Ok(u8::from(!cut.is_empty()))
}
