//! Manifests: one row per worker, and one printable sheet per bus for its escort.
//!
//! Takes: a scenario, a plan for it and optionally a roster (the assignments CSV that
//! [`crate::import`] writes: who the workers of each group are). Gives: [`Manifest`], every
//! worker's itinerary, and from it a CSV ([`manifest_csv`]), an HTML file of sheets
//! ([`sheets_html`]) and the same sheets as plain text ([`sheets_text`]).
//!
//! A plan carries groups of workers ([`Pax`]: origin, destination, accessible, count), not
//! people. [`build`] follows individual workers through it, deterministically:
//! - the workers of a group `(origin, destination, accessible)` are the roster's, sorted by
//!   worker id (without a roster: `origin/destination/001`, ..., and `origin/destination/acc-001`
//!   for a group that needs accessible vehicles);
//! - at an origin, the buses leaving it in plan order (`BUS-001` first) take the group's workers
//!   in that order, as many as the leg's `passengers` say;
//! - at the end of a leg, workers whose destination it is get off; of the others, the first ones
//!   `stay_on` and the next ones follow the `alighted` moves in the order listed; on the next
//!   vehicle or service they sit in the order of its `boarded` moves;
//! - a vehicle leg or service is followed once everyone who boards it has been placed (the plan
//!   forms no cycle), so the result does not depend on the order of the JSON beyond the rules
//!   above;
//! - whoever is left at an origin is unserved, with the reasons of the plan's `unserved` list.
//!
//! Every count is checked on the way: a plan whose moves do not add up is an error
//! ([`ManifestError::Inconsistent`]), never a manifest with a worker missing or twice.
//!
//! Times are printed `HH:MM` from the plan start (hours may pass 24).

use crate::import::{self, hhmm, InputFile, Row, Table};
use busplan_core::plan::{Leg, Move, Pax, Plan, UnservedReason};
use busplan_core::scenario::{Scenario, ServiceKind};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

/// One worker of the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// Worker id (unique).
    pub worker_id: String,
    /// Name.
    pub name: String,
    /// Home village.
    pub village: String,
    /// Employer.
    pub employer: String,
    /// Departure point (origin id).
    pub departure_point: String,
    /// Drop point (destination id).
    pub district: String,
    /// Needs an accessible vehicle.
    pub accessible: bool,
}

/// Why a manifest could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The roster file has bad rows (every one listed).
    #[error("roster: {} bad rows:\n{}", .0.len(), .0.join("\n"))]
    Roster(Vec<String>),
    /// The roster does not match the scenario's worker groups (every difference listed).
    #[error("the roster does not match the scenario:\n{}", .0.join("\n"))]
    RosterMismatch(Vec<String>),
    /// The plan's moves do not add up (run `busplan check`).
    #[error("the plan is inconsistent: {0}")]
    Inconsistent(String),
}

/// One ride on a bus leg or a scheduled service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ride {
    /// Bus id (`BUS-004`) or service id (`D3812`).
    pub vehicle: String,
    /// Whether it is a scheduled service rather than a bus.
    pub service: bool,
    /// Site where the worker gets on.
    pub from: String,
    /// Site where the worker gets off (or stays on for the next leg).
    pub to: String,
    /// Departure, minutes from plan start.
    pub depart_min: u32,
    /// Arrival, minutes from plan start.
    pub arrive_min: u32,
}

/// One worker's day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Itinerary {
    /// Worker id.
    pub worker_id: String,
    /// Name (empty without a roster).
    pub name: String,
    /// Home village (empty without a roster).
    pub village: String,
    /// Employer (empty without a roster).
    pub employer: String,
    /// Origin id.
    pub origin: String,
    /// Destination id.
    pub destination: String,
    /// Needs an accessible vehicle.
    pub accessible: bool,
    /// Rides in order, one per bus leg or service; empty if unserved.
    pub rides: Vec<Ride>,
    /// Why the worker is not carried.
    pub unserved: Option<UnservedReason>,
}

impl Itinerary {
    /// The first bus, if carried.
    pub fn bus(&self) -> Option<&str> {
        self.rides.first().map(|r| r.vehicle.as_str())
    }
    /// Arrival at the drop point, if carried.
    pub fn arrival_min(&self) -> Option<u32> {
        self.rides.last().map(|r| r.arrive_min)
    }
}

