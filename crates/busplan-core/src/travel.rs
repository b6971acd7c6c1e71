//! Travel: road distance and driving time between every pair of sites.
//!
//! Takes: a validated [`Scenario`]. Gives: [`TravelTable`], km and minutes between site ids
//! (origins, hubs, destinations), `None` where no road links them (a matrix without the entry,
//! or a road graph whose open roads do not connect them).
//!
//! Three models:
//! - great circle: `km = haversine(a, b) * circuity` (geo's [`Haversine`]);
//! - matrix: the given entries, one direction each;
//! - road graph: the edges go into a petgraph [`UnGraph`], closed edges left out, and a
//!   Dijkstra runs from every site in parallel (rayon), `O(S (E + V) log V)` for `S` sites.
//!
//! Minutes for a vehicle type at speed `s` km/h: `max(ceil(60 km / s), matrix minutes)`.

use crate::scenario::{Scenario, TravelModel};
use geo::{Distance, Haversine, Point};
use petgraph::graph::{NodeIndex, UnGraph};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Errors of the travel stage.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TravelError {
    /// A site id or road node id is not known (validation normally catches this first).
    #[error("travel: unknown site or road node \"{0}\"")]
    Unknown(String),
}

/// Distances and times between all pairs of sites.
#[derive(Debug, Clone)]
pub struct TravelTable {
    ids: Vec<String>,
    index: BTreeMap<String, usize>,
    km: Vec<Option<f64>>,
    min: Vec<Option<u32>>,
}

impl TravelTable {
    /// Builds the table for a scenario.
    pub fn new(scenario: &Scenario) -> Result<Self, TravelError> {
        let (ids, coords): (Vec<String>, Vec<(f64, f64)>) =
            scenario.sites().map(|(id, lat, lon)| (id.to_string(), (lat, lon))).unzip();
        let n = ids.len();
        let index: BTreeMap<String, usize> =
            ids.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect();
        let mut km = vec![None; n * n];
        let mut min = vec![None; n * n];
        match &scenario.travel.model {
            TravelModel::GreatCircle { circuity } => {
                for i in 0..n {
                    for j in 0..n {
                        let a = Point::new(coords[i].1, coords[i].0);
                        let b = Point::new(coords[j].1, coords[j].0);
                        km[i * n + j] = Some(round_km(Haversine.distance(a, b) / 1000.0 * circuity));
                    }
                }
            }
            TravelModel::Matrix { entries } => {
                for i in 0..n {
                    km[i * n + i] = Some(0.0);
                }
                for e in entries {
                    let i = *index.get(&e.from).ok_or_else(|| TravelError::Unknown(e.from.clone()))?;
                    let j = *index.get(&e.to).ok_or_else(|| TravelError::Unknown(e.to.clone()))?;
                    km[i * n + j] = Some(round_km(e.km));
                    min[i * n + j] = e.min;
                }
            }
            TravelModel::Roads { nodes, edges, sites } => {
                let mut graph: UnGraph<(), f64> = UnGraph::new_undirected();
                let mut node_of = BTreeMap::new();
                for node in nodes {
                    node_of.insert(node.id.as_str(), graph.add_node(()));
                }
                for e in edges.iter().filter(|e| !e.closed) {
                    let a = *node_of.get(e.from.as_str()).ok_or_else(|| TravelError::Unknown(e.from.clone()))?;
                    let b = *node_of.get(e.to.as_str()).ok_or_else(|| TravelError::Unknown(e.to.clone()))?;
                    graph.add_edge(a, b, e.km);
                }
                let mut site_node: Vec<NodeIndex> = Vec::with_capacity(n);
                for id in &ids {
                    let node = sites.get(id).ok_or_else(|| TravelError::Unknown(id.clone()))?;
                    site_node.push(*node_of.get(node.as_str()).ok_or_else(|| TravelError::Unknown(node.clone()))?);
                }
                let rows: Vec<Vec<Option<f64>>> = (0..n)
                    .into_par_iter()
                    .map(|i| {
                        let dist = petgraph::algo::dijkstra(&graph, site_node[i], None, |e| *e.weight());
                        site_node.iter().map(|t| dist.get(t).map(|d| round_km(*d))).collect()
                    })
                    .collect();
                for (i, row) in rows.into_iter().enumerate() {
                    km[i * n..(i + 1) * n].copy_from_slice(&row);
                }
            }
        }
        Ok(TravelTable { ids, index, km, min })
    }

    fn pos(&self, from: &str, to: &str) -> Option<usize> {
        let i = *self.index.get(from)?;
        let j = *self.index.get(to)?;
        Some(i * self.ids.len() + j)
    }

    /// Road km from one site to another, `None` if they are not linked.
    pub fn km(&self, from: &str, to: &str) -> Option<f64> {
        self.km[self.pos(from, to)?]
    }

    /// Driving minutes at `speed_kmh`, `None` if the sites are not linked.
    pub fn minutes(&self, from: &str, to: &str, speed_kmh: f64) -> Option<u32> {
        let p = self.pos(from, to)?;
        let km = self.km[p]?;
        Some(drive_minutes(km, speed_kmh).max(self.min[p].unwrap_or(0)))
    }
}

/// Great-circle km between two points given in degrees (no circuity factor).
pub fn great_circle_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    Haversine.distance(Point::new(lon1, lat1), Point::new(lon2, lat2)) / 1000.0
}

/// Whole minutes to drive `km` at `speed_kmh`, rounded up.
pub fn drive_minutes(km: f64, speed_kmh: f64) -> u32 {
    (km * 60.0 / speed_kmh - 1e-9).ceil().max(0.0) as u32
}

fn round_km(km: f64) -> f64 {
    (km * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_round_up() {
        assert_eq!(drive_minutes(70.0, 70.0), 60);
        assert_eq!(drive_minutes(70.1, 70.0), 61);
        assert_eq!(drive_minutes(0.0, 70.0), 0);
    }
}
