//! Re-planning after a disruption: roads closed, new requests, some buses already on the road.
//!
//! Takes: the scenario a plan was made for, that plan, a [`Disruption`] (the time now, the
//! roads that closed, the employers' new requests) and planning [`Options`]. Gives:
//! [`Replanned`], the updated scenario, a new plan that passes [`crate::check()`] against it, and
//! the [`Changes`] between the two plans.
//!
//! The rule is a lexicographic minimum change, applied to *components*: buses (and services)
//! linked by workers who change between them at hubs. A worker's journey lies inside one
//! component, so a component can be kept or re-planned as a whole without touching any other.
//!
//! 1. **Buses that have left are kept.** A bus has left when its first departure is before
//!    `now_min`; its whole component is kept (its workers are committed). Its times are
//!    recomputed on the open roads: where a leg now has to drive around a closed road, the bus
//!    is kept with the new times and a warning says so. If it can no longer reach a hub or its
//!    destination in time, nothing can mend that by re-planning: [`replan`] stops with
//!    [`Error::DepartedBroken`].
//! 2. **Every other component is kept if it still works.** Its timetable is recomputed on the
//!    open roads (departures never earlier than published); if every leg is still linked, every
//!    deadline is met and every train or flight is still reached, it is kept, with the new times
//!    when they moved (reported as a shift). Otherwise it is cancelled.
//! 3. **Only the rest is planned again:** the workers of cancelled components, the workers the
//!    old plan left unserved and the new requests, in a residual scenario (what the kept buses
//!    use is taken out of fleets, escorts, hub space and service seats; nobody leaves before
//!    `now_min`) planned with [`crate::plan()`].
//! 4. **Merge:** the kept buses, then the residual plan's buses with fresh ids (never an id of
//!    the old plan, kept or cancelled, so that no published id changes meaning), service loads
//!    summed, totals recomputed with [`crate::plan::totals`]. The merged plan is checked with
//!    [`crate::check()`] against the updated scenario; a plan that fails is an error, never
//!    returned.
//!
//! Hence no kept worker changes bus, and among plans that keep every working component, the
//! residual is planned as well as [`crate::plan()`] plans anything.

use crate::check::{check, CheckReport};
use crate::plan::{totals, Leg, Move, Pax, Plan, ServiceLoad, Status, Unserved, UnservedReason, Vehicle};
use crate::scenario::{Destination, MatrixEntry, Need, Scenario, TravelModel, WorkerGroup};
use crate::solve::Options;
use crate::travel::TravelTable;
use crate::validate::{validate, InvalidScenario};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What changed since the plan was made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disruption {
    /// The time now, minutes from the plan start: buses whose first departure is earlier have
    /// left, and nobody else leaves before it.
    #[serde(default)]
    pub now_min: u32,
    /// Roads closed since the plan was made: a road name (`RoadEdge.name`, every section of it
    /// closes) or a pair of road nodes `a~b` (the sections between them, either direction).
    #[serde(default)]
    pub closed_roads: Vec<String>,
    /// New requests from employers.
    #[serde(default)]
    pub new_requests: Requests,
}

/// Employers' new requests: new drop points and more workers (the `--add-requests` file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requests {
    /// Drop points the scenario does not have yet.
    #[serde(default)]
    pub destinations: Vec<NewDestination>,
    /// Workers to carry, from an origin of the scenario to a drop point (old or new).
    #[serde(default)]
    pub workers: Vec<NewWorkers>,
}

/// A new drop point, with how the travel model reaches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDestination {
    /// Identifier (a new site id).
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latest arrival, minutes from the plan start.
    pub deadline_min: u32,
    /// Employers who collect workers here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub employers: Vec<String>,
    /// Road node the drop point is reached from: required when the travel model is a road
    /// graph, refused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub road_node: Option<String>,
    /// Distance matrix entries to and from the drop point: only with a matrix travel model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matrix_entries: Vec<MatrixEntry>,
}

/// Workers of a new request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWorkers {
    /// Origin id (a departure point of the scenario).
    pub from: String,
    /// Destination id (of the scenario or of the request).
    pub to: String,
    /// Number of workers.
    pub count: u32,
    /// Special needs shared by the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<Need>,
}

/// A re-planned operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replanned {
    /// The scenario with the closures applied and the requests added.
    pub scenario: Scenario,
    /// The new plan; it passes [`crate::check()`] against `scenario`.
    pub plan: Plan,
    /// What changed.
    pub changes: Changes,
}

/// A road section closed by the disruption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedRoad {
    /// The closure as given (`X203`, `n-wuxi~n-pass`).
    pub spec: String,
    /// Road node at one end.
    pub from: String,
    /// Road node at the other end.
    pub to: String,
}