/// Every worker's itinerary, sorted by worker id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// One per worker.
    pub workers: Vec<Itinerary>,
}

/// `yes`, `y`, `true`, `1`, `x`, `是` and the needs words of the import are true; empty, `no`,
/// `n`, `false`, `0`, `否` are false.
fn parse_flag(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "是" => Some(true),
        "" | "no" | "n" | "false" | "0" | "否" => Some(false),
        other => import::parse_needs(other).ok().map(|n| !n.is_empty()),
    }
}

/// Reads a roster: the assignments CSV of an import (`worker_id`, `name`, `departure_point`,
/// `district`, optional `accessible`, `village`, `employer`; other columns ignored).
pub fn parse_roster(csv: &str) -> Result<Vec<RosterEntry>, ManifestError> {
    let mut problems = Vec::new();
    let t = Table::read(csv, InputFile::Roster, &mut problems);
    let c_id = t.require(import::WORKER_ID, &mut problems);
    let c_dep = t.require(import::DEPARTURE, &mut problems);
    let c_dist = t.require(import::DISTRICT, &mut problems);
    let c_name = t.column(import::NAME);
    let c_acc = t.column(import::ACCESSIBLE).or_else(|| t.column(import::NEEDS));
    let c_village = t.column(import::VILLAGE);
    let c_emp = t.column(import::EMPLOYER);
    let mut out = Vec::new();
    if problems.is_empty() {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (line, fields) in &t.rows {
            let mut r = Row::new(fields, t.headers.len());
            let worker_id = r.text(c_id, "worker_id");
            let departure_point = r.text(c_dep, "departure_point");
            let district = r.text(c_dist, "district");
            let acc = r.get(c_acc);
            let accessible = parse_flag(acc).unwrap_or_else(|| {
                r.reasons.push(format!("accessible \"{acc}\" is neither yes nor no"));
                false
            });
            // A duplicate of a bad row is a duplicate too.
            match seen.get(&worker_id) {
                Some(first) => r.reasons.push(format!("duplicate worker id {worker_id} (first on line {first})")),
                None if !worker_id.is_empty() => {
                    seen.insert(worker_id.clone(), *line);
                }
                None => {}
            }
            if let Some(reason) = r.problem() {
                problems.push(import::bad(InputFile::Roster, *line, reason));
                continue;
            }
            out.push(RosterEntry {
                worker_id,
                name: r.get(c_name).to_string(),
                village: r.get(c_village).to_string(),
                employer: r.get(c_emp).to_string(),
                departure_point,
                district,
                accessible,
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ManifestError::Roster(problems.iter().map(ToString::to_string).collect()))
    }
}

/// A group of workers: `(origin, destination, accessible)`.
type Key = (String, String, bool);

fn key(p: &Pax) -> Key {
    (p.origin.clone(), p.destination.clone(), p.accessible)
}

/// A bus leg `(vehicle, leg)` or a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Carrier {
    Leg(usize, usize),
    Svc(usize),
}

/// The roster for a scenario: the given one checked against the groups, or synthetic ids.
fn roster_for(s: &Scenario, roster: Option<&[RosterEntry]>) -> Result<Vec<RosterEntry>, ManifestError> {
    let mut want: BTreeMap<Key, u32> = BTreeMap::new();
    for o in &s.origins {
        for g in &o.workers {
            *want.entry((o.id.clone(), g.to.clone(), g.accessible())).or_default() += g.count;
        }
    }
    let Some(roster) = roster else {
        let mut out = Vec::new();
        for ((o, d, acc), n) in &want {
            let width = n.to_string().len().max(3);
            for i in 1..=*n {
                out.push(RosterEntry {
                    worker_id: format!("{o}/{d}/{}{i:0width$}", if *acc { "acc-" } else { "" }),
                    name: String::new(),
                    village: String::new(),
                    employer: String::new(),
                    departure_point: o.clone(),
                    district: d.clone(),
                    accessible: *acc,
                });
            }
        }
        return Ok(out);
    };
    let mut have: BTreeMap<Key, u32> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    let mut diffs = Vec::new();
    for r in roster {
        if !ids.insert(r.worker_id.as_str()) {
            diffs.push(format!("worker id {} is listed twice", r.worker_id));
        }
        *have.entry((r.departure_point.clone(), r.district.clone(), r.accessible)).or_default() += 1;
    }
    let keys: BTreeSet<&Key> = want.keys().chain(have.keys()).collect();
    for k in keys {
        let (w, h) = (want.get(k).copied().unwrap_or(0), have.get(k).copied().unwrap_or(0));
        if w != h {
            diffs.push(format!(
                "{} -> {}{}: the scenario has {w} workers, the roster {h}",
                k.0,
                k.1,
                if k.2 { " (accessible)" } else { "" }
            ));
        }
    }
    if diffs.is_empty() {
        Ok(roster.to_vec())
    } else {
        Err(ManifestError::RosterMismatch(diffs))
    }
}

/// What a carrier (bus leg or service) is, whichever it is.
struct View<'a> {
    id: &'a str,
    service: bool,
    from: &'a str,
    to: &'a str,
    depart: u32,
    arrive: u32,
    passengers: &'a [Pax],
    boarded: &'a [Move],
    alighted: &'a [Move],
    stay_on: &'a [Pax],
}

