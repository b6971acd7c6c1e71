//! Road graphs: from a CSV edge list or an OSM-derived GeoJSON extract into a scenario's
//! [`TravelModel::Roads`], and road closures.
//!
//! Takes: CSV or GeoJSON text and a [`Scenario`]. Gives: a [`RoadGraph`] (plain data), the
//! scenario with the graph and every site attached to its nearest road node ([`attach_sites`],
//! which reports each snap distance), and closed road sections ([`close_roads`]).
//!
//! - CSV edges: columns `from`, `to`, `km`, optional `name` and `closed`; an optional nodes CSV
//!   with `id`, `lat`, `lon`. Headers are matched without regard to case, cells are trimmed and
//!   lines starting with `#` are comments. Every bad row is reported with its line number.
//! - GeoJSON: `LineString` and `MultiLineString` features with properties such as `highway`,
//!   `name`, `ref` and `closed`. Vertices are snapped by rounding their coordinates to 1e-5
//!   degrees (about 1 m); the road nodes are the line endpoints and the vertices shared by more
//!   than one line (or met twice by one line). Lines are split at the nodes and each section's
//!   km is the haversine length along its vertices.
//! - A road node at exactly (0, 0) has no known position (the scenario's default): sites are
//!   only snapped to nodes with a position, or attached to a node of the same id as the site.
//!
//! Road paths between sites ([`RoadPaths`]) follow the shortest open route, as the planning
//! core does, so that maps can draw legs along the roads.

use busplan_core::scenario::{RoadEdge, RoadNode, Scenario, TravelModel};
use busplan_core::travel::TravelTable;
use geo::{Distance, Haversine, Point};
use petgraph::graph::{NodeIndex, UnGraph};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Rounding of GeoJSON vertex coordinates when looking for shared vertices, in degrees.
pub const SNAP_DEGREES: f64 = 1e-5;

/// Default largest distance from a site to its road node, km.
pub const DEFAULT_MAX_SNAP_KM: f64 = 5.0;

/// Errors of road graph loading, site attachment and closures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoadsError {
    /// A CSV file could not be read as CSV at all.
    #[error("{file}: {message}")]
    Csv {
        /// Which input (`edges CSV`, `nodes CSV`).
        file: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A required column is missing from a CSV header.
    #[error("{file}: the header has no \"{column}\" column (found: {found})")]
    MissingColumn {
        /// Which input.
        file: &'static str,
        /// The missing column.
        column: &'static str,
        /// The columns found.
        found: String,
    },
    /// Rows that could not be used, each with its line number.
    #[error("{file}: {} bad row(s):\n{}", rows.len(), list(rows))]
    BadRows {
        /// Which input.
        file: &'static str,
        /// `(line, message)` for every bad row.
        rows: Vec<(u64, String)>,
    },
    /// The GeoJSON text is not GeoJSON.
    #[error("GeoJSON extract: {0}")]
    GeoJson(String),
    /// Features of a GeoJSON extract that could not be used, by feature index (from 0).
    #[error("GeoJSON extract: {} bad feature(s):\n{}", features.len(), list(features))]
    BadFeatures {
        /// `(feature index, message)` for every bad feature.
        features: Vec<(u64, String)>,
    },
    /// The graph has no road section.
    #[error("{0}: no road section found")]
    Empty(&'static str),
    /// Sites could not be attached to the road graph.
    #[error("{} site(s) cannot be attached to the road graph:\n{}", problems.len(), problems.join("\n"))]
    Sites {
        /// One line per site.
        problems: Vec<String>,
    },
    /// The scenario's travel model is not a road graph.
    #[error("the scenario has no road graph (travel model \"{0}\"): load one first")]
    NotRoads(&'static str),
    /// Closure specs that match no road section.
    #[error("no road section matches {}{}", unmatched.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "), hint)]
    NoMatch {
        /// The specs that matched nothing.
        unmatched: Vec<String>,
        /// A hint (known road names), may be empty.
        hint: String,
    },
    /// Distances over the road graph could not be computed.
    #[error("road graph: {0}")]
    Travel(String),
}

fn list(rows: &[(u64, String)]) -> String {
    let mut out = String::new();
    for (i, (n, m)) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "  {n}: {m}");
    }
    out
}