/// A kept bus whose legs moved in time or length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    /// Bus id.
    pub bus: String,
    /// Whether it had left before `now_min`.
    pub departed: bool,
    /// Arrival at the end of its last leg in the old plan, minutes.
    pub arrive_before_min: u32,
    /// Arrival at the end of its last leg now, minutes.
    pub arrive_after_min: u32,
    /// The largest delay of any of its legs' arrivals, minutes.
    pub delay_min: u32,
    /// Km of all its legs in the old plan.
    pub km_before: f64,
    /// Km of all its legs now (a detour around a closed road).
    pub km_after: f64,
}

/// One group of workers (origin, destination, accessibility) and what happened to it.
///
/// `kept + replanned + unserved_before + requested = workers`, and `workers - unserved_after`
/// are delivered by the new plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChange {
    /// Origin id.
    pub origin: String,
    /// Destination id.
    pub destination: String,
    /// Whether they need accessible vehicles.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accessible: bool,
    /// Workers of the group in the updated scenario.
    pub workers: u32,
    /// On kept buses (same bus as before).
    pub kept: u32,
    /// On cancelled buses: their bus changed (a new bus, or none when unserved now).
    pub replanned: u32,
    /// Left unserved by the old plan.
    pub unserved_before: u32,
    /// Added by the new requests.
    pub requested: u32,
    /// Left unserved by the new plan (workers of a group are interchangeable: this counts the
    /// group, old and new workers alike).
    pub unserved_after: u32,
}

/// What the re-planning changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    /// The time of the re-planning, minutes from the plan start.
    pub now_min: u32,
    /// Road sections closed.
    pub closed_roads: Vec<ClosedRoad>,
    /// Buses that had left before `now_min` (all kept, some of them perhaps shifted).
    pub departed: Vec<String>,
    /// Buses kept exactly as they were.
    pub kept: Vec<String>,
    /// Buses kept with new times or a detour.
    pub shifted: Vec<Shift>,
    /// Buses of the old plan that no longer run.
    pub cancelled: Vec<String>,
    /// Buses of the new plan that the old one did not have.
    pub new: Vec<String>,
    /// Every group with re-planned, new or unserved workers, in (origin, destination,
    /// accessibility) order.
    pub groups: Vec<GroupChange>,
    /// Workers whose bus changed (the sum of `replanned`).
    pub workers_replanned: u64,
    /// Workers added by the requests.
    pub workers_requested: u64,
    /// Workers unserved by the old plan.
    pub unserved_before: u64,
    /// Workers unserved by the new plan.
    pub unserved_after: u64,
    /// Cost of the old plan, yuan.
    pub cost_before: f64,
    /// Cost of the new plan, yuan.
    pub cost_after: f64,
    /// Things staff must know: departed buses that must drive around a closed road, requests
    /// that could not all be served.
    pub warnings: Vec<String>,
}