/// Follows every worker through the plan. See the module documentation.
pub fn build(s: &Scenario, p: &Plan, roster: Option<&[RosterEntry]>) -> Result<Manifest, ManifestError> {
    let mut people = roster_for(s, roster)?;
    people.sort_by(|a, b| a.worker_id.cmp(&b.worker_id));
    let bad = |m: String| ManifestError::Inconsistent(m);
    // Workers waiting at their origin, by group, in worker id order.
    let mut waiting: BTreeMap<Key, VecDeque<usize>> = BTreeMap::new();
    for (i, r) in people.iter().enumerate() {
        waiting.entry((r.departure_point.clone(), r.district.clone(), r.accessible)).or_default().push_back(i);
    }
    let origins: BTreeSet<&str> = s.origins.iter().map(|o| o.id.as_str()).collect();
    let vehicle_of: BTreeMap<&str, usize> = p.vehicles.iter().enumerate().map(|(i, v)| (v.id.as_str(), i)).collect();
    let service_of: BTreeMap<&str, usize> = p.services.iter().enumerate().map(|(i, v)| (v.id.as_str(), i)).collect();

    let view = |c: Carrier| -> View<'_> {
        match c {
            Carrier::Leg(v, l) => {
                let leg: &Leg = &p.vehicles[v].legs[l];
                View {
                    id: &p.vehicles[v].id,
                    service: false,
                    from: &leg.from,
                    to: &leg.to,
                    depart: leg.depart_min,
                    arrive: leg.arrive_min,
                    passengers: &leg.passengers,
                    boarded: &leg.boarded,
                    alighted: &leg.alighted,
                    stay_on: &leg.stay_on,
                }
            }
            Carrier::Svc(i) => {
                let sv = &p.services[i];
                View {
                    id: &sv.id,
                    service: true,
                    from: &sv.from,
                    to: &sv.to,
                    depart: sv.departure_min,
                    arrive: sv.arrival_min,
                    passengers: &sv.passengers,
                    boarded: &sv.boarded,
                    alighted: &sv.alighted,
                    stay_on: &[],
                }
            }
        }
    };
    // The carrier that `with` names, leaving (or, `arriving`, reaching) `hub`.
    let resolve = |with: &str, hub: &str, arriving: bool| -> Option<Carrier> {
        if let Some(&v) = vehicle_of.get(with) {
            let legs = &p.vehicles[v].legs;
            let l = if arriving { legs.iter().rposition(|l| l.to == hub) } else { legs.iter().position(|l| l.from == hub) };
            return l.map(|l| Carrier::Leg(v, l));
        }
        let &i = service_of.get(with)?;
        let sv = &p.services[i];
        ((arriving && sv.to == hub) || (!arriving && sv.from == hub)).then_some(Carrier::Svc(i))
    };

    let mut carriers: Vec<Carrier> = Vec::new();
    for (v, veh) in p.vehicles.iter().enumerate() {
        carriers.extend((0..veh.legs.len()).map(|l| Carrier::Leg(v, l)));
    }
    carriers.extend((0..p.services.len()).map(Carrier::Svc));
    // Who must be placed before a carrier: its own previous leg and everyone it boards from.
    let mut givers: BTreeMap<Carrier, Vec<Carrier>> = BTreeMap::new();
    for &c in &carriers {
        let cv = view(c);
        let mut g = Vec::new();
        if let Carrier::Leg(v, l) = c {
            if l > 0 {
                g.push(Carrier::Leg(v, l - 1));
            }
        }
        for m in cv.boarded {
            g.push(resolve(&m.with, cv.from, true).ok_or_else(|| {
                bad(format!("{} boards workers at {} from {}, which does not arrive there", cv.id, cv.from, m.with))
            })?);
        }
        givers.insert(c, g);
    }

    let mut rides: Vec<Vec<Ride>> = vec![Vec::new(); people.len()];
    let mut delivered = vec![false; people.len()];
    let mut mail: BTreeMap<(Carrier, Carrier, Key), VecDeque<usize>> = BTreeMap::new();
    let mut done: BTreeSet<Carrier> = BTreeSet::new();
    let mut pending = carriers.clone();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for c in pending {
            if !givers[&c].iter().all(|g| done.contains(g)) {
                rest.push(c);
                continue;
            }
            let cv = view(c);
            let mut need: BTreeMap<Key, u32> = BTreeMap::new();
            for px in cv.passengers {
                *need.entry(key(px)).or_default() += px.count;
            }
            let mut on: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
            // 1. Those who stayed in their seat.
            if let Carrier::Leg(v, l) = c {
                if l > 0 {
                    let prev = Carrier::Leg(v, l - 1);
                    let keys: Vec<(Carrier, Carrier, Key)> =
                        mail.range((prev, c, Key::default())..).take_while(|(k, _)| k.0 == prev && k.1 == c).map(|(k, _)| k.clone()).collect();
                    for k in keys {
                        let list = mail.remove(&k).unwrap_or_default();
                        on.entry(k.2).or_default().extend(list);
                    }
                }
            }
            // 2. Those who board from other vehicles or services, in the order listed.
            for m in cv.boarded {
                let g = resolve(&m.with, cv.from, true).ok_or_else(|| bad(format!("{}: unknown {}", cv.id, m.with)))?;
                let k = key(&m.pax);
                let q = mail.entry((g, c, k.clone())).or_default();
                if q.len() < m.pax.count as usize {
                    return Err(bad(format!(
                        "{} boards {} workers {} -> {} at {} from {}, but only {} get off {} for it",
                        cv.id, m.pax.count, k.0, k.1, cv.from, m.with, q.len(), m.with
                    )));
                }
                let taken: Vec<usize> = q.drain(..m.pax.count as usize).collect();
                on.entry(k).or_default().extend(taken);
            }
            // 3. Those who board from home.
            if !cv.service && origins.contains(cv.from) {
                for (k, &n) in &need {
                    let have = on.get(k).map_or(0, Vec::len) as u32;
                    if k.0 == cv.from && n > have {
                        let q = waiting.entry(k.clone()).or_default();
                        let want = (n - have) as usize;
                        if q.len() < want {
                            return Err(bad(format!(
                                "{} takes {want} workers {} -> {} at {}, but only {} are left there",
                                cv.id, k.0, k.1, cv.from, q.len()
                            )));
                        }
                        on.entry(k.clone()).or_default().extend(q.drain(..want));
                    }
                }
            }
            for (k, list) in &on {
                let n = need.get(k).copied().unwrap_or(0) as usize;
                if list.len() != n {
                    return Err(bad(format!(
                        "{} from {} carries {n} workers {} -> {}, but {} get on",
                        cv.id,
                        cv.from,
                        k.0,
                        k.1,
                        list.len()
                    )));
                }
            }
            if let Some((k, _)) = need.iter().find(|(k, &n)| n > 0 && !on.contains_key(*k)) {
                return Err(bad(format!("{} from {} carries workers {} -> {} that nobody boards", cv.id, cv.from, k.0, k.1)));
            }
            for list in on.values() {
                for &w in list {
                    rides[w].push(Ride {
                        vehicle: cv.id.to_string(),
                        service: cv.service,
                        from: cv.from.to_string(),
                        to: cv.to.to_string(),
                        depart_min: cv.depart,
                        arrive_min: cv.arrive,
                    });
                }
            }
            // 4. At the end: off at the destination, or stay on, or over to another carrier.
            for (k, list) in on {
                if k.1 == cv.to {
                    for w in list {
                        delivered[w] = true;
                    }
                    continue;
                }
                let mut list: VecDeque<usize> = list.into();
                let mut out: Vec<(Carrier, u32, String)> = Vec::new();
                for px in cv.stay_on.iter().filter(|x| key(x) == k) {
                    let Carrier::Leg(v, l) = c else { unreachable!("services have no stay_on") };
                    if l + 1 >= p.vehicles[v].legs.len() {
                        return Err(bad(format!("{} keeps workers on board after its last leg", cv.id)));
                    }
                    out.push((Carrier::Leg(v, l + 1), px.count, "stay on".into()));
                }
                for m in cv.alighted.iter().filter(|m| key(&m.pax) == k) {
                    let r = resolve(&m.with, cv.to, false)
                        .ok_or_else(|| bad(format!("{} hands workers at {} to {}, which does not leave from there", cv.id, cv.to, m.with)))?;
                    out.push((r, m.pax.count, m.with.clone()));
                }
                for (r, n, what) in out {
                    if list.len() < n as usize {
                        return Err(bad(format!("{} has too few workers {} -> {} for \"{what}\" at {}", cv.id, k.0, k.1, cv.to)));
                    }
                    mail.entry((c, r, k.clone())).or_default().extend(list.drain(..n as usize));
                }
                if !list.is_empty() {
                    return Err(bad(format!(
                        "{} workers {} -> {} on {} at {} neither get off, stay on nor change",
                        list.len(),
                        k.0,
                        k.1,
                        cv.id,
                        cv.to
                    )));
                }
            }
            done.insert(c);
        }
        if rest.len() == before {
            return Err(bad("vehicles and services wait for each other in a cycle".into()));
        }
        pending = rest;
    }
    if let Some(((g, r, k), q)) = mail.iter().find(|(_, q)| !q.is_empty()) {
        let (gv, rv) = (view(*g), view(*r));
        return Err(bad(format!("{} workers {} -> {} leave {} for {} but {} does not board them", q.len(), k.0, k.1, gv.id, rv.id, rv.id)));
    }
    // Whoever is still waiting is unserved.
    let mut unserved: Vec<Option<UnservedReason>> = vec![None; people.len()];
    for u in &p.unserved {
        let k = (u.origin.clone(), u.destination.clone(), u.accessible);
        let q = waiting.entry(k).or_default();
        if q.len() < u.count as usize {
            return Err(bad(format!("{} workers {} -> {} are listed unserved but only {} are not carried", u.count, u.origin, u.destination, q.len())));
        }
        for w in q.drain(..u.count as usize) {
            unserved[w] = Some(u.reason);
        }
    }
    if let Some((k, q)) = waiting.iter().find(|(_, q)| !q.is_empty()) {
        return Err(bad(format!("{} workers {} -> {} are neither carried nor listed unserved", q.len(), k.0, k.1)));
    }
    if let Some(w) = (0..people.len()).find(|&w| unserved[w].is_none() && !delivered[w]) {
        return Err(bad(format!("worker {} never reaches {}", people[w].worker_id, people[w].district)));
    }
    let workers = people
        .into_iter()
        .zip(rides)
        .zip(unserved)
        .map(|((r, rides), unserved)| Itinerary {
            worker_id: r.worker_id,
            name: r.name,
            village: r.village,
            employer: r.employer,
            origin: r.departure_point,
            destination: r.district,
            accessible: r.accessible,
            rides,
            unserved,
        })
        .collect();
    Ok(Manifest { workers })
}