/// A road graph as plain data: what goes into [`TravelModel::Roads`] besides the sites.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoadGraph {
    /// Road nodes (junctions, line ends), in order of first appearance.
    pub nodes: Vec<RoadNode>,
    /// Two-way road sections.
    pub edges: Vec<RoadEdge>,
}

/// Where a site was attached to the road graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteSnap {
    /// Site id (origin, hub or destination).
    pub site: String,
    /// Road node id.
    pub node: String,
    /// Great-circle distance from the site to the node, km (0 when attached by id to a node
    /// without a position).
    pub km: f64,
}

/// A road section closed by [`close_roads`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedRoad {
    /// The spec that matched it (`X203`, `n-pass~n-hongchi`).
    pub spec: String,
    /// Node id.
    pub from: String,
    /// Node id.
    pub to: String,
    /// Length, km.
    pub km: f64,
    /// Road name, if any.
    pub name: Option<String>,
    /// Whether it was closed already.
    pub already_closed: bool,
}

/// Workers whose departure point and destination no open road links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unlinked {
    /// Origin id.
    pub origin: String,
    /// Destination id.
    pub destination: String,
    /// Workers of that origin for that destination.
    pub workers: u64,
}

fn has_position(n: &RoadNode) -> bool {
    !(n.lat == 0.0 && n.lon == 0.0)
}

fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    Haversine.distance(Point::new(lon1, lat1), Point::new(lon2, lat2)) / 1000.0
}

/// A CSV text read into rows: the header (lower case) and `(line, record)` pairs.
struct Table {
    header: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn parse(text: &str, file: &'static str) -> Result<Table, RoadsError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| RoadsError::Csv { file, message: e.to_string() })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
            .collect();
        let mut rows = Vec::new();
        let mut bad = Vec::new();
        for rec in reader.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map_or(0, csv::Position::line);
                    if r.iter().all(str::is_empty) {
                        continue;
                    }
                    if r.len() != header.len() {
                        bad.push((line, format!("{} fields, the header has {}", r.len(), header.len())));
                        continue;
                    }
                    rows.push((line, r));
                }
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    bad.push((line, e.to_string()));
                }
            }
        }
        if !bad.is_empty() {
            return Err(RoadsError::BadRows { file, rows: bad });
        }
        Ok(Table { header, rows })
    }

    fn column(&self, name: &'static str, file: &'static str) -> Result<usize, RoadsError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| RoadsError::MissingColumn {
            file,
            column: name,
            found: self.header.join(", "),
        })
    }

    fn optional(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

fn parse_number(cell: &str, what: &str) -> Result<f64, String> {
    let x: f64 = cell.parse().map_err(|_| format!("{what} {cell:?} is not a number"))?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(format!("{what} {cell:?} is not a finite number"))
    }
}

fn parse_closed(cell: &str) -> Result<bool, String> {
    match cell.to_lowercase().as_str() {
        "" | "false" | "no" | "n" | "0" | "open" => Ok(false),
        "true" | "yes" | "y" | "1" | "closed" => Ok(true),
        _ => Err(format!("closed {cell:?} is not one of true/false, yes/no, 1/0")),
    }
}