/// Everything that stops [`replan`] or [`close_roads`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Closures need a road graph.
    #[error("roads can only be closed in a scenario whose travel model is a road graph (\"kind\": \"roads\")")]
    NoRoadGraph,
    /// A closure names no road.
    #[error("no road \"{spec}\" in the road graph; known road names: {}; or give two road nodes as a~b", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownRoad {
        /// The closure as given.
        spec: String,
        /// The road names of the graph, sorted.
        known: Vec<String>,
    },
    /// A request cannot be applied.
    #[error("request: {0}")]
    Request(String),
    /// The updated scenario is invalid.
    #[error("the updated scenario is invalid: {0}")]
    Invalid(#[from] InvalidScenario),
    /// The old plan does not fit the old scenario.
    #[error("the plan does not pass the checker against its scenario:\n{0}")]
    OldPlan(CheckReport),
    /// Buses that have left can no longer reach their hub or destination in time.
    #[error("buses that have already left can no longer complete their journey on the open roads: {}", .0.join("; "))]
    DepartedBroken(Vec<String>),
    /// Planning the residual scenario failed.
    #[error("planning the re-planned workers failed: {0}")]
    Plan(#[from] crate::Error),
    /// The merged plan fails the checker (a bug).
    #[error("the merged plan fails the checker (a bug, please report it):\n{0}")]
    Merged(CheckReport),
}

/// Closes roads in a scenario whose travel is a road graph. Each spec is a road name (every
/// section with that `name` closes) or `a~b` (every section between nodes `a` and `b`).
/// Returns the closed sections as node pairs, in spec order then edge order. An unknown spec
/// is an error that lists the known road names.
pub fn close_roads(s: &mut Scenario, specs: &[String]) -> Result<Vec<(String, String)>, Error> {
    Ok(close(s, specs)?.into_iter().map(|c| (c.from, c.to)).collect())
}

/// Whether a closure spec names a road section. Rule: a name (`X203`, any case) closes every
/// section whose name is it or contains it as a word (`G15 Shenhai` for `g15`); a node pair
/// `a~b` closes the sections between the two nodes, whichever way they are written.
pub fn road_matches(spec: &str, e: &crate::scenario::RoadEdge) -> bool {
    if let Some((a, b)) = spec.split_once('~') {
        let (a, b) = (a.trim(), b.trim());
        return (e.from == a && e.to == b) || (e.from == b && e.to == a);
    }
    let spec = spec.trim().to_lowercase();
    e.name.as_ref().is_some_and(|n| {
        let n = n.to_lowercase();
        n == spec || n.split(|c: char| c.is_whitespace() || ";,/".contains(c)).any(|w| w == spec)
    })
}

fn close(s: &mut Scenario, specs: &[String]) -> Result<Vec<ClosedRoad>, Error> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let TravelModel::Roads { edges, .. } = &mut s.travel.model else {
        return Err(Error::NoRoadGraph);
    };
    let mut out = Vec::new();
    for spec in specs {
        let spec_t = spec.trim();
        let mut hit = false;
        for e in edges.iter_mut() {
            if road_matches(spec_t, e) {
                e.closed = true;
                hit = true;
                out.push(ClosedRoad { spec: spec.clone(), from: e.from.clone(), to: e.to.clone() });
            }
        }
        if !hit {
            let known: BTreeSet<String> = edges.iter().filter_map(|e| e.name.clone()).collect();
            return Err(Error::UnknownRoad { spec: spec.clone(), known: known.into_iter().collect() });
        }
    }
    Ok(out)
}

/// A group of workers: (origin, destination, accessible).
type Key = (String, String, bool);

fn key_of(p: &Pax) -> Key {
    (p.origin.clone(), p.destination.clone(), p.accessible)
}

/// The updated scenario, the sections closed and the workers requested by group.
struct Updated {
    scenario: Scenario,
    closed: Vec<ClosedRoad>,
    requested: BTreeMap<Key, u32>,
}

/// Applies the closures and the requests to a copy of the scenario, and validates it.
fn update(old: &Scenario, d: &Disruption) -> Result<Updated, Error> {
    let mut s = old.clone();
    let closed = close(&mut s, &d.closed_roads)?;
    for nd in &d.new_requests.destinations {
        match &mut s.travel.model {
            TravelModel::Roads { nodes, sites, .. } => {
                let Some(node) = &nd.road_node else {
                    return Err(Error::Request(format!(
                        "new destination {} needs a \"road_node\": the scenario's travel is a road graph",
                        nd.id
                    )));
                };
                if !nodes.iter().any(|n| &n.id == node) {
                    return Err(Error::Request(format!("new destination {}: unknown road node \"{node}\"", nd.id)));
                }
                sites.insert(nd.id.clone(), node.clone());
            }
            _ if nd.road_node.is_some() => {
                return Err(Error::Request(format!(
                    "new destination {} gives a road_node, but the scenario's travel is not a road graph",
                    nd.id
                )));
            }
            _ => {}
        }
        if !nd.matrix_entries.is_empty() {
            let TravelModel::Matrix { entries } = &mut s.travel.model else {
                return Err(Error::Request(format!(
                    "new destination {} gives matrix_entries, but the scenario's travel is not a matrix",
                    nd.id
                )));
            };
            entries.extend(nd.matrix_entries.iter().cloned());
        }
        s.destinations.push(Destination {
            id: nd.id.clone(),
            name: nd.name.clone(),
            lat: nd.lat,
            lon: nd.lon,
            deadline_min: nd.deadline_min,
            employers: nd.employers.clone(),
        });
    }
    let mut requested: BTreeMap<Key, u32> = BTreeMap::new();
    for (i, w) in d.new_requests.workers.iter().enumerate() {
        let Some(o) = s.origins.iter_mut().find(|o| o.id == w.from) else {
            let known: Vec<&str> = old.origins.iter().map(|o| o.id.as_str()).collect();
            return Err(Error::Request(format!(
                "workers[{i}] come from unknown origin \"{}\" (origins: {})",
                w.from,
                known.join(", ")
            )));
        };
        if w.count == 0 {
            continue;
        }
        let needs: BTreeSet<Need> = w.needs.iter().copied().collect();
        // Rule: a request for a group the origin already has adds to it (one group per
        // destination and needs, as validation requires); otherwise it is a new group.
        match o.workers.iter_mut().find(|g| g.to == w.to && g.needs.iter().copied().collect::<BTreeSet<_>>() == needs) {
            Some(g) => g.count = g.count.saturating_add(w.count),
            None => o.workers.push(WorkerGroup { to: w.to.clone(), count: w.count, needs: needs.into_iter().collect() }),
        }
        let e = requested.entry((w.from.clone(), w.to.clone(), w.needs.contains(&Need::Accessible))).or_default();
        *e = e.saturating_add(w.count);
    }
    validate(&s)?;
    Ok(Updated { scenario: s, closed, requested })
}