/// Plain words for an unserved reason.
pub fn reason_text(r: UnservedReason) -> &'static str {
    match r {
        UnservedReason::NoFeasibleRoute => "no route reaches the drop point in time within the rules",
        UnservedReason::CapacityShort => "buses, escorts, seats or hub space ran short",
        UnservedReason::CostlierThanPenalty => "a bus would cost more than the unserved penalty",
    }
}

fn service_word(s: &Scenario, id: &str) -> &'static str {
    match s.services.iter().find(|x| x.id == id).map(|x| x.kind) {
        Some(ServiceKind::Train) => "train",
        Some(ServiceKind::ReservedCarriage) => "reserved carriage",
        Some(ServiceKind::Flight) => "flight",
        None => "service",
    }
}

/// A worker's rides in one line: `BUS-002 00:00 chaoyang-city -> 01:18 jinzhou-sa; ...`.
fn itinerary_text(s: &Scenario, w: &Itinerary) -> String {
    w.rides
        .iter()
        .map(|r| {
            let what = if r.service { format!("{} {}", service_word(s, &r.vehicle), r.vehicle) } else { r.vehicle.clone() };
            format!("{what} {} {} -> {} {}", hhmm(r.depart_min), r.from, hhmm(r.arrive_min), r.to)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The columns of [`manifest_csv`].
pub const CSV_COLUMNS: [&str; 21] = [
    "worker_id",
    "name",
    "village",
    "employer",
    "accessible",
    "boarding_point",
    "boarding_time",
    "bus",
    "hub",
    "hub_arrival",
    "onward",
    "onward_departure",
    "hub2",
    "hub2_arrival",
    "onward2",
    "onward2_departure",
    "drop_point",
    "arrival_time",
    "deadline",
    "unserved_reason",
    "itinerary",
];

/// The manifest as CSV, one row per worker in worker id order, columns [`CSV_COLUMNS`]:
/// the first bus with boarding point and time; up to two hub stops, each with the arrival there
/// and the vehicle or service taken on (`onward`, the same bus when the worker stays in their
/// seat) and its departure; the drop point, arrival and deadline; the reason if unserved (and the
/// bus columns empty); and the whole itinerary in words. Times `HH:MM` from the plan start.
pub fn manifest_csv(s: &Scenario, m: &Manifest) -> String {
    let deadline: BTreeMap<&str, u32> = s.destinations.iter().map(|d| (d.id.as_str(), d.deadline_min)).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    for it in &m.workers {
        let mut row: Vec<String> = vec![
            it.worker_id.clone(),
            it.name.clone(),
            it.village.clone(),
            it.employer.clone(),
            if it.accessible { "yes".into() } else { String::new() },
            it.origin.clone(),
        ];
        match it.rides.first() {
            Some(r) => row.extend([hhmm(r.depart_min), r.vehicle.clone()]),
            None => row.extend([String::new(), String::new()]),
        }
        for stop in 0..2 {
            match (it.rides.get(stop), it.rides.get(stop + 1)) {
                (Some(a), Some(b)) => row.extend([a.to.clone(), hhmm(a.arrive_min), b.vehicle.clone(), hhmm(b.depart_min)]),
                _ => row.extend([String::new(), String::new(), String::new(), String::new()]),
            }
        }
        row.push(it.destination.clone());
        row.push(it.arrival_min().map(hhmm).unwrap_or_default());
        row.push(deadline.get(it.destination.as_str()).map(|&d| hhmm(d)).unwrap_or_default());
        row.push(it.unserved.map(reason_text).unwrap_or_default().to_string());
        row.push(itinerary_text(s, it));
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// What one bus's escort needs: the timetable and who rides where.
struct Sheet {
    title: String,
    facts: Vec<(String, String)>,
    /// stop, arrive, depart, gets on, gets off.
    stops: Vec<[String; 5]>,
    /// worker id, name, employer, gets on, gets off, drop point.
    riders: Vec<[String; 6]>,
}

fn site_name(s: &Scenario, id: &str) -> String {
    let name = s
        .origins
        .iter()
        .find(|o| o.id == id)
        .map(|o| o.name.as_str())
        .or_else(|| s.hubs.iter().find(|h| h.id == id).map(|h| h.name.as_str()))
        .or_else(|| s.destinations.iter().find(|d| d.id == id).map(|d| d.name.as_str()))
        .unwrap_or("");
    if name.is_empty() {
        id.to_string()
    } else {
        format!("{id} ({name})")
    }
}

fn sheets(s: &Scenario, p: &Plan, m: &Manifest) -> Vec<Sheet> {
    let mut out = Vec::new();
    for v in &p.vehicles {
        let mut facts = vec![
            ("Type".to_string(), v.vehicle_type.clone()),
            ("Escort".to_string(), v.escort.clone()),
            ("Starts at".to_string(), site_name(s, &v.base)),
            ("Plan".to_string(), format!("{} (times are hours:minutes from the plan start)", p.scenario)),
        ];
        if let Some(vt) = s.vehicle_types.iter().find(|t| t.id == v.vehicle_type) {
            facts.push(("Seats that may be used".into(), format!("{} ({} accessible)", vt.capped_seats(), vt.capped_accessible_seats())));
        }
        let sum = |xs: &[Pax]| xs.iter().map(|x| x.count).sum::<u32>();
        let moves = |xs: &[Move], word: &str| {
            let mut by: BTreeMap<&str, u32> = BTreeMap::new();
            for x in xs {
                *by.entry(x.with.as_str()).or_default() += x.pax.count;
            }
            by.iter().map(|(w, n)| format!("{n} {word} {w}")).collect::<Vec<_>>().join(", ")
        };
        let mut stops: Vec<[String; 5]> = Vec::new();
        for (i, leg) in v.legs.iter().enumerate() {
            let on = if i == 0 {
                let home = sum(&leg.passengers).saturating_sub(leg.boarded.iter().map(|x| x.pax.count).sum::<u32>());
                let mut parts = Vec::new();
                if home > 0 {
                    parts.push(format!("{home} from home"));
                }
                if !leg.boarded.is_empty() {
                    parts.push(moves(&leg.boarded, "from"));
                }
                parts.join(", ")
            } else {
                moves(&leg.boarded, "from")
            };
            if i == 0 {
                stops.push([site_name(s, &leg.from), String::new(), hhmm(leg.depart_min), on, String::new()]);
            } else if let Some(last) = stops.last_mut() {
                last[2] = hhmm(leg.depart_min);
                last[3] = on;
            }
            let delivered: u32 = leg.passengers.iter().filter(|x| x.destination == leg.to).map(|x| x.count).sum();
            let mut off = Vec::new();
            if delivered > 0 {
                off.push(format!("{delivered} get off here"));
            }
            if !leg.alighted.is_empty() {
                off.push(moves(&leg.alighted, "to"));
            }
            let stay = sum(&leg.stay_on);
            if stay > 0 {
                off.push(format!("{stay} stay on"));
            }
            stops.push([site_name(s, &leg.to), hhmm(leg.arrive_min), String::new(), String::new(), off.join(", ")]);
        }
        let mut riders: Vec<(u32, String, [String; 6])> = Vec::new();
        for w in &m.workers {
            let Some(i) = w.rides.iter().position(|r| !r.service && r.vehicle == v.id) else { continue };
            let j = w.rides.iter().rposition(|r| !r.service && r.vehicle == v.id).unwrap_or(i);
            let first = &w.rides[i];
            let last = &w.rides[j];
            let from = if i == 0 { "home".to_string() } else { format!("from {}", w.rides[i - 1].vehicle) };
            let then = match w.rides.get(j + 1) {
                Some(n) if n.service => format!("to {} {}", service_word(s, &n.vehicle), n.vehicle),
                Some(n) => format!("to {}", n.vehicle),
                None => "final".to_string(),
            };
            riders.push((
                first.depart_min,
                first.from.clone(),
                [
                    w.worker_id.clone(),
                    if w.accessible { format!("{} (accessible)", w.name) } else { w.name.clone() },
                    w.employer.clone(),
                    format!("{} {}, {from}", hhmm(first.depart_min), first.from),
                    format!("{} {}, {then}", hhmm(last.arrive_min), last.to),
                    w.destination.clone(),
                ],
            ));
        }
        riders.sort_by(|a, b| (a.0, &a.1, &a.2[5], &a.2[0]).cmp(&(b.0, &b.1, &b.2[5], &b.2[0])));
        out.push(Sheet {
            title: v.id.clone(),
            facts,
            stops,
            riders: riders.into_iter().map(|r| r.2).collect(),
        });
    }
    out
}

fn esc(t: &str) -> String {
    let mut o = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const STOP_HEAD: [&str; 5] = ["Stop", "Arrive", "Leave", "Get on", "Get off"];
const RIDER_HEAD: [&str; 7] = ["#", "Worker", "Name", "Employer", "Gets on (from)", "Gets off (then)", "\u{2713}"];

/// One printable page per bus for its escort, in one self-contained HTML file (no scripts, no
/// images, no colour needed): bus, type, escort, the timetable of stops with who gets on and
/// off, and every passenger by name with where they get on, where they change and where they
/// get off. Each bus starts a new printed page.
pub fn sheets_html(s: &Scenario, p: &Plan, m: &Manifest) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} - bus sheets</title>\n<style>\n\
         @page {{ size: A4; margin: 10mm; }}\n\
         body {{ font-family: \"Noto Sans CJK SC\", \"Source Han Sans SC\", \"Microsoft YaHei\", \"PingFang SC\", sans-serif; color: #000; background: #fff; font-size: 10pt; }}\n\
         .sheet {{ break-after: page; page-break-after: always; }}\n\
         .sheet:last-of-type {{ break-after: auto; page-break-after: auto; }}\n\
         h1 {{ font-size: 16pt; margin: 0 0 3pt 0; border-bottom: 2pt solid #000; }}\n\
         h2 {{ font-size: 11pt; margin: 6pt 0 2pt 0; }}\n\
         table {{ border-collapse: collapse; width: 100%; }}\n\
         th, td {{ border: 1px solid #000; padding: 1pt 3pt; text-align: left; vertical-align: top; }}\n\
         th {{ font-weight: bold; border-bottom: 2px solid #000; }}\n\
         tr {{ break-inside: avoid; page-break-inside: avoid; }}\n\
         dl {{ display: grid; grid-template-columns: max-content auto; gap: 1pt 10pt; margin: 0; }}\n\
         dt {{ font-weight: bold; }} dd {{ margin: 0; }}\n\
         table.riders {{ font-size: 9pt; }}\n\
         table.riders td {{ white-space: nowrap; }}\n\
         table.riders td.tick {{ width: 14pt; }}\n\
         </style>\n</head>\n<body>\n",
        esc(&p.scenario)
    );
    for sh in sheets(s, p, m) {
        let _ = write!(h, "<section class=\"sheet\">\n<h1>{}</h1>\n<dl>\n", esc(&sh.title));
        for (k, v) in &sh.facts {
            let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
        }
        let _ = writeln!(h, "<dt>Passengers (all legs)</dt><dd>{}</dd>\n</dl>", sh.riders.len());
        h.push_str("<h2>Timetable</h2>\n<table>\n<tr>");
        for c in STOP_HEAD {
            let _ = write!(h, "<th>{c}</th>");
        }
        h.push_str("</tr>\n");
        for row in &sh.stops {
            h.push_str("<tr>");
            for c in row {
                let _ = write!(h, "<td>{}</td>", esc(c));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n<h2>Passengers</h2>\n<table class=\"riders\">\n<tr>");
        for c in RIDER_HEAD {
            let _ = write!(h, "<th>{c}</th>");
        }
        h.push_str("</tr>\n");
        for (n, row) in sh.riders.iter().enumerate() {
            let _ = write!(h, "<tr><td>{}</td>", n + 1);
            // The drop point (last field) is only for sorting: "gets off" names it.
            for c in &row[..5] {
                let _ = write!(h, "<td>{}</td>", esc(c));
            }
            h.push_str("<td class=\"tick\"></td></tr>\n");
        }
        h.push_str("</table>\n</section>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// The sheets of [`sheets_html`] as plain text, pages separated by a form feed.
pub fn sheets_text(s: &Scenario, p: &Plan, m: &Manifest) -> String {
    let mut t = String::new();
    for (i, sh) in sheets(s, p, m).into_iter().enumerate() {
        if i > 0 {
            t.push('\u{c}');
        }
        let _ = writeln!(t, "{}\n{}", sh.title, "=".repeat(sh.title.len()));
        for (k, v) in &sh.facts {
            let _ = writeln!(t, "{k}: {v}");
        }
        let _ = writeln!(t, "Passengers (all legs): {}\n\nTimetable", sh.riders.len());
        for r in &sh.stops {
            let _ = writeln!(t, "  {:<5} {:<5} {}", r[1], r[2], r[0]);
            for (word, x) in [("on", &r[3]), ("off", &r[4])] {
                if !x.is_empty() {
                    let _ = writeln!(t, "              {word}: {x}");
                }
            }
        }
        let _ = writeln!(t, "\nPassengers");
        for (n, r) in sh.riders.iter().enumerate() {
            let _ = writeln!(t, "  {:>3}. {} {}{}", n + 1, r[0], r[1], if r[2].is_empty() { String::new() } else { format!(", {}", r[2]) });
            let _ = writeln!(t, "       on: {}; off: {}", r[3], r[4]);
        }
    }
    t
}