fn check_position(lat: f64, lon: f64) -> Result<(), String> {
    if !(-90.0..=90.0).contains(&lat) {
        return Err(format!("latitude {lat} is outside -90..90"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(format!("longitude {lon} is outside -180..180"));
    }
    Ok(())
}

/// Reads a road graph from a CSV edge list (`from`, `to`, `km`, optional `name`, optional
/// `closed`) and an optional nodes CSV (`id`, `lat`, `lon`).
///
/// Without a nodes CSV the nodes are the edges' endpoints, without positions; with one, every
/// edge endpoint must be listed there. Every bad row is reported with its line number.
pub fn graph_from_csv(edges_csv: &str, nodes_csv: Option<&str>) -> Result<RoadGraph, RoadsError> {
    const EDGES: &str = "edges CSV";
    let mut nodes: Vec<RoadNode> = Vec::new();
    let mut known: BTreeMap<String, usize> = BTreeMap::new();
    if let Some(text) = nodes_csv {
        const FILE: &str = "nodes CSV";
        let t = Table::parse(text, FILE)?;
        let (ci, clat, clon) = (t.column("id", FILE)?, t.column("lat", FILE)?, t.column("lon", FILE)?);
        let mut bad = Vec::new();
        for (line, r) in &t.rows {
            let id = &r[ci];
            let row = (|| {
                if id.is_empty() {
                    return Err("empty id".to_string());
                }
                if known.contains_key(id) {
                    return Err(format!("node {id:?} is listed twice"));
                }
                let lat = parse_number(&r[clat], "lat")?;
                let lon = parse_number(&r[clon], "lon")?;
                check_position(lat, lon)?;
                Ok(RoadNode { id: id.to_string(), lat, lon })
            })();
            match row {
                Ok(n) => {
                    known.insert(n.id.clone(), nodes.len());
                    nodes.push(n);
                }
                Err(m) => bad.push((*line, m)),
            }
        }
        if !bad.is_empty() {
            return Err(RoadsError::BadRows { file: FILE, rows: bad });
        }
    }
    let t = Table::parse(edges_csv, EDGES)?;
    let (cf, ct, ck) = (t.column("from", EDGES)?, t.column("to", EDGES)?, t.column("km", EDGES)?);
    let (cn, cc) = (t.optional("name"), t.optional("closed"));
    let fixed_nodes = nodes_csv.is_some();
    let mut edges = Vec::new();
    let mut bad = Vec::new();
    for (line, r) in &t.rows {
        let row = (|| {
            let (from, to) = (&r[cf], &r[ct]);
            if from.is_empty() || to.is_empty() {
                return Err("empty from or to".to_string());
            }
            if from == to {
                return Err(format!("the section starts and ends at {from:?}"));
            }
            if fixed_nodes {
                for n in [from, to] {
                    if !known.contains_key(n) {
                        return Err(format!("node {n:?} is not in the nodes CSV"));
                    }
                }
            }
            let km = parse_number(&r[ck], "km")?;
            if km < 0.0 {
                return Err(format!("km {km} is negative"));
            }
            let name = cn.map(|c| r[c].to_string()).filter(|n| !n.is_empty());
            let closed = match cc {
                Some(c) => parse_closed(&r[c])?,
                None => false,
            };
            Ok(RoadEdge { from: from.to_string(), to: to.to_string(), km, closed, name })
        })();
        match row {
            Ok(e) => edges.push(e),
            Err(m) => bad.push((*line, m)),
        }
    }
    if !bad.is_empty() {
        return Err(RoadsError::BadRows { file: EDGES, rows: bad });
    }
    if edges.is_empty() {
        return Err(RoadsError::Empty(EDGES));
    }
    if !fixed_nodes {
        for e in &edges {
            for n in [&e.from, &e.to] {
                if !known.contains_key(n) {
                    known.insert(n.clone(), nodes.len());
                    nodes.push(RoadNode { id: n.clone(), lat: 0.0, lon: 0.0 });
                }
            }
        }
    }
    Ok(RoadGraph { nodes, edges })
}

/// One line of a GeoJSON extract, with its vertices snapped.
struct Line {
    vertices: Vec<((i64, i64), f64, f64)>,
    name: Option<String>,
    closed: bool,
}

fn property_string(props: Option<&serde_json::Map<String, serde_json::Value>>, key: &str) -> Option<String> {
    let v = props?.get(key)?;
    let s = match v {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Reads a road graph from an OSM-derived GeoJSON extract: `LineString` and `MultiLineString`
/// features (other geometries are skipped). The road name is `ref` and `name` together
/// (`X203 Hongchi road`), or whichever is given; `closed` (true, `"yes"`, `"true"`) closes the
/// road. See the module documentation for how nodes are found.
pub fn graph_from_geojson(text: &str) -> Result<RoadGraph, RoadsError> {
    let gj: geojson::GeoJson = text.parse().map_err(|e: geojson::Error| RoadsError::GeoJson(e.to_string()))?;
    let features = match gj {
        geojson::GeoJson::FeatureCollection(fc) => fc.features,
        geojson::GeoJson::Feature(f) => vec![f],
        geojson::GeoJson::Geometry(g) => vec![geojson::Feature::from(g)],
    };
    let key = |lat: f64, lon: f64| ((lat / SNAP_DEGREES).round() as i64, (lon / SNAP_DEGREES).round() as i64);
    let mut lines: Vec<Line> = Vec::new();
    let mut bad = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let Some(geometry) = &f.geometry else { continue };
        let parts: Vec<&Vec<Vec<f64>>> = match &geometry.value {
            geojson::Value::LineString(l) => vec![l],
            geojson::Value::MultiLineString(ls) => ls.iter().collect(),
            _ => continue,
        };
        let props = f.properties.as_ref();
        let name = match (property_string(props, "ref"), property_string(props, "name")) {
            (Some(r), Some(n)) if r != n => Some(format!("{r} {n}")),
            (Some(r), _) => Some(r),
            (None, n) => n,
        };
        let closed = match props.and_then(|p| p.get("closed")) {
            None | Some(serde_json::Value::Null) => Ok(false),
            Some(serde_json::Value::Bool(b)) => Ok(*b),
            Some(serde_json::Value::String(s)) => parse_closed(s),
            Some(other) => Err(format!("closed {other} is not a boolean")),
        };
        let closed = match closed {
            Ok(c) => c,
            Err(m) => {
                bad.push((i as u64, m));
                continue;
            }
        };
        for part in parts {
            let mut vertices: Vec<((i64, i64), f64, f64)> = Vec::new();
            for pos in part {
                let (lon, lat) = (pos[0], pos[1]);
                if let Err(m) = check_position(lat, lon) {
                    bad.push((i as u64, format!("{m} (positions are [lon, lat])")));
                    vertices.clear();
                    break;
                }
                let k = key(lat, lon);
                if vertices.last().is_none_or(|v| v.0 != k) {
                    vertices.push((k, lat, lon));
                }
            }
            if vertices.len() >= 2 {
                lines.push(Line { vertices, name: name.clone(), closed });
            }
        }
    }
    if !bad.is_empty() {
        return Err(RoadsError::BadFeatures { features: bad });
    }
    // Nodes: line ends, and vertices met more than once.
    let mut seen: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    for l in &lines {
        for v in &l.vertices {
            *seen.entry(v.0).or_default() += 1;
        }
    }
    let mut node_keys: BTreeSet<(i64, i64)> = seen.iter().filter(|(_, n)| **n > 1).map(|(k, _)| *k).collect();
    for l in &lines {
        node_keys.insert(l.vertices[0].0);
        node_keys.insert(l.vertices[l.vertices.len() - 1].0);
    }
    let mut nodes = Vec::new();
    let mut id_of: BTreeMap<(i64, i64), String> = BTreeMap::new();
    let mut edges = Vec::new();
    for l in &lines {
        let mut node_id = |k: (i64, i64)| -> String {
            id_of
                .entry(k)
                .or_insert_with(|| {
                    let id = format!("n{}", nodes.len() + 1);
                    nodes.push(RoadNode {
                        id: id.clone(),
                        lat: k.0 as f64 * SNAP_DEGREES,
                        lon: k.1 as f64 * SNAP_DEGREES,
                    });
                    id
                })
                .clone()
        };
        let mut start = node_id(l.vertices[0].0);
        let mut km = 0.0;
        for w in l.vertices.windows(2) {
            km += haversine_km(w[0].1, w[0].2, w[1].1, w[1].2);
            if node_keys.contains(&w[1].0) {
                let end = node_id(w[1].0);
                if end != start {
                    edges.push(RoadEdge {
                        from: start.clone(),
                        to: end.clone(),
                        km: (km * 1000.0).round() / 1000.0,
                        closed: l.closed,
                        name: l.name.clone(),
                    });
                }
                start = end;
                km = 0.0;
            }
        }
    }
    if edges.is_empty() {
        return Err(RoadsError::Empty("GeoJSON extract"));
    }
    Ok(RoadGraph { nodes, edges })
}

/// Puts a road graph into the scenario (`travel.model` becomes a road graph; the speed stays)
/// and attaches every site to a road node: the node with the site's id if there is one,
/// otherwise the nearest node with a position. Sites farther than `max_snap_km` from their
/// nearest node are all reported in one error and the scenario is left unchanged.
pub fn attach_sites(scenario: &mut Scenario, graph: RoadGraph, max_snap_km: f64) -> Result<Vec<SiteSnap>, RoadsError> {
    let placed: Vec<&RoadNode> = graph.nodes.iter().filter(|n| has_position(n)).collect();
    let mut snaps = Vec::new();
    let mut problems = Vec::new();
    for (site, lat, lon) in scenario.sites() {
        if let Some(n) = graph.nodes.iter().find(|n| n.id == site) {
            let km = if has_position(n) { haversine_km(lat, lon, n.lat, n.lon) } else { 0.0 };
            snaps.push(SiteSnap { site: site.to_string(), node: n.id.clone(), km });
            continue;
        }
        let nearest = placed
            .iter()
            .map(|n| (haversine_km(lat, lon, n.lat, n.lon), *n))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match nearest {
            None => problems.push(format!(
                "  {site}: the road nodes have no positions and none is called {site:?} (give a nodes CSV with id, lat, lon)"
            )),
            Some((km, n)) if km > max_snap_km => problems.push(format!(
                "  {site}: the nearest road node {:?} is {km:.2} km away, more than the limit of {max_snap_km} km",
                n.id
            )),
            Some((km, n)) => snaps.push(SiteSnap { site: site.to_string(), node: n.id.clone(), km }),
        }
    }
    if !problems.is_empty() {
        return Err(RoadsError::Sites { problems });
    }
    let sites = snaps.iter().map(|s| (s.site.clone(), s.node.clone())).collect();
    scenario.travel.model = TravelModel::Roads { nodes: graph.nodes, edges: graph.edges, sites };
    Ok(snaps)
}

fn model_name(m: &TravelModel) -> &'static str {
    match m {
        TravelModel::GreatCircle { .. } => "great_circle",
        TravelModel::Matrix { .. } => "matrix",
        TravelModel::Roads { .. } => "roads",
    }
}

/// Whether a closure spec names an edge: `a~b` names the sections between nodes `a` and `b`
/// (either way round); anything else is a road name, matched without regard to case against
/// the whole name or any of its words (`X203` matches `X203 Hongchi road`).
fn spec_matches(spec: &str, e: &RoadEdge) -> bool {
    busplan_core::replan::road_matches(spec, e)
}

/// Closes road sections by name (`X203`) or by node pair (`n-pass~n-hongchi`). Every spec must
/// match at least one section, otherwise nothing is closed and the error lists the specs that
/// matched nothing. Returns every matched section, in edge order per spec.
pub fn close_roads(scenario: &mut Scenario, specs: &[String]) -> Result<Vec<ClosedRoad>, RoadsError> {
    let model_kind = model_name(&scenario.travel.model);
    let TravelModel::Roads { edges, .. } = &mut scenario.travel.model else {
        return Err(RoadsError::NotRoads(model_kind));
    };
    let unmatched: Vec<String> = specs.iter().filter(|s| !edges.iter().any(|e| spec_matches(s, e))).cloned().collect();
    if !unmatched.is_empty() {
        let names: BTreeSet<&str> = edges.iter().filter_map(|e| e.name.as_deref()).collect();
        let hint = if names.is_empty() {
            " (the roads have no names: give node pairs as a~b)".to_string()
        } else {
            format!(" (road names: {}; or give node pairs as a~b)", names.into_iter().collect::<Vec<_>>().join(", "))
        };
        return Err(RoadsError::NoMatch { unmatched, hint });
    }
    let mut closed = Vec::new();
    for spec in specs {
        for e in edges.iter_mut().filter(|e| spec_matches(spec, e)) {
            closed.push(ClosedRoad {
                spec: spec.clone(),
                from: e.from.clone(),
                to: e.to.clone(),
                km: e.km,
                name: e.name.clone(),
                already_closed: e.closed,
            });
            e.closed = true;
        }
    }
    Ok(closed)
}

/// Worker groups (summed per origin and destination) whose origin and destination no open road
/// links. Hubs and services may still connect them through a train or flight; this only looks
/// at the roads.
pub fn unlinked(scenario: &Scenario) -> Result<Vec<Unlinked>, RoadsError> {
    let table = TravelTable::new(scenario).map_err(|e| RoadsError::Travel(e.to_string()))?;
    let mut out: BTreeMap<(String, String), u64> = BTreeMap::new();
    for o in &scenario.origins {
        for w in &o.workers {
            if table.km(&o.id, &w.to).is_none() {
                *out.entry((o.id.clone(), w.to.clone())).or_default() += u64::from(w.count);
            }
        }
    }
    Ok(out.into_iter().map(|((origin, destination), workers)| Unlinked { origin, destination, workers }).collect())
}

/// Shortest open road paths between sites of a road-graph scenario, for drawing legs along
/// the roads. Only built when the scenario's travel model is a road graph.
#[derive(Debug, Clone)]
pub struct RoadPaths {
    graph: UnGraph<(f64, f64, bool), f64>,
    site_node: BTreeMap<String, NodeIndex>,
}

impl RoadPaths {
    /// The road graph of a scenario (open sections only), or `None` when its travel model is
    /// not a road graph or names unknown nodes.
    pub fn new(scenario: &Scenario) -> Option<RoadPaths> {
        let TravelModel::Roads { nodes, edges, sites } = &scenario.travel.model else { return None };
        let mut graph = UnGraph::new_undirected();
        let mut index = BTreeMap::new();
        for n in nodes {
            index.insert(n.id.as_str(), graph.add_node((n.lat, n.lon, has_position(n))));
        }
        for e in edges.iter().filter(|e| !e.closed) {
            graph.add_edge(*index.get(e.from.as_str())?, *index.get(e.to.as_str())?, e.km);
        }
        let mut site_node = BTreeMap::new();
        for (site, node) in sites {
            site_node.insert(site.clone(), *index.get(node.as_str())?);
        }
        Some(RoadPaths { graph, site_node })
    }

    /// The `(lat, lon)` points of the shortest open road path from one site to another, or
    /// `None` when there is no open path or a node on it has no position.
    pub fn path(&self, from: &str, to: &str) -> Option<Vec<(f64, f64)>> {
        let (a, b) = (*self.site_node.get(from)?, *self.site_node.get(to)?);
        let (_, path) = petgraph::algo::astar(&self.graph, a, |n| n == b, |e| *e.weight(), |_| 0.0)?;
        path.into_iter()
            .map(|n| {
                let (lat, lon, placed) = self.graph[n];
                placed.then_some((lat, lon))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_with_problems_are_reported_with_lines() {
        let edges = "from,to,km,name\na,b,10,X1\nb,c,abc,X2\nc,c,3,\nc,d,-1,\n";
        let err = graph_from_csv(edges, None).unwrap_err();
        let RoadsError::BadRows { rows, .. } = &err else { panic!("{err}") };
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(err.to_string().contains("3: km \"abc\" is not a number"), "{err}");
    }

    #[test]
    fn csv_nodes_must_cover_the_edges() {
        let nodes = "id,lat,lon\na,31.4,109.5\nb,31.5,109.6\n";
        let edges = "From,To,KM,closed\na,b,10,yes\nb,z,5,no\n";
        let err = graph_from_csv(edges, Some(nodes)).unwrap_err();
        assert!(err.to_string().contains("3: node \"z\" is not in the nodes CSV"), "{err}");
        let g = graph_from_csv("from,to,km,closed\na,b,10,yes\n", Some(nodes)).unwrap();
        assert!(g.edges[0].closed);
        assert_eq!(g.nodes.len(), 2);
        let err = graph_from_csv("from,km\na,1\n", None).unwrap_err();
        assert!(matches!(err, RoadsError::MissingColumn { column: "to", .. }), "{err}");
    }

    #[test]
    fn geojson_lines_split_at_shared_vertices() {
        // Two roads crossing at (31.4, 109.6): a west-east road and a south-north road.
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"highway":"primary","ref":"S301"},
           "geometry":{"type":"LineString","coordinates":[[109.5,31.4],[109.6,31.4],[109.7,31.4]]}},
          {"type":"Feature","properties":{"highway":"tertiary","name":"X203","closed":"yes"},
           "geometry":{"type":"LineString","coordinates":[[109.6,31.3],[109.600001,31.400001],[109.6,31.5]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[109.6,31.4]}}
        ]}"#;
        let g = graph_from_geojson(text).unwrap();
        assert_eq!(g.nodes.len(), 5, "{:?}", g.nodes);
        assert_eq!(g.edges.len(), 4);
        assert_eq!(g.edges.iter().filter(|e| e.closed).count(), 2);
        for e in &g.edges {
            assert!((e.km - 9.5).abs() < 1.5 || (e.km - 11.1).abs() < 0.3, "{e:?}");
        }
        let err = graph_from_geojson(r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[31.4,109.5],[31.5,109.6]]}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("0: latitude 109.5"), "{err}");
    }

    #[test]
    fn spec_matching() {
        let e = RoadEdge { from: "a".into(), to: "b".into(), km: 1.0, closed: false, name: Some("X203 Hongchi road".into()) };
        assert!(spec_matches("x203", &e));
        assert!(spec_matches("X203 Hongchi road", &e));
        assert!(spec_matches("b~a", &e));
        assert!(!spec_matches("X20", &e));
        assert!(!spec_matches("a~c", &e));
    }
}