/// Union-find over vehicles (`0..n`) and service loads (`n..`).
struct Components(Vec<usize>);

impl Components {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// The old plan's vehicles with their timetable recomputed on the updated roads, and which of
/// them no longer work (with why).
struct Retimed {
    vehicles: Vec<Vehicle>,
    broken: Vec<Option<String>>,
}

/// Recomputes every bus's timetable on the updated scenario's roads: each leg departs at its
/// published time or later if the bus or the workers it takes on arrive later (plus the hub's
/// transfer minutes), and takes the longer of its published time and the new driving time.
/// Then flags the buses whose legs are no longer linked, miss a deadline or miss a service.
fn retime(s: &Scenario, plan: &Plan, table: &TravelTable) -> Retimed {
    let mut vs = plan.vehicles.clone();
    let n = vs.len();
    let mut broken: Vec<Option<String>> = vec![None; n];
    let index: BTreeMap<&str, usize> = plan.vehicles.iter().enumerate().map(|(i, v)| (v.id.as_str(), i)).collect();
    let svc = |id: &str| s.services.iter().find(|x| x.id == id);
    let hub_tr = |id: &str| s.hubs.iter().find(|h| h.id == id).map(|h| h.transfer_min);
    // Driving time of every leg on the open roads (None: no road left).
    let mut need: Vec<Vec<Option<(u32, f64)>>> = Vec::with_capacity(n);
    for v in &plan.vehicles {
        let speed = s.vehicle_type_index(&v.vehicle_type).map_or(s.travel.speed_kmh, |t| s.speed_of(t));
        need.push(
            v.legs
                .iter()
                .map(|l| Some((table.minutes(&l.from, &l.to, speed)?, table.km(&l.from, &l.to)?)))
                .collect(),
        );
    }
    for (vi, legs) in need.iter().enumerate() {
        for (li, nd) in legs.iter().enumerate() {
            if let Some((_, km)) = nd {
                vs[vi].legs[li].km = *km;
            } else {
                let l = &plan.vehicles[vi].legs[li];
                broken[vi] = Some(format!("{}: no open road from {} to {}", plan.vehicles[vi].id, l.from, l.to));
            }
        }
    }
    // Times only grow and the published plan's dependencies run forward in time, so this
    // converges in at most one pass per leg; the bound guards against a malformed plan.
    let passes = vs.iter().map(|v| v.legs.len()).sum::<usize>() + 2;
    let mut settled = false;
    for _ in 0..passes {
        let mut changed = false;
        for vi in 0..n {
            for (li, nd) in need[vi].iter().enumerate() {
                let old = &plan.vehicles[vi].legs[li];
                let mut dep = old.depart_min;
                if let Some(tr) = hub_tr(&old.from) {
                    if li > 0 && vs[vi].legs[li - 1].to == old.from {
                        dep = dep.max(vs[vi].legs[li - 1].arrive_min + tr);
                    }
                    for m in &old.boarded {
                        if m.with == plan.vehicles[vi].id {
                            continue;
                        }
                        let arr = if let Some(&j) = index.get(m.with.as_str()) {
                            arrival_at(&vs[j], &old.from, &plan.vehicles[vi].id)
                        } else {
                            svc(&m.with).map(|x| x.arrival_min)
                        };
                        if let Some(a) = arr {
                            dep = dep.max(a + tr);
                        }
                    }
                }
                let published = old.arrive_min.saturating_sub(old.depart_min);
                let drive = nd.map_or(published, |(m, _)| m.max(published));
                let arr = dep + drive;
                let leg = &mut vs[vi].legs[li];
                if leg.depart_min != dep || leg.arrive_min != arr {
                    leg.depart_min = dep;
                    leg.arrive_min = arr;
                    changed = true;
                }
            }
        }
        if !changed {
            settled = true;
            break;
        }
    }
    for (vi, v) in vs.iter().enumerate() {
        if !settled {
            broken[vi].get_or_insert_with(|| format!("{}: its timetable does not settle", v.id));
        }
        for l in &v.legs {
            if let Some(d) = s.destinations.iter().find(|d| d.id == l.to) {
                if l.arrive_min > d.deadline_min {
                    broken[vi].get_or_insert_with(|| {
                        format!("{} reaches {} at {}, after its deadline {}", v.id, l.to, l.arrive_min, d.deadline_min)
                    });
                }
            }
            if let Some(tr) = hub_tr(&l.to) {
                for m in &l.alighted {
                    if let Some(x) = svc(&m.with) {
                        if l.arrive_min + tr > x.departure_min {
                            broken[vi].get_or_insert_with(|| {
                                format!("{} reaches {} at {}, too late for {} at {}", v.id, l.to, l.arrive_min, x.id, x.departure_min)
                            });
                        }
                    }
                }
            }
        }
    }
    Retimed { vehicles: vs, broken }
}

/// Arrival of a bus at a hub, preferring the leg that hands workers to `taker` (as the checker
/// reads it).
fn arrival_at(v: &Vehicle, hub: &str, taker: &str) -> Option<u32> {
    v.legs
        .iter()
        .find(|l| l.to == hub && l.alighted.iter().any(|m| m.with == taker))
        .or_else(|| v.legs.iter().find(|l| l.to == hub))
        .map(|l| l.arrive_min)
}

/// What the kept buses use, taken out of the residual scenario.
#[derive(Default)]
struct Usage {
    based: BTreeMap<(String, String), u32>,
    based_at: BTreeMap<String, u32>,
    hub_buses: BTreeMap<String, u32>,
    seats: BTreeMap<String, u32>,
}

/// The residual scenario: the updated one with only `workers`, without what the kept buses
/// use, and nobody leaving before `now`. Hubs left without room for a bus are removed with
/// their services; services without a seat left are removed.
fn residual(s: &Scenario, workers: &BTreeMap<Key, u32>, used: &Usage, now: u32) -> Scenario {
    let mut r = s.clone();
    r.name = format!("{} (re-plan)", s.name);
    for o in &mut r.origins {
        // Rule: departure not before now.
        o.ready_min = o.ready_min.max(now);
        o.workers = workers
            .iter()
            .filter(|((from, _, _), &n)| *from == o.id && n > 0)
            .map(|((_, to, acc), &n)| WorkerGroup { to: to.clone(), count: n, needs: if *acc { vec![Need::Accessible] } else { Vec::new() } })
            .collect();
        // Rule: origin fleets and escorts minus the kept buses based there.
        for (ty, n) in &mut o.fleet {
            *n = n.saturating_sub(used.based.get(&(o.id.clone(), ty.clone())).copied().unwrap_or(0));
        }
        if let Some(e) = &mut o.escorts {
            *e = e.saturating_sub(used.based_at.get(&o.id).copied().unwrap_or(0));
        }
    }
    let mut gone: BTreeSet<String> = BTreeSet::new();
    for h in &mut r.hubs {
        // Rule: hub fleets, escorts and size minus what the kept buses use there.
        for (ty, n) in &mut h.fleet {
            *n = n.saturating_sub(used.based.get(&(h.id.clone(), ty.clone())).copied().unwrap_or(0));
        }
        if let Some(e) = &mut h.escorts {
            *e = e.saturating_sub(used.based_at.get(&h.id).copied().unwrap_or(0));
        }
        if let Some(m) = &mut h.max_buses {
            *m = m.saturating_sub(used.hub_buses.get(&h.id).copied().unwrap_or(0));
            if *m == 0 {
                gone.insert(h.id.clone());
            }
        }
    }
    r.hubs.retain(|h| !gone.contains(&h.id));
    for x in &mut r.services {
        // Rule: service seats minus the kept passengers.
        x.seats = x.seats.saturating_sub(used.seats.get(&x.id).copied().unwrap_or(0));
    }
    r.services.retain(|x| x.seats > 0 && !gone.contains(&x.from) && !gone.contains(&x.to));
    match &mut r.travel.model {
        TravelModel::Roads { sites, .. } => sites.retain(|k, _| !gone.contains(k)),
        TravelModel::Matrix { entries } => entries.retain(|e| !gone.contains(&e.from) && !gone.contains(&e.to)),
        TravelModel::GreatCircle { .. } => {}
    }
    r
}

/// Re-plans after a disruption with the minimum-change rule of this module: keeps the buses
/// that have left and every component that still works, plans the rest again, and checks the
/// merged plan against the updated scenario.
pub fn replan(old: &Scenario, plan: &Plan, d: &Disruption, options: &Options) -> Result<Replanned, Error> {
    let report = check(old, plan);
    if !report.is_ok() {
        return Err(Error::OldPlan(report));
    }
    let Updated { scenario: s, closed, requested } = update(old, d)?;
    let table = TravelTable::new(&s).map_err(crate::Error::from)?;
    let now = d.now_min;

    // Components: buses and services linked by moves at hubs.
    let n = plan.vehicles.len();
    let vindex: BTreeMap<&str, usize> = plan.vehicles.iter().enumerate().map(|(i, v)| (v.id.as_str(), i)).collect();
    let sindex: BTreeMap<&str, usize> = plan.services.iter().enumerate().map(|(i, x)| (x.id.as_str(), n + i)).collect();
    let node = |with: &str| vindex.get(with).copied().or_else(|| sindex.get(with).copied());
    let mut uf = Components((0..n + plan.services.len()).collect());
    for (vi, v) in plan.vehicles.iter().enumerate() {
        for m in v.legs.iter().flat_map(|l| l.boarded.iter().chain(&l.alighted)) {
            if let Some(j) = node(&m.with) {
                uf.join(vi, j);
            }
        }
    }
    for (si, x) in plan.services.iter().enumerate() {
        for m in x.boarded.iter().chain(&x.alighted) {
            if let Some(j) = node(&m.with) {
                uf.join(n + si, j);
            }
        }
    }
    let comp: Vec<usize> = (0..n + plan.services.len()).map(|i| uf.find(i)).collect();

    // Rule 1: a bus whose first departure is before now has left; its component is committed.
    let departed: Vec<bool> = plan.vehicles.iter().map(|v| v.legs.first().is_some_and(|l| l.depart_min < now)).collect();
    let committed: BTreeSet<usize> = (0..n).filter(|&i| departed[i]).map(|i| comp[i]).collect();
    // Rule 2: every component is retimed on the open roads; it works if no bus of it breaks.
    let retimed = retime(&s, plan, &table);
    let mut broken_comp: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (vi, why) in retimed.broken.iter().enumerate() {
        if let Some(w) = why {
            broken_comp.entry(comp[vi]).or_default().push(w.clone());
        }
    }
    let stuck: Vec<String> = broken_comp.iter().filter(|(c, _)| committed.contains(c)).flat_map(|(_, w)| w.clone()).collect();
    if !stuck.is_empty() {
        return Err(Error::DepartedBroken(stuck));
    }
    let kept_v: Vec<bool> = (0..n).map(|i| !broken_comp.contains_key(&comp[i])).collect();
    let kept_s: Vec<bool> = (0..plan.services.len()).map(|i| !broken_comp.contains_key(&comp[n + i])).collect();

    // What the kept buses carry and use.
    let mut changes = Changes { now_min: now, closed_roads: closed, cost_before: plan.totals.cost, ..Changes::default() };
    let mut kept_workers: BTreeMap<Key, u32> = BTreeMap::new();
    let mut replanned: BTreeMap<Key, u32> = BTreeMap::new();
    let mut used = Usage::default();
    let mut kept_vehicles: Vec<Vehicle> = Vec::new();
    for (vi, v) in plan.vehicles.iter().enumerate() {
        let home: Vec<&Pax> = v
            .legs
            .first()
            .filter(|l| s.origins.iter().any(|o| o.id == l.from))
            .map(|l| l.passengers.iter().filter(|p| p.origin == l.from).collect())
            .unwrap_or_default();
        if departed[vi] {
            changes.departed.push(v.id.clone());
        }
        if !kept_v[vi] {
            changes.cancelled.push(v.id.clone());
            for p in home {
                *replanned.entry(key_of(p)).or_default() += p.count;
            }
            continue;
        }
        for p in home {
            *kept_workers.entry(key_of(p)).or_default() += p.count;
        }
        *used.based.entry((v.base.clone(), v.vehicle_type.clone())).or_default() += 1;
        *used.based_at.entry(v.base.clone()).or_default() += 1;
        for l in &v.legs {
            if s.hubs.iter().any(|h| h.id == l.to) {
                *used.hub_buses.entry(l.to.clone()).or_default() += 1;
            }
        }
        if s.hubs.iter().any(|h| h.id == v.base) && !v.legs.is_empty() {
            *used.hub_buses.entry(v.base.clone()).or_default() += 1;
        }
        let nv = retimed.vehicles[vi].clone();
        if nv == *v {
            changes.kept.push(v.id.clone());
        } else {
            let km = |x: &Vehicle| x.legs.iter().map(|l| l.km).sum::<f64>();
            let last = |x: &Vehicle| x.legs.last().map_or(0, |l| l.arrive_min);
            let delay = v.legs.iter().zip(&nv.legs).map(|(a, b)| b.arrive_min.saturating_sub(a.arrive_min)).max().unwrap_or(0);
            let shift = Shift {
                bus: v.id.clone(),
                departed: departed[vi],
                arrive_before_min: last(v),
                arrive_after_min: last(&nv),
                delay_min: delay,
                km_before: km(v),
                km_after: km(&nv),
            };
            // Rule 1, warning: a bus that has left cannot be changed, only told to drive around.
            if departed[vi] && (shift.km_after - shift.km_before).abs() > 1e-9 {
                changes.warnings.push(format!(
                    "{} has already left and its route crosses a closed road: it must drive around ({:.1} km instead of {:.1}, {} min later); tell the driver",
                    v.id, shift.km_after, shift.km_before, delay
                ));
            }
            changes.shifted.push(shift);
        }
        kept_vehicles.push(nv);
    }
    let kept_services: Vec<ServiceLoad> = plan
        .services
        .iter()
        .zip(&kept_s)
        .filter(|(_, &k)| k)
        .map(|(x, _)| x.clone())
        .collect();
    for x in &kept_services {
        *used.seats.entry(x.id.clone()).or_default() += x.passengers.iter().map(|p| p.count).sum::<u32>();
    }

    // Rule 3: the residual workers are the updated scenario's minus the kept ones.
    let mut workers: BTreeMap<Key, u32> = BTreeMap::new();
    for o in &s.origins {
        for g in &o.workers {
            *workers.entry((o.id.clone(), g.to.clone(), g.accessible())).or_default() += g.count;
        }
    }
    let rest: BTreeMap<Key, u32> = workers
        .iter()
        .map(|(k, &c)| (k.clone(), c.saturating_sub(kept_workers.get(k).copied().unwrap_or(0))))
        .filter(|(_, c)| *c > 0)
        .collect();
    let r = residual(&s, &rest, &used, now);
    let any_bus = r.origins.iter().flat_map(|o| o.fleet.values()).chain(r.hubs.iter().flat_map(|h| h.fleet.values())).any(|&c| c > 0);
    let (rp, residual_bound) = if rest.is_empty() {
        (None, 0.0)
    } else if !any_bus {
        // No bus left anywhere: every residual worker is unserved, and no plan can do better.
        let unserved: Vec<Unserved> = rest
            .iter()
            .map(|((o, d, a), &c)| Unserved { origin: o.clone(), destination: d.clone(), accessible: *a, count: c, reason: UnservedReason::CapacityShort })
            .collect();
        let bound = rest.values().map(|&c| f64::from(c)).sum::<f64>() * s.objective.unserved_penalty_yuan;
        (Some((Vec::new(), Vec::new(), unserved)), bound)
    } else {
        let p = crate::plan(&r, options)?;
        (Some((p.vehicles, p.services, p.unserved)), p.lower_bound)
    };

    // Rule 4: merge, with fresh ids for the new buses.
    let (new_vehicles, new_services, unserved) = rp.unwrap_or_default();
    let mut ids: BTreeSet<String> = plan.vehicles.iter().map(|v| v.id.clone()).collect();
    let mut escorts: BTreeSet<String> = plan.vehicles.iter().map(|v| v.escort.clone()).collect();
    let mut next = plan.vehicles.iter().filter_map(|v| number_of(&v.id)).max().unwrap_or(0).saturating_add(1);
    let mut rename: BTreeMap<String, String> = BTreeMap::new();
    for v in &new_vehicles {
        while ids.contains(&format!("BUS-{next:03}")) || escorts.contains(&format!("ESC-{next:03}")) {
            next += 1;
        }
        rename.insert(v.id.clone(), format!("BUS-{next:03}"));
        ids.insert(format!("BUS-{next:03}"));
        escorts.insert(format!("ESC-{next:03}"));
        next += 1;
    }
    let fix = |moves: &[Move]| -> Vec<Move> {
        moves.iter().map(|m| Move { with: rename.get(&m.with).cloned().unwrap_or_else(|| m.with.clone()), pax: m.pax.clone() }).collect()
    };
    let mut vehicles = kept_vehicles.clone();
    for v in &new_vehicles {
        let id = rename[&v.id].clone();
        changes.new.push(id.clone());
        vehicles.push(Vehicle {
            escort: id.replacen("BUS-", "ESC-", 1),
            id,
            vehicle_type: v.vehicle_type.clone(),
            base: v.base.clone(),
            legs: v
                .legs
                .iter()
                .map(|l| Leg { boarded: fix(&l.boarded), alighted: fix(&l.alighted), ..l.clone() })
                .collect(),
        });
    }
    let mut services = Vec::new();
    for x in &s.services {
        let parts: Vec<ServiceLoad> = kept_services
            .iter()
            .filter(|k| k.id == x.id)
            .cloned()
            .chain(new_services.iter().filter(|k| k.id == x.id).map(|k| ServiceLoad { boarded: fix(&k.boarded), alighted: fix(&k.alighted), ..k.clone() }))
            .collect();
        if parts.is_empty() {
            continue;
        }
        // Rule: a service's load is the sum of the kept and the new workers on it (groups in
        // the order they first appear, so that a load kept alone stays as it was).
        let mut pax: Vec<Pax> = Vec::new();
        let (mut boarded, mut alighted) = (Vec::new(), Vec::new());
        for p in &parts {
            for q in &p.passengers {
                match pax.iter_mut().find(|x| key_of(x) == key_of(q)) {
                    Some(x) => x.count += q.count,
                    None => pax.push(q.clone()),
                }
            }
            boarded.extend(p.boarded.iter().cloned());
            alighted.extend(p.alighted.iter().cloned());
        }
        if parts.len() > 1 {
            boarded.sort();
            alighted.sort();
        }
        services.push(ServiceLoad {
            id: x.id.clone(),
            from: x.from.clone(),
            to: x.to.clone(),
            departure_min: x.departure_min,
            arrival_min: x.arrival_min,
            seats: x.seats,
            passengers: pax,
            boarded,
            alighted,
        });
    }
    let t = totals(&s, &vehicles, &services, &unserved, None);
    // The bound: any plan that keeps the kept buses and carries the rest on buses of their own
    // from now on costs the kept buses' part plus a residual plan, whose cost is at least the
    // residual's bound (the updated ready times only add worker minutes). It is not a bound on
    // plans that would re-plan kept buses too, so the status is at best Feasible.
    let kept_part = totals(&s, &kept_vehicles, &kept_services, &[], None).cost;
    let lower_bound = ((kept_part + residual_bound) * 100.0).floor() / 100.0;
    let lower_bound = lower_bound.clamp(0.0, t.cost.max(0.0));
    let gap = if t.cost > 0.0 { ((t.cost - lower_bound) / t.cost).clamp(0.0, 1.0) } else { 0.0 };
    let new_plan = Plan {
        scenario: s.name.clone(),
        status: Status::Feasible,
        strategy: options.strategy.name().to_string(),
        backend: options.backend.name().to_string(),
        seed: options.seed,
        lower_bound,
        gap,
        totals: t,
        vehicles,
        services,
        unserved,
    };
    let report = check(&s, &new_plan);
    if !report.is_ok() {
        return Err(Error::Merged(report));
    }

    // The group table.
    let before: BTreeMap<Key, u32> = bag(plan.unserved.iter().map(|u| ((u.origin.clone(), u.destination.clone(), u.accessible), u.count)));
    let after: BTreeMap<Key, u32> = bag(new_plan.unserved.iter().map(|u| ((u.origin.clone(), u.destination.clone(), u.accessible), u.count)));
    for (k, &w) in &workers {
        let get = |m: &BTreeMap<Key, u32>| m.get(k).copied().unwrap_or(0);
        let g = GroupChange {
            origin: k.0.clone(),
            destination: k.1.clone(),
            accessible: k.2,
            workers: w,
            kept: get(&kept_workers),
            replanned: get(&replanned),
            unserved_before: get(&before),
            requested: get(&requested),
            unserved_after: get(&after),
        };
        if g.replanned + g.requested + g.unserved_before + g.unserved_after > 0 {
            if g.requested > 0 && g.unserved_after > 0 {
                changes.warnings.push(format!(
                    "{} of {} workers from {} to {}{} are unserved after {} were requested",
                    g.unserved_after,
                    g.workers,
                    g.origin,
                    g.destination,
                    if g.accessible { " (accessible)" } else { "" },
                    g.requested
                ));
            }
            changes.groups.push(g);
        }
    }
    changes.workers_replanned = changes.groups.iter().map(|g| u64::from(g.replanned)).sum();
    changes.workers_requested = changes.groups.iter().map(|g| u64::from(g.requested)).sum();
    changes.unserved_before = plan.totals.workers_unserved;
    changes.unserved_after = new_plan.totals.workers_unserved;
    changes.cost_after = new_plan.totals.cost;
    Ok(Replanned { scenario: s, plan: new_plan, changes })
}

fn bag(items: impl Iterator<Item = (Key, u32)>) -> BTreeMap<Key, u32> {
    let mut out = BTreeMap::new();
    for (k, c) in items {
        *out.entry(k).or_default() += c;
    }
    out
}

/// The number at the end of an id (`BUS-017` -> 17).
fn number_of(id: &str) -> Option<u64> {
    let digits: String = id.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
    digits.parse().ok()
}
