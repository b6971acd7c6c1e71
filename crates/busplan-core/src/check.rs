//! Checker: re-verifies a [`Plan`] against its [`Scenario`] without the model.
//!
//! Takes: a scenario and a plan (typically read back from JSON). Gives: [`CheckReport`], every
//! [`Violation`] found, each with a stable code (see [`codes`]). The checker uses only the
//! scenario, the plan and the travel table, never the allocation model or a solver, so it is an
//! independent witness that a plan can be followed on the day. It never panics, whatever the
//! plan holds (unknown ids, no legs, absurd numbers): it reports.
//!
//! Workers are accounted by commodity: (origin, destination, accessible). Groups of the
//! scenario with the same key are summed.
//!
//! Order of the report: the findings about each vehicle in plan order, then those about each
//! service load in plan order, then those about the whole plan (worker accounting, fleets,
//! escorts, hub sizes, unserved entries, totals last); within each of these groups, by code.
//! Legs are numbered from 1 in messages.
//!
//! Tolerances: leg km within 0.05 of the travel table; totals within `1e-6 * max(1, |value|)`,
//! plus 0.01 for amounts in yuan.
//!
//! Changes of vehicle (C12) are checked soundly but not completely: a change is reported when
//! every worker who makes it must already have changed vehicle `max_transfers` times (the
//! fewest changes any worker of that commodity can have made to reach the giving bus or
//! service). Mixed loads where only the counts force a worker over the limit are not detected.

use crate::plan::{Move, Pax, Plan, Vehicle};
use crate::scenario::{Hub, Scenario, Service, VehicleType};
use crate::travel::TravelTable;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Stable code of the check, `C01` to `C14` (see [`codes`]).
    pub code: String,
    /// A plain sentence naming the vehicle, leg, service or site concerned.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

/// Everything the checker found wrong with a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The violations, in report order (vehicles, services, then the whole plan).
    pub violations: Vec<Violation>,
}

impl CheckReport {
    /// Whether the plan passes every check.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// Whether some violation has this code (`"C03"`).
    pub fn has(&self, code: &str) -> bool {
        self.violations.iter().any(|v| v.code == code)
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.violations.is_empty() {
            return f.write_str("plan passes every check");
        }
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

const CODES: &[(&str, &str)] = &[
    ("C01", "worker accounting: every worker boards at home once and arrives once, or is listed unserved"),
    ("C02", "ids: vehicle types, sites, services and move partners exist; vehicle and service ids are unique"),
    ("C03", "capacity: capped seats and accessible seats of buses, seats and accessibility of services"),
    ("C04", "leg shape: one or two chained legs from the base, hubs in between, right workers, km of the travel table"),
    ("C05", "conservation at hubs and on services: nobody appears or vanishes"),
    ("C06", "moves: every transfer at a hub is mirrored by the other bus or service, at the right hub"),
    ("C07", "fleet: buses based at each origin or hub within its fleet, none at destinations"),
    ("C08", "escorts: each bus has its own escort, within the escorts of its base"),
    ("C09", "hub size: buses at a hub within its max_buses"),
    ("C10", "timetable: driving times, ready times, transfer times, service timetable"),
    ("C11", "deadlines at destinations"),
    ("C12", "rules: changes of vehicle per worker within max_transfers"),
    ("C13", "totals, cost, bound and gap recomputed from the plan"),
    ("C14", "unserved entries: positive counts of workers of the scenario"),
];

/// Every check code with a one-line description, in code order.
pub fn codes() -> &'static [(&'static str, &'static str)] {
    CODES
}

/// Checks a plan against its scenario and lists every violation (never panics).
pub fn check(scenario: &Scenario, plan: &Plan) -> CheckReport {
    let cx = Ctx::new(scenario, plan);
    let mut vehicle_out: Vec<Vec<Violation>> = vec![Vec::new(); plan.vehicles.len()];
    let mut service_out: Vec<Vec<Violation>> = vec![Vec::new(); plan.services.len()];
    let mut global: Vec<Violation> = Vec::new();

    let mut escorts: BTreeMap<&str, &str> = BTreeMap::new();
    for (vi, out) in vehicle_out.iter_mut().enumerate() {
        check_vehicle(&cx, vi, out, &mut escorts);
    }
    for (si, out) in service_out.iter_mut().enumerate() {
        check_service(&cx, si, out);
    }
    let graph = Transfers::new(&cx);
    graph.check_matching(&cx, &mut vehicle_out, &mut service_out, &mut global);
    graph.check_changes(&cx, &mut vehicle_out, &mut service_out, &mut global);

    if let Some(e) = &cx.table_error {
        push(
            &mut global,
            "C04",
            format!("the travel table cannot be built ({e}), so leg km and driving times are not checked"),
        );
    }
    let accounting = check_accounting(&cx, &mut global);
    check_fleet(&cx, &mut global);
    check_hub_size(&cx, &mut global);
    check_unserved(&cx, &mut global);
    check_totals(&cx, &accounting, &mut global);

    let mut violations = Vec::new();
    for mut group in vehicle_out
        .into_iter()
        .chain(service_out)
        .chain(std::iter::once(global))
    {
        group.sort_by(|a, b| a.code.cmp(&b.code));
        violations.extend(group);
    }
    CheckReport { violations }
}

fn push(out: &mut Vec<Violation>, code: &str, message: String) {
    out.push(Violation {
        code: code.to_string(),
        message,
    });
}

/// A commodity: (origin, destination, accessible).
type Key = (String, String, bool);
/// Workers by commodity.
type Bag = BTreeMap<Key, u64>;

fn key_of(p: &Pax) -> Key {
    (p.origin.clone(), p.destination.clone(), p.accessible)
}

fn bag_of<'a>(pax: impl IntoIterator<Item = &'a Pax>) -> Bag {
    let mut bag = Bag::new();
    for p in pax {
        add(&mut bag, p);
    }
    bag
}

fn bag_of_moves(moves: &[Move]) -> Bag {
    bag_of(moves.iter().map(|m| &m.pax))
}

fn add(bag: &mut Bag, p: &Pax) {
    if p.count > 0 {
        *bag.entry(key_of(p)).or_default() += u64::from(p.count);
    }
}

fn merged(a: &Bag, b: &Bag) -> Bag {
    let mut out = a.clone();
    for (k, n) in b {
        *out.entry(k.clone()).or_default() += n;
    }
    out
}

fn count_of(pax: &[Pax]) -> u64 {
    pax.iter().map(|p| u64::from(p.count)).sum()
}

fn accessible_count_of(pax: &[Pax]) -> u64 {
    pax.iter()
        .filter(|p| p.accessible)
        .map(|p| u64::from(p.count))
        .sum()
}

fn show_key(k: &Key) -> String {
    format!(
        "{} to {}{}",
        k.0,
        k.1,
        if k.2 { " (accessible)" } else { "" }
    )
}

/// The commodities where two bags differ: `o1 to d1: 30 vs 29`.
fn show_diff(a: &Bag, b: &Bag) -> String {
    let keys: BTreeSet<&Key> = a.keys().chain(b.keys()).collect();
    let parts: Vec<String> = keys
        .into_iter()
        .filter_map(|k| {
            let x = a.get(k).copied().unwrap_or(0);
            let y = b.get(k).copied().unwrap_or(0);
            (x != y).then(|| format!("{}: {x} vs {y}", show_key(k)))
        })
        .collect();
    parts.join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    Origin(usize),
    Hub(usize),
    Destination(usize),
}

/// What the `with` of a move names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Other {
    /// Index of the vehicle (first with that id) in the plan.
    Vehicle(usize),
    /// Index of the service in the scenario.
    Service(usize),
    Unknown,
}

struct Ctx<'a> {
    sc: &'a Scenario,
    plan: &'a Plan,
    sites: BTreeMap<&'a str, Site>,
    table: Option<TravelTable>,
    table_error: Option<String>,
    /// Scenario workers by commodity.
    workers: Bag,
    /// First plan index of each vehicle id.
    vehicle_at: BTreeMap<&'a str, usize>,
    /// Scenario index of each service id (first).
    service_at: BTreeMap<&'a str, usize>,
    /// First plan index of each service load id.
    load_at: BTreeMap<&'a str, usize>,
}

impl<'a> Ctx<'a> {
    fn new(sc: &'a Scenario, plan: &'a Plan) -> Self {
        let mut sites = BTreeMap::new();
        for (i, o) in sc.origins.iter().enumerate() {
            sites.entry(o.id.as_str()).or_insert(Site::Origin(i));
        }
        for (i, h) in sc.hubs.iter().enumerate() {
            sites.entry(h.id.as_str()).or_insert(Site::Hub(i));
        }
        for (i, d) in sc.destinations.iter().enumerate() {
            sites.entry(d.id.as_str()).or_insert(Site::Destination(i));
        }
        let (table, table_error) = match TravelTable::new(sc) {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let mut workers = Bag::new();
        for o in &sc.origins {
            for g in &o.workers {
                *workers
                    .entry((o.id.clone(), g.to.clone(), g.accessible()))
                    .or_default() += u64::from(g.count);
            }
        }
        let mut vehicle_at = BTreeMap::new();
        for (i, v) in plan.vehicles.iter().enumerate() {
            vehicle_at.entry(v.id.as_str()).or_insert(i);
        }
        let mut service_at = BTreeMap::new();
        for (i, s) in sc.services.iter().enumerate() {
            service_at.entry(s.id.as_str()).or_insert(i);
        }
        let mut load_at = BTreeMap::new();
        for (i, s) in plan.services.iter().enumerate() {
            load_at.entry(s.id.as_str()).or_insert(i);
        }
        Ctx {
            sc,
            plan,
            sites,
            table,
            table_error,
            workers,
            vehicle_at,
            service_at,
            load_at,
        }
    }

    fn site(&self, id: &str) -> Option<Site> {
        self.sites.get(id).copied()
    }

    fn hub(&self, id: &str) -> Option<&'a Hub> {
        match self.site(id) {
            Some(Site::Hub(h)) => self.sc.hubs.get(h),
            _ => None,
        }
    }

    fn other(&self, with: &str) -> Other {
        if let Some(&v) = self.vehicle_at.get(with) {
            Other::Vehicle(v)
        } else if let Some(&s) = self.service_at.get(with) {
            Other::Service(s)
        } else {
            Other::Unknown
        }
    }

    fn service(&self, id: &str) -> Option<&'a Service> {
        self.service_at
            .get(id)
            .and_then(|&i| self.sc.services.get(i))
    }

    fn vehicle_type(&self, v: &Vehicle) -> Option<(usize, &'a VehicleType)> {
        let i = self.sc.vehicle_type_index(&v.vehicle_type)?;
        Some((i, self.sc.vehicle_types.get(i)?))
    }

    /// Arrival of vehicle `vi` at `hub`, preferring the leg that hands workers to `taker`.
    fn arrival_at(&self, vi: usize, hub: &str, taker: &str) -> Option<u32> {
        let legs = &self.plan.vehicles.get(vi)?.legs;
        legs.iter()
            .find(|l| l.to == hub && l.alighted.iter().any(|m| m.with == taker))
            .or_else(|| legs.iter().find(|l| l.to == hub))
            .map(|l| l.arrive_min)
    }

    /// The first leg of vehicle `vi` that leaves `hub`.
    fn leg_from(&self, vi: usize, hub: &str) -> Option<usize> {
        self.plan
            .vehicles
            .get(vi)?
            .legs
            .iter()
            .position(|l| l.from == hub)
    }

    fn stops_at(&self, vi: usize, hub: &str) -> bool {
        self.plan
            .vehicles
            .get(vi)
            .is_some_and(|v| v.legs.iter().any(|l| l.to == hub))
    }

    /// Where a service boards and alights workers: the scenario's hubs, else the plan's.
    fn service_ends(&self, si: usize) -> (&'a str, &'a str) {
        let load = &self.plan.services[si];
        match self.service(&load.id) {
            Some(s) => (s.from.as_str(), s.to.as_str()),
            None => (load.from.as_str(), load.to.as_str()),
        }
    }
}

/// How messages name a vehicle: its id, or its position when the id is empty.
fn label(v: &Vehicle, vi: usize) -> String {
    if v.id.trim().is_empty() {
        format!("vehicle {}", vi + 1)
    } else {
        v.id.clone()
    }
}

fn check_vehicle<'a>(
    cx: &Ctx<'a>,
    vi: usize,
    out: &mut Vec<Violation>,
    escorts: &mut BTreeMap<&'a str, &'a str>,
) {
    let v = &cx.plan.vehicles[vi];
    let name = &label(v, vi);
    if v.id.trim().is_empty() {
        push(out, "C02", format!("vehicle {} has an empty id", vi + 1));
    } else if cx.vehicle_at.get(v.id.as_str()) != Some(&vi) {
        push(
            out,
            "C02",
            format!(
                "{name} (vehicle {}) repeats the id of an earlier vehicle",
                vi + 1
            ),
        );
    }
    if cx.service_at.contains_key(v.id.as_str()) {
        push(
            out,
            "C02",
            format!("{name} is also the id of a service, so moves with it are ambiguous"),
        );
    }
    let vt = cx.vehicle_type(v);
    if vt.is_none() {
        push(
            out,
            "C02",
            format!("{name} has unknown vehicle type \"{}\"", v.vehicle_type),
        );
    }
    let base = cx.site(&v.base);
    match base {
        None => push(
            out,
            "C02",
            format!("{name} is based at unknown site \"{}\"", v.base),
        ),
        Some(Site::Destination(_)) => push(
            out,
            "C04",
            format!(
                "{name} is based at destination {}; buses start at an origin or a hub",
                v.base
            ),
        ),
        _ => {}
    }
    if v.escort.trim().is_empty() {
        push(out, "C08", format!("{name} has no escort"));
    } else if let Some(prev) = escorts.get(v.escort.as_str()) {
        push(
            out,
            "C08",
            format!("{name} has escort {}, who already escorts {prev}", v.escort),
        );
    } else {
        escorts.insert(v.escort.as_str(), v.id.as_str());
    }

    let n = v.legs.len();
    if n == 0 || n > 2 {
        push(
            out,
            "C04",
            format!("{name} has {n} legs; a bus drives one or two"),
        );
    }
    if let Some(first) = v.legs.first() {
        if first.from != v.base {
            push(
                out,
                "C04",
                format!(
                    "{name} leg 1 starts at {} but the bus is based at {}",
                    first.from, v.base
                ),
            );
        }
    }
    for li in 0..n {
        check_leg(cx, vi, li, vt, out);
    }
}

fn check_leg(
    cx: &Ctx<'_>,
    vi: usize,
    li: usize,
    vt: Option<(usize, &VehicleType)>,
    out: &mut Vec<Violation>,
) {
    let v = &cx.plan.vehicles[vi];
    let leg = &v.legs[li];
    let name = label(v, vi);
    let at = format!("{name} leg {}", li + 1);
    let from = cx.site(&leg.from);
    let to = cx.site(&leg.to);
    let prev = li.checked_sub(1).and_then(|i| v.legs.get(i));
    let next = v.legs.get(li + 1);

    // C02: ids.
    if from.is_none() {
        push(
            out,
            "C02",
            format!("{at} starts at unknown site \"{}\"", leg.from),
        );
    }
    if to.is_none() {
        push(
            out,
            "C02",
            format!("{at} ends at unknown site \"{}\"", leg.to),
        );
    }
    // C01: commodities that do not exist.
    for p in &leg.passengers {
        if !cx.workers.contains_key(&key_of(p)) {
            push(
                out,
                "C01",
                format!(
                    "{at} carries {} workers {} but the scenario has no such workers",
                    p.count,
                    show_key(&key_of(p))
                ),
            );
        }
    }
    // C02 and C06: move partners.
    for (moves, boarding) in [(&leg.boarded, true), (&leg.alighted, false)] {
        let hub = if boarding { &leg.from } else { &leg.to };
        for with in moves
            .iter()
            .map(|m| m.with.as_str())
            .collect::<BTreeSet<_>>()
        {
            if with == v.id {
                push(
                    out,
                    "C06",
                    if boarding {
                        format!("{at} takes workers from its own bus at {hub}")
                    } else {
                        format!("{at} hands workers to its own bus at {hub}")
                    },
                );
                continue;
            }
            match cx.other(with) {
                Other::Unknown => push(
                    out,
                    "C02",
                    format!(
                        "{at} moves workers at {hub} with unknown vehicle or service \"{with}\""
                    ),
                ),
                Other::Service(s) => {
                    let svc = &cx.sc.services[s];
                    if boarding && svc.to != *hub {
                        push(
                            out,
                            "C06",
                            format!(
                                "{at} takes workers off {with} at {hub}, but {with} arrives at {}",
                                svc.to
                            ),
                        );
                    }
                    if !boarding && svc.from != *hub {
                        push(
                            out,
                            "C06",
                            format!(
                                "{at} hands workers to {with} at {hub}, but {with} leaves from {}",
                                svc.from
                            ),
                        );
                    }
                }
                Other::Vehicle(_) => {}
            }
        }
    }

    // C03: capacity.
    if let Some((_, t)) = vt {
        let total = count_of(&leg.passengers);
        let cap = t.capped_seats();
        if total > u64::from(cap) {
            push(
                out,
                "C03",
                format!("{at} carries {total} workers but a {} may take {cap}", t.id),
            );
        }
        let acc = accessible_count_of(&leg.passengers);
        let acap = t.capped_accessible_seats();
        if acc > u64::from(acap) {
            push(
                out,
                "C03",
                format!(
                    "{at} carries {acc} workers who need accessible seats but a {} has {acap}",
                    t.id
                ),
            );
        }
    }

    // C04: shape.
    if let Some(p) = prev {
        if p.to != leg.from {
            push(
                out,
                "C04",
                format!("{at} starts at {} but leg {li} ended at {}", leg.from, p.to),
            );
        }
    }
    if leg.from == leg.to {
        push(out, "C04", format!("{at} starts and ends at {}", leg.from));
    }
    match from {
        Some(Site::Origin(_)) => {
            for p in leg
                .passengers
                .iter()
                .filter(|p| p.origin != leg.from && p.count > 0)
            {
                push(
                    out,
                    "C04",
                    format!(
                        "{at} leaves origin {} with {} workers from {}",
                        leg.from, p.count, p.origin
                    ),
                );
            }
            if !leg.boarded.is_empty() {
                push(
                    out,
                    "C04",
                    format!(
                        "{at} leaves origin {} but lists workers boarding from other vehicles",
                        leg.from
                    ),
                );
            }
        }
        Some(Site::Destination(_)) => {
            let reported = li == 0 || prev.is_some_and(|p| p.to == leg.from);
            if !reported {
                push(
                    out,
                    "C04",
                    format!(
                        "{at} leaves destination {}; workers get off there",
                        leg.from
                    ),
                );
            }
        }
        _ => {}
    }
    match to {
        Some(Site::Destination(_)) => {
            for p in leg
                .passengers
                .iter()
                .filter(|p| p.destination != leg.to && p.count > 0)
            {
                push(
                    out,
                    "C04",
                    format!(
                        "{at} ends at destination {} with {} workers for {}",
                        leg.to, p.count, p.destination
                    ),
                );
            }
            if !leg.alighted.is_empty() || !leg.stay_on.is_empty() {
                push(
                    out,
                    "C04",
                    format!(
                        "{at} ends at destination {} but lists transfers or workers staying on",
                        leg.to
                    ),
                );
            }
        }
        Some(Site::Origin(_)) => {
            push(
                out,
                "C04",
                format!(
                    "{at} ends at origin {}; buses drive to hubs and destinations",
                    leg.to
                ),
            );
        }
        _ => {}
    }
    if next.is_some() && matches!(to, Some(Site::Destination(_))) {
        push(
            out,
            "C04",
            format!(
                "{at} ends at {}, which is not a hub, yet the bus drives on",
                leg.to
            ),
        );
    }
    if let (Some(table), Some(_), Some(_)) = (&cx.table, from, to) {
        match table.km(&leg.from, &leg.to) {
            None => push(
                out,
                "C04",
                format!(
                    "{at}: no road links {} and {} in the travel table",
                    leg.from, leg.to
                ),
            ),
            Some(km) if !within(leg.km, km, 0.05) => push(
                out,
                "C04",
                format!(
                    "{at} is {} km but the travel table gives {km} km from {} to {}",
                    leg.km, leg.from, leg.to
                ),
            ),
            Some(_) => {}
        }
    }

    // C05: conservation at hubs.
    let aboard = bag_of(&leg.passengers);
    if li == 0 && leg.from == v.base && matches!(from, Some(Site::Hub(_))) {
        let boarded = bag_of_moves(&leg.boarded);
        if aboard != boarded {
            push(
                out,
                "C05",
                format!(
                    "{at} leaves hub {} where the bus is based with workers that do not match those who board ({})",
                    leg.from,
                    show_diff(&aboard, &boarded)
                ),
            );
        }
    }
    if matches!(to, Some(Site::Hub(_))) {
        let stay = bag_of(&leg.stay_on);
        let off = bag_of_moves(&leg.alighted);
        if let Some(next) = next {
            let accounted = merged(&stay, &off);
            if aboard != accounted {
                push(
                    out,
                    "C05",
                    format!(
                        "{at} arrives at hub {} with workers that do not match those who stay on plus those who get off ({})",
                        leg.to,
                        show_diff(&aboard, &accounted)
                    ),
                );
            }
            let next_aboard = bag_of(&next.passengers);
            let expected = merged(&stay, &bag_of_moves(&next.boarded));
            if next_aboard != expected {
                push(
                    out,
                    "C05",
                    format!(
                        "{} leg {} leaves hub {} with workers that do not match those who stayed on plus those who boarded ({})",
                        name,
                        li + 2,
                        leg.to,
                        show_diff(&next_aboard, &expected)
                    ),
                );
            }
        } else {
            if !stay.is_empty() {
                push(
                    out,
                    "C05",
                    format!("{at} ends at hub {} but lists workers staying on", leg.to),
                );
            }
            if aboard != off {
                push(
                    out,
                    "C05",
                    format!(
                        "{at} ends at hub {} with workers that do not match those who get off ({})",
                        leg.to,
                        show_diff(&aboard, &off)
                    ),
                );
            }
        }
    }

    // C10: timetable.
    let dep = u64::from(leg.depart_min);
    let arr = u64::from(leg.arrive_min);
    if arr < dep {
        push(
            out,
            "C10",
            format!("{at} arrives at {arr} before it departs at {dep}"),
        );
    } else if let (Some(table), Some((ti, t))) = (&cx.table, vt) {
        if let Some(need) = table.minutes(&leg.from, &leg.to, cx.sc.speed_of(ti)) {
            if arr < dep + u64::from(need) {
                push(
                    out,
                    "C10",
                    format!(
                        "{at} takes {} min from {} to {} but a {} needs {need} min",
                        arr - dep,
                        leg.from,
                        leg.to,
                        t.id
                    ),
                );
            }
        }
    }
    if let (0, Some(Site::Origin(o))) = (li, from) {
        let ready = cx.sc.origins[o].ready_min;
        if dep < u64::from(ready) {
            push(
                out,
                "C10",
                format!(
                    "{at} leaves {} at {dep}, before the workers are ready at {ready}",
                    leg.from
                ),
            );
        }
    }
    if let Some(hub) = cx.hub(&leg.from) {
        let tr = u64::from(hub.transfer_min);
        if let Some(p) = prev {
            if p.to == leg.from && dep < u64::from(p.arrive_min) + tr {
                push(
                    out,
                    "C10",
                    format!(
                        "{at} leaves hub {} at {dep}, less than {tr} min after the bus arrived at {}",
                        leg.from, p.arrive_min
                    ),
                );
            }
        }
        for with in leg
            .boarded
            .iter()
            .map(|m| m.with.as_str())
            .collect::<BTreeSet<_>>()
        {
            if with == v.id {
                continue;
            }
            let (what, arrival) = match cx.other(with) {
                Other::Vehicle(j) => ("arrives", cx.arrival_at(j, &leg.from, &v.id)),
                Other::Service(s) => ("is due", Some(cx.sc.services[s].arrival_min)),
                Other::Unknown => ("", None),
            };
            if let Some(a) = arrival {
                if dep < u64::from(a) + tr {
                    push(
                        out,
                        "C10",
                        format!(
                            "{at} leaves hub {} at {dep} with workers from {with}, which {what} at {a}; {tr} min are needed to transfer",
                            leg.from
                        ),
                    );
                }
            }
        }
    }
    if let Some(hub) = cx.hub(&leg.to) {
        let tr = u64::from(hub.transfer_min);
        for with in leg
            .alighted
            .iter()
            .map(|m| m.with.as_str())
            .collect::<BTreeSet<_>>()
        {
            if let Other::Service(s) = cx.other(with) {
                let svc = &cx.sc.services[s];
                if u64::from(svc.departure_min) < arr + tr {
                    push(
                        out,
                        "C10",
                        format!(
                            "{at} reaches hub {} at {arr}, too late for {with} leaving at {} ({tr} min are needed to transfer)",
                            leg.to, svc.departure_min
                        ),
                    );
                }
            }
        }
    }

    // C11: deadlines.
    if let Some(Site::Destination(d)) = to {
        let deadline = cx.sc.destinations[d].deadline_min;
        if arr > u64::from(deadline) {
            push(
                out,
                "C11",
                format!(
                    "{at} reaches {} at {arr}, after its deadline {deadline}",
                    leg.to
                ),
            );
        }
    }
}

fn check_service(cx: &Ctx<'_>, si: usize, out: &mut Vec<Violation>) {
    let load = &cx.plan.services[si];
    let name = &load.id;
    if cx.load_at.get(load.id.as_str()) != Some(&si) {
        push(
            out,
            "C02",
            format!("service {name} is listed more than once"),
        );
    }
    let svc = cx.service(&load.id);
    if svc.is_none() {
        push(
            out,
            "C02",
            format!("service load {} names unknown service \"{name}\"", si + 1),
        );
    }
    for p in &load.passengers {
        if !cx.workers.contains_key(&key_of(p)) {
            push(
                out,
                "C01",
                format!(
                    "service {name} carries {} workers {} but the scenario has no such workers",
                    p.count,
                    show_key(&key_of(p))
                ),
            );
        }
    }
    for m in load.boarded.iter().chain(&load.alighted) {
        match cx.other(&m.with) {
            Other::Unknown => {
                push(out, "C02", format!("service {name} moves workers with unknown vehicle \"{}\"", m.with));
            }
            Other::Service(_) => push(
                out,
                "C06",
                format!("service {name} moves workers directly with service {}; workers change between services only by bus", m.with),
            ),
            Other::Vehicle(_) => {}
        }
    }
    let aboard = bag_of(&load.passengers);
    if let Some(s) = svc {
        if load.from != s.from
            || load.to != s.to
            || load.departure_min != s.departure_min
            || load.arrival_min != s.arrival_min
        {
            push(
                out,
                "C10",
                format!(
                    "service {name} runs from {} at {} to {} at {} in the plan, but from {} at {} to {} at {} in the scenario",
                    load.from, load.departure_min, load.to, load.arrival_min, s.from, s.departure_min, s.to, s.arrival_min
                ),
            );
        }
        if load.seats != s.seats {
            push(
                out,
                "C03",
                format!(
                    "service {name} offers {} seats in the plan but {} in the scenario",
                    load.seats, s.seats
                ),
            );
        }
        let total = count_of(&load.passengers);
        if total > u64::from(s.seats) {
            push(
                out,
                "C03",
                format!(
                    "service {name} carries {total} workers but has {} seats",
                    s.seats
                ),
            );
        }
        let acc = accessible_count_of(&load.passengers);
        if acc > 0 && !s.accessible {
            push(out, "C03", format!("service {name} carries {acc} workers who need accessibility but is not accessible"));
        }
    }
    let boarded = bag_of_moves(&load.boarded);
    if aboard != boarded {
        push(
            out,
            "C05",
            format!(
                "service {name}: workers on board do not match those who board ({})",
                show_diff(&aboard, &boarded)
            ),
        );
    }
    let alighted = bag_of_moves(&load.alighted);
    if aboard != alighted {
        push(
            out,
            "C05",
            format!(
                "service {name}: workers on board do not match those who get off ({})",
                show_diff(&aboard, &alighted)
            ),
        );
    }
}

/// Who owns a finding about a transfer: a vehicle, a service load, or the plan.
#[derive(Debug, Clone, Copy)]
enum Owner {
    Vehicle(usize),
    Service(usize),
    Plan,
}

fn route(
    owner: Owner,
    v: Violation,
    vehicle_out: &mut [Vec<Violation>],
    service_out: &mut [Vec<Violation>],
    global: &mut Vec<Violation>,
) {
    let slot = match owner {
        Owner::Vehicle(i) => vehicle_out.get_mut(i),
        Owner::Service(i) => service_out.get_mut(i),
        Owner::Plan => None,
    };
    slot.unwrap_or(global).push(v);
}

/// Where workers are: a leg of a vehicle or a service load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pos {
    Leg(usize, usize),
    Service(usize),
}

/// A change of vehicle of some workers, as listed by the giving side.
struct Hand {
    from: Pos,
    to: Option<Pos>,
    giver: Owner,
    giver_id: String,
    taker_id: String,
    hub: String,
    count: u64,
}

/// Transfers recorded by both sides, and the change graph of each commodity.
struct Transfers {
    /// (giver id, taker id, hub, commodity) -> (workers handed by the giver, taken by the taker).
    pairs: BTreeMap<(String, String, String, Key), (u64, u64)>,
    /// Per commodity: the moves (giver side).
    hands: BTreeMap<Key, Vec<Hand>>,
    /// Per commodity: legs where workers stay on: (leg, next leg).
    stays: BTreeMap<Key, Vec<(Pos, Pos)>>,
    /// Per commodity: first legs from its origin carrying it.
    sources: BTreeMap<Key, Vec<Pos>>,
}

impl Transfers {
    fn new(cx: &Ctx<'_>) -> Self {
        let mut t = Transfers {
            pairs: BTreeMap::new(),
            hands: BTreeMap::new(),
            stays: BTreeMap::new(),
            sources: BTreeMap::new(),
        };
        for (vi, v) in cx.plan.vehicles.iter().enumerate() {
            for (li, leg) in v.legs.iter().enumerate() {
                if li == 0 {
                    for p in leg
                        .passengers
                        .iter()
                        .filter(|p| p.count > 0 && p.origin == leg.from)
                    {
                        t.sources
                            .entry(key_of(p))
                            .or_default()
                            .push(Pos::Leg(vi, li));
                    }
                }
                if li + 1 < v.legs.len() {
                    for p in leg.stay_on.iter().filter(|p| p.count > 0) {
                        t.stays
                            .entry(key_of(p))
                            .or_default()
                            .push((Pos::Leg(vi, li), Pos::Leg(vi, li + 1)));
                    }
                }
                for m in leg
                    .alighted
                    .iter()
                    .filter(|m| m.pax.count > 0 && m.with != v.id)
                {
                    let to = match cx.other(&m.with) {
                        Other::Unknown => continue,
                        Other::Vehicle(j) => cx.leg_from(j, &leg.to).map(|l| Pos::Leg(j, l)),
                        Other::Service(_) => {
                            cx.load_at.get(m.with.as_str()).map(|&s| Pos::Service(s))
                        }
                    };
                    t.pairs
                        .entry((v.id.clone(), m.with.clone(), leg.to.clone(), key_of(&m.pax)))
                        .or_default()
                        .0 += u64::from(m.pax.count);
                    t.hands.entry(key_of(&m.pax)).or_default().push(Hand {
                        from: Pos::Leg(vi, li),
                        to,
                        giver: Owner::Vehicle(vi),
                        giver_id: v.id.clone(),
                        taker_id: m.with.clone(),
                        hub: leg.to.clone(),
                        count: u64::from(m.pax.count),
                    });
                }
                for m in leg
                    .boarded
                    .iter()
                    .filter(|m| m.pax.count > 0 && m.with != v.id)
                {
                    if cx.other(&m.with) == Other::Unknown {
                        continue;
                    }
                    t.pairs
                        .entry((
                            m.with.clone(),
                            v.id.clone(),
                            leg.from.clone(),
                            key_of(&m.pax),
                        ))
                        .or_default()
                        .1 += u64::from(m.pax.count);
                }
            }
        }
        for (si, load) in cx.plan.services.iter().enumerate() {
            if cx.service(&load.id).is_none() {
                continue;
            }
            let (from, to) = cx.service_ends(si);
            for m in load.boarded.iter().filter(|m| m.pax.count > 0) {
                if let Other::Vehicle(_) = cx.other(&m.with) {
                    t.pairs
                        .entry((
                            m.with.clone(),
                            load.id.clone(),
                            from.to_string(),
                            key_of(&m.pax),
                        ))
                        .or_default()
                        .1 += u64::from(m.pax.count);
                }
            }
            for m in load.alighted.iter().filter(|m| m.pax.count > 0) {
                if let Other::Vehicle(j) = cx.other(&m.with) {
                    t.pairs
                        .entry((
                            load.id.clone(),
                            m.with.clone(),
                            to.to_string(),
                            key_of(&m.pax),
                        ))
                        .or_default()
                        .0 += u64::from(m.pax.count);
                    t.hands.entry(key_of(&m.pax)).or_default().push(Hand {
                        from: Pos::Service(si),
                        to: cx.leg_from(j, to).map(|l| Pos::Leg(j, l)),
                        giver: Owner::Service(si),
                        giver_id: load.id.clone(),
                        taker_id: m.with.clone(),
                        hub: to.to_string(),
                        count: u64::from(m.pax.count),
                    });
                }
            }
        }
        t
    }

    fn owner_of(cx: &Ctx<'_>, id: &str) -> Owner {
        if let Some(&v) = cx.vehicle_at.get(id) {
            Owner::Vehicle(v)
        } else if let Some(&s) = cx.load_at.get(id) {
            Owner::Service(s)
        } else {
            Owner::Plan
        }
    }

    /// C06: each transfer is recorded alike by the giver and the taker.
    fn check_matching(
        &self,
        cx: &Ctx<'_>,
        vehicle_out: &mut [Vec<Violation>],
        service_out: &mut [Vec<Violation>],
        global: &mut Vec<Violation>,
    ) {
        for ((giver, taker, hub, key), &(gave, took)) in &self.pairs {
            if gave == took {
                continue;
            }
            let k = show_key(key);
            let (owner, message) = if took == 0 {
                let why = match cx.other(taker) {
                    Other::Vehicle(j) if cx.leg_from(j, hub).is_none() => {
                        format!("{taker} does not leave from {hub}")
                    }
                    Other::Service(_) if !cx.load_at.contains_key(taker.as_str()) => {
                        format!("{taker} is not among the plan's services")
                    }
                    _ => format!("{taker} records none boarding from {giver} there"),
                };
                (
                    Self::owner_of(cx, giver),
                    format!("{giver} hands {gave} workers {k} to {taker} at {hub}, but {why}"),
                )
            } else if gave == 0 {
                let why = match cx.other(giver) {
                    Other::Vehicle(j) if !cx.stops_at(j, hub) => {
                        format!("{giver} does not stop at {hub}")
                    }
                    _ => format!("{giver} records none getting off to {taker} there"),
                };
                (
                    Self::owner_of(cx, taker),
                    format!("{taker} takes {took} workers {k} from {giver} at {hub}, but {why}"),
                )
            } else {
                (
                    Self::owner_of(cx, giver),
                    format!("{giver} hands {gave} workers {k} to {taker} at {hub}, but {taker} records {took}"),
                )
            };
            route(
                owner,
                Violation {
                    code: "C06".into(),
                    message,
                },
                vehicle_out,
                service_out,
                global,
            );
        }
    }

    /// C12: a change of vehicle that every worker making it makes beyond `max_transfers`.
    fn check_changes(
        &self,
        cx: &Ctx<'_>,
        vehicle_out: &mut [Vec<Violation>],
        service_out: &mut [Vec<Violation>],
        global: &mut Vec<Violation>,
    ) {
        let limit = u64::from(cx.sc.rules.max_transfers);
        for (key, hands) in &self.hands {
            if limit >= hands.len() as u64 {
                continue; // no worker can change more often than there are moves
            }
            let fewest = self.fewest_changes(key, hands);
            for h in hands {
                let Some(&before) = fewest.get(&h.from) else {
                    continue;
                };
                if before + 1 > limit {
                    let allowed = if limit == 0 {
                        "no change".to_string()
                    } else {
                        format!("{limit}")
                    };
                    let message = format!(
                        "{} workers {} change from {} to {} at {}, for each of them change of vehicle number {} or later; the rules allow {allowed}",
                        h.count,
                        show_key(key),
                        h.giver_id,
                        h.taker_id,
                        h.hub,
                        before + 1
                    );
                    route(
                        h.giver,
                        Violation {
                            code: "C12".into(),
                            message,
                        },
                        vehicle_out,
                        service_out,
                        global,
                    );
                }
            }
        }
    }

    /// Fewest changes of vehicle a worker of `key` can have made to be at each position
    /// (0-1 breadth-first search: staying on costs 0, a move 1).
    fn fewest_changes(&self, key: &Key, hands: &[Hand]) -> BTreeMap<Pos, u64> {
        let mut next: BTreeMap<Pos, Vec<(Pos, u64)>> = BTreeMap::new();
        for &(a, b) in self.stays.get(key).map_or(&[][..], Vec::as_slice) {
            next.entry(a).or_default().push((b, 0));
        }
        for h in hands {
            if let Some(to) = h.to {
                next.entry(h.from).or_default().push((to, 1));
            }
        }
        let mut best: BTreeMap<Pos, u64> = BTreeMap::new();
        let mut queue = VecDeque::new();
        for &s in self.sources.get(key).map_or(&[][..], Vec::as_slice) {
            best.insert(s, 0);
            queue.push_back((s, 0));
        }
        while let Some((p, d)) = queue.pop_front() {
            if best.get(&p).is_some_and(|&b| b < d) {
                continue;
            }
            for &(q, w) in next.get(&p).map_or(&[][..], Vec::as_slice) {
                let nd = d + w;
                let better = match best.get(&q) {
                    Some(&b) => nd < b,
                    None => true,
                };
                if better {
                    best.insert(q, nd);
                    if w == 0 {
                        queue.push_front((q, nd));
                    } else {
                        queue.push_back((q, nd));
                    }
                }
            }
        }
        best
    }
}

/// Worker counts recomputed from the plan.
struct Accounting {
    delivered: u64,
    unserved: u64,
}

/// C01: boarding at home and delivery, against the scenario and the unserved list.
fn check_accounting(cx: &Ctx<'_>, out: &mut Vec<Violation>) -> Accounting {
    let mut boarded = Bag::new();
    let mut delivered = Bag::new();
    for v in &cx.plan.vehicles {
        if let Some(first) = v.legs.first() {
            if matches!(cx.site(&first.from), Some(Site::Origin(_))) {
                for p in first.passengers.iter().filter(|p| p.origin == first.from) {
                    add(&mut boarded, p);
                }
            }
        }
        for leg in &v.legs {
            if matches!(cx.site(&leg.to), Some(Site::Destination(_))) {
                for p in leg.passengers.iter().filter(|p| p.destination == leg.to) {
                    add(&mut delivered, p);
                }
            }
        }
    }
    let mut unserved = Bag::new();
    for u in &cx.plan.unserved {
        if u.count > 0 {
            *unserved
                .entry((u.origin.clone(), u.destination.clone(), u.accessible))
                .or_default() += u64::from(u.count);
        }
    }
    for (key, &count) in &cx.workers {
        let k = show_key(key);
        let b = boarded.get(key).copied().unwrap_or(0);
        let d = delivered.get(key).copied().unwrap_or(0);
        let u = unserved.get(key).copied().unwrap_or(0);
        if b + u != count {
            push(
                out,
                "C01",
                format!(
                    "workers {k}: {b} board at {} and {u} are listed unserved, but the scenario has {count}",
                    key.0
                ),
            );
        }
        if d + u > count {
            push(
                out,
                "C01",
                format!(
                    "workers {k}: {d} are delivered and {u} listed unserved, more than the {count} of the scenario{}",
                    if d > count { " (some are delivered twice)" } else { "" }
                ),
            );
        } else if d + u < count {
            push(
                out,
                "C01",
                format!(
                    "workers {k}: {d} are delivered and {u} listed unserved, so {} of the {count} are lost on the way",
                    count - d - u
                ),
            );
        }
    }
    let known = |bag: &Bag| -> u64 {
        bag.iter()
            .filter(|(k, _)| cx.workers.contains_key(*k))
            .map(|(_, n)| n)
            .sum()
    };
    Accounting {
        delivered: known(&delivered),
        unserved: unserved.values().sum(),
    }
}

/// C07 and C08 per site: fleet and escorts.
fn check_fleet(cx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let mut by_type: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut by_site: BTreeMap<&str, u64> = BTreeMap::new();
    for v in &cx.plan.vehicles {
        match cx.site(&v.base) {
            Some(Site::Destination(_)) => push(
                out,
                "C07",
                format!(
                    "{} is based at destination {}, where no buses are available",
                    v.id, v.base
                ),
            ),
            Some(_) => {
                *by_site.entry(v.base.as_str()).or_default() += 1;
                if cx.vehicle_type(v).is_some() {
                    *by_type
                        .entry((v.base.as_str(), v.vehicle_type.as_str()))
                        .or_default() += 1;
                }
            }
            None => {}
        }
    }
    for (&(site, ty), &n) in &by_type {
        let fleet = match cx.site(site) {
            Some(Site::Origin(o)) => &cx.sc.origins[o].fleet,
            Some(Site::Hub(h)) => &cx.sc.hubs[h].fleet,
            _ => continue,
        };
        let have = fleet.get(ty).copied().unwrap_or(0);
        if n > u64::from(have) {
            push(
                out,
                "C07",
                format!("{n} buses of type {ty} are based at {site}, but its fleet has {have}"),
            );
        }
    }
    for (&site, &n) in &by_site {
        let escorts = match cx.site(site) {
            Some(Site::Origin(o)) => cx.sc.origins[o].escorts,
            Some(Site::Hub(h)) => cx.sc.hubs[h].escorts,
            _ => None,
        };
        if let Some(e) = escorts {
            if n > u64::from(e) {
                push(
                    out,
                    "C08",
                    format!("{n} buses are based at {site}, but it has {e} escorts"),
                );
            }
        }
    }
}

/// C09: buses arriving at a hub plus buses based there that leave.
fn check_hub_size(cx: &Ctx<'_>, out: &mut Vec<Violation>) {
    for hub in &cx.sc.hubs {
        let Some(max) = hub.max_buses else { continue };
        let arriving = cx
            .plan
            .vehicles
            .iter()
            .flat_map(|v| &v.legs)
            .filter(|l| l.to == hub.id)
            .count() as u64;
        let based = cx
            .plan
            .vehicles
            .iter()
            .filter(|v| v.base == hub.id && !v.legs.is_empty())
            .count() as u64;
        if arriving + based > u64::from(max) {
            push(
                out,
                "C09",
                format!(
                    "hub {} sees {arriving} buses arrive and {based} based there leave, more than its {max}",
                    hub.id
                ),
            );
        }
    }
}

/// C14: unserved entries.
fn check_unserved(cx: &Ctx<'_>, out: &mut Vec<Violation>) {
    for (i, u) in cx.plan.unserved.iter().enumerate() {
        let key = (u.origin.clone(), u.destination.clone(), u.accessible);
        if u.count == 0 {
            push(
                out,
                "C14",
                format!("unserved entry {} ({}) has count 0", i + 1, show_key(&key)),
            );
        }
        if !cx.workers.contains_key(&key) {
            push(
                out,
                "C14",
                format!(
                    "unserved entry {} lists {} workers {}, but the scenario has no such workers",
                    i + 1,
                    u.count,
                    show_key(&key)
                ),
            );
        }
    }
}

/// `|a - b| <= tol`; false when any is NaN.
fn within(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// `a <= b`; false when any is NaN.
fn at_most(a: f64, b: f64) -> bool {
    a <= b
}

/// Whether `got` is within tolerance of `want`; `yuan` adds 0.01. False for NaN.
fn close(got: f64, want: f64, yuan: bool) -> bool {
    let tol = 1e-6 * want.abs().max(1.0) + if yuan { 0.01 } else { 0.0 };
    within(got, want, tol)
}

/// C13: totals, cost, bound and gap.
fn check_totals(cx: &Ctx<'_>, acc: &Accounting, out: &mut Vec<Violation>) {
    let sc = cx.sc;
    let plan = cx.plan;
    let t = &plan.totals;
    let ob = &sc.objective;

    let mut by_type: BTreeMap<String, u32> = BTreeMap::new();
    let (mut bus_km, mut fixed, mut distance, mut minutes) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
    let (mut pax_km, mut seat_km) = (0.0_f64, 0.0_f64);
    let mut transfers = 0_u64;
    let mut hub_stops = 0_u64;
    for v in &plan.vehicles {
        *by_type.entry(v.vehicle_type.clone()).or_default() += 1;
        let vt = cx.vehicle_type(v).map(|(_, t)| t);
        if let Some(vt) = vt {
            fixed += vt.fixed_cost_yuan;
        }
        for leg in &v.legs {
            bus_km += leg.km;
            if let Some(vt) = vt {
                distance += leg.km * vt.cost_per_km_yuan;
                pax_km += count_of(&leg.passengers) as f64 * leg.km;
                seat_km += f64::from(vt.capped_seats()) * leg.km;
            }
            transfers += leg
                .boarded
                .iter()
                .map(|m| u64::from(m.pax.count))
                .sum::<u64>();
            if matches!(cx.site(&leg.to), Some(Site::Hub(_))) {
                hub_stops += count_of(&leg.passengers);
            }
            if matches!(cx.site(&leg.to), Some(Site::Destination(_))) {
                for p in leg.passengers.iter().filter(|p| p.destination == leg.to) {
                    if let Some(o) = sc.origins.iter().find(|o| o.id == p.origin) {
                        minutes += f64::from(p.count)
                            * (f64::from(leg.arrive_min) - f64::from(o.ready_min));
                    }
                }
            }
        }
    }
    let mut service_seats = 0.0;
    for load in &plan.services {
        transfers += load
            .boarded
            .iter()
            .map(|m| u64::from(m.pax.count))
            .sum::<u64>();
        hub_stops += count_of(&load.passengers);
        if let Some(s) = cx.service(&load.id) {
            service_seats += count_of(&load.passengers) as f64 * s.cost_per_seat_yuan;
        }
    }
    let want = crate::plan::CostBreakdown {
        bus_fixed: fixed,
        bus_distance: distance,
        worker_time: minutes * ob.worker_minute_yuan,
        transfers: hub_stops as f64 * ob.transfer_penalty_yuan,
        service_seats,
        unserved_penalty: acc.unserved as f64 * ob.unserved_penalty_yuan,
    };
    let cost = want.total();

    let mut int = |what: &str, got: u64, want: u64| {
        if got != want {
            push(
                out,
                "C13",
                format!("totals: {what} is {got}, recomputed {want}"),
            );
        }
    };
    int("workers", t.workers, sc.total_workers());
    int("workers_delivered", t.workers_delivered, acc.delivered);
    int("workers_unserved", t.workers_unserved, acc.unserved);
    int("buses", u64::from(t.buses), plan.vehicles.len() as u64);
    int("transfers", t.transfers, transfers);
    int("hub_stops", t.hub_stops, hub_stops);
    let listed: BTreeMap<String, u32> = t
        .buses_by_type
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(k, &n)| (k.clone(), n))
        .collect();
    if listed != by_type {
        let show = |m: &BTreeMap<String, u32>| {
            m.iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        push(
            out,
            "C13",
            format!(
                "totals: buses_by_type is {{{}}}, recomputed {{{}}}",
                show(&listed),
                show(&by_type)
            ),
        );
    }

    let mut real = |what: &str, got: f64, want: f64, yuan: bool| {
        if !close(got, want, yuan) {
            push(
                out,
                "C13",
                format!("totals: {what} is {got}, recomputed {want}"),
            );
        }
    };
    real("bus_km", t.bus_km, bus_km, false);
    let b = &t.cost_breakdown;
    real(
        "cost_breakdown.bus_fixed",
        b.bus_fixed,
        want.bus_fixed,
        true,
    );
    real(
        "cost_breakdown.bus_distance",
        b.bus_distance,
        want.bus_distance,
        true,
    );
    real(
        "cost_breakdown.worker_time",
        b.worker_time,
        want.worker_time,
        true,
    );
    real(
        "cost_breakdown.transfers",
        b.transfers,
        want.transfers,
        true,
    );
    real(
        "cost_breakdown.service_seats",
        b.service_seats,
        want.service_seats,
        true,
    );
    real(
        "cost_breakdown.unserved_penalty",
        b.unserved_penalty,
        want.unserved_penalty,
        true,
    );
    real("cost", t.cost, cost, true);
    real("worker_hours", t.worker_hours, minutes / 60.0, false);
    real(
        "seat_utilisation",
        t.seat_utilisation,
        if seat_km > 0.0 { pax_km / seat_km } else { 0.0 },
        false,
    );
    let per_worker = if acc.delivered > 0 {
        (t.cost - t.cost_breakdown.unserved_penalty) / acc.delivered as f64
    } else {
        0.0
    };
    real("cost_per_worker", t.cost_per_worker, per_worker, true);
    real(
        "individual_fares",
        t.individual_fares,
        acc.delivered as f64 * ob.individual_fare_yuan,
        true,
    );
    match (t.direct_only_cost, t.saving_vs_direct) {
        (Some(direct), Some(saving)) => real("saving_vs_direct", saving, direct - t.cost, true),
        (None, Some(_)) => push(
            out,
            "C13",
            "totals: saving_vs_direct is given without direct_only_cost".to_string(),
        ),
        (Some(_), None) => push(
            out,
            "C13",
            "totals: direct_only_cost is given without saving_vs_direct".to_string(),
        ),
        (None, None) => {}
    }

    let lb = plan.lower_bound;
    let tol = 1e-6 * t.cost.abs().max(1.0) + 0.01;
    if !at_most(lb, t.cost + tol) {
        push(
            out,
            "C13",
            format!("lower_bound {lb} is above the cost {}", t.cost),
        );
    }
    let gap = if t.cost > 0.0 {
        (t.cost - lb) / t.cost
    } else {
        0.0
    };
    let gap_tol = 1e-6 * gap.abs().max(1.0) + 0.01 / t.cost.abs().max(1.0);
    if !within(plan.gap, gap, gap_tol) {
        push(
            out,
            "C13",
            format!(
                "gap is {} but (cost - lower_bound) / cost is {gap}",
                plan.gap
            ),
        );
    }
    if !(0.0..=1.0).contains(&plan.gap) {
        push(out, "C13", format!("gap {} is outside [0, 1]", plan.gap));
    }
}

#[cfg(test)]
mod tests {
    /// Workers arriving at the service area in plan A: 30 on BUS-001, 18 on BUS-002.
    const HUB_STOPS_REGROUP: u64 = 48;
    /// Plan B adds 15 arriving at the departure station by bus and the same 15 at the arrival
    /// station by train: 48 + 30.
    const HUB_STOPS_TRAIN: u64 = 78;
    use super::*;
    use crate::plan::{CostBreakdown, Leg, ServiceLoad, Status, Totals, Unserved, UnservedReason};
    use crate::scenario::{
        Destination, HubKind, MatrixEntry, Need, Objective, Origin, Rules, ServiceKind, Travel,
        TravelModel, WorkerGroup,
    };

    // ----- builders -----

    fn group(to: &str, count: u32, accessible: bool) -> WorkerGroup {
        WorkerGroup {
            to: to.into(),
            count,
            needs: if accessible {
                vec![Need::Accessible]
            } else {
                vec![]
            },
        }
    }

    fn fleet(entries: &[(&str, u32)]) -> BTreeMap<String, u32> {
        entries
            .iter()
            .map(|(k, n)| ((*k).to_string(), *n))
            .collect()
    }

    fn entry(from: &str, to: &str, km: f64, min: u32) -> MatrixEntry {
        MatrixEntry {
            from: from.into(),
            to: to.into(),
            km,
            min: Some(min),
        }
    }

    fn hub(id: &str, kind: HubKind, transfer_min: u32) -> Hub {
        Hub {
            id: id.into(),
            name: String::new(),
            kind,
            lat: 40.0,
            lon: 121.0,
            transfer_min,
            max_buses: None,
            fleet: BTreeMap::new(),
            escorts: None,
        }
    }

    fn destination(id: &str, deadline_min: u32) -> Destination {
        Destination {
            id: id.into(),
            name: String::new(),
            lat: 39.0,
            lon: 121.5,
            deadline_min,
            employers: vec![],
        }
    }

    fn pax(origin: &str, destination: &str, count: u32) -> Pax {
        Pax {
            origin: origin.into(),
            destination: destination.into(),
            accessible: false,
            count,
        }
    }

    fn acc(origin: &str, destination: &str, count: u32) -> Pax {
        Pax {
            accessible: true,
            ..pax(origin, destination, count)
        }
    }

    fn mv(with: &str, pax: Pax) -> Move {
        Move {
            with: with.into(),
            pax,
        }
    }

    fn leg(
        from: &str,
        to: &str,
        depart_min: u32,
        arrive_min: u32,
        km: f64,
        passengers: Vec<Pax>,
    ) -> Leg {
        Leg {
            from: from.into(),
            to: to.into(),
            depart_min,
            arrive_min,
            km,
            passengers,
            boarded: vec![],
            alighted: vec![],
            stay_on: vec![],
        }
    }

    fn vehicle(id: &str, vehicle_type: &str, base: &str, escort: &str, legs: Vec<Leg>) -> Vehicle {
        Vehicle {
            id: id.into(),
            vehicle_type: vehicle_type.into(),
            base: base.into(),
            escort: escort.into(),
            legs,
        }
    }

    /// Two origins, a service area, two destinations. Coach at 50 km/h, minibus at the
    /// default 60 km/h; matrix minutes are lower bounds, so:
    /// o1-sa 100 km: coach 120 min; o2-sa 60 km: minibus 65 min (matrix);
    /// sa-d1 80 km: coach 96 min; sa-d2 50 km: minibus 50 min.
    fn scenario_a() -> Scenario {
        let mut sa = hub("sa", HubKind::ServiceArea, 20);
        sa.max_buses = Some(3);
        sa.fleet = fleet(&[("minibus", 1)]);
        sa.escorts = Some(1);
        Scenario {
            name: "regroup".into(),
            description: String::new(),
            vehicle_types: vec![
                VehicleType {
                    id: "coach".into(),
                    seats: 40,
                    load_cap: 1.0,
                    accessible_seats: 2,
                    fixed_cost_yuan: 1500.0,
                    cost_per_km_yuan: 6.0,
                    speed_kmh: Some(50.0),
                },
                VehicleType {
                    id: "minibus".into(),
                    seats: 20,
                    load_cap: 1.0,
                    accessible_seats: 0,
                    fixed_cost_yuan: 800.0,
                    cost_per_km_yuan: 3.5,
                    speed_kmh: None,
                },
            ],
            origins: vec![
                Origin {
                    id: "o1".into(),
                    name: String::new(),
                    lat: 41.8,
                    lon: 120.7,
                    ready_min: 0,
                    workers: vec![
                        group("d1", 20, false),
                        group("d1", 2, true),
                        group("d2", 8, false),
                    ],
                    fleet: fleet(&[("coach", 1)]),
                    escorts: Some(1),
                },
                Origin {
                    id: "o2".into(),
                    name: String::new(),
                    lat: 41.5,
                    lon: 120.4,
                    ready_min: 30,
                    workers: vec![
                        group("d1", 12, false),
                        group("d2", 6, false),
                        group("d2", 1, true),
                    ],
                    fleet: fleet(&[("minibus", 1)]),
                    escorts: None,
                },
            ],
            hubs: vec![sa],
            destinations: vec![destination("d1", 240), destination("d2", 200)],
            services: vec![],
            travel: Travel {
                model: TravelModel::Matrix {
                    entries: vec![
                        entry("o1", "sa", 100.0, 100),
                        entry("o2", "sa", 60.0, 65),
                        entry("sa", "d1", 80.0, 80),
                        entry("sa", "d2", 50.0, 50),
                    ],
                },
                speed_kmh: 60.0,
            },
            objective: Objective::default(),
            rules: Rules::default(),
        }
    }

    /// BUS-001 (coach) o1 -> sa -> d1 keeps its d1 workers, hands the d2 workers to BUS-003
    /// and takes the d1 workers of BUS-002. BUS-002 (minibus) o2 -> sa ends at the hub.
    /// BUS-003 (minibus, based at sa) sa -> d2. One accessible worker of o2 is unserved.
    fn plan_a() -> Plan {
        let mut l1 = leg(
            "o1",
            "sa",
            0,
            120,
            100.0,
            vec![pax("o1", "d1", 20), acc("o1", "d1", 2), pax("o1", "d2", 8)],
        );
        l1.stay_on = vec![pax("o1", "d1", 20), acc("o1", "d1", 2)];
        l1.alighted = vec![mv("BUS-003", pax("o1", "d2", 8))];
        let mut l2 = leg(
            "sa",
            "d1",
            140,
            236,
            80.0,
            vec![pax("o1", "d1", 20), acc("o1", "d1", 2), pax("o2", "d1", 12)],
        );
        l2.boarded = vec![mv("BUS-002", pax("o2", "d1", 12))];
        let mut m1 = leg(
            "o2",
            "sa",
            30,
            95,
            60.0,
            vec![pax("o2", "d1", 12), pax("o2", "d2", 6)],
        );
        m1.alighted = vec![
            mv("BUS-001", pax("o2", "d1", 12)),
            mv("BUS-003", pax("o2", "d2", 6)),
        ];
        let mut h1 = leg(
            "sa",
            "d2",
            140,
            190,
            50.0,
            vec![pax("o1", "d2", 8), pax("o2", "d2", 6)],
        );
        h1.boarded = vec![
            mv("BUS-001", pax("o1", "d2", 8)),
            mv("BUS-002", pax("o2", "d2", 6)),
        ];

        // Worker-minutes: d1 at 236: 22 * 236 + 12 * (236 - 30); d2 at 190: 8 * 190 + 6 * 160.
        let minutes = 22.0 * 236.0 + 12.0 * 206.0 + 8.0 * 190.0 + 6.0 * 160.0;
        let breakdown = CostBreakdown {
            bus_fixed: 1500.0 + 2.0 * 800.0,
            bus_distance: 6.0 * 180.0 + 3.5 * 110.0,
            worker_time: minutes * 0.2,
            transfers: 48.0 * 20.0,
            service_seats: 0.0,
            unserved_penalty: 5000.0,
        };
        let cost = breakdown.total();
        let totals = Totals {
            cost,
            cost_breakdown: breakdown,
            workers: 49,
            workers_delivered: 48,
            workers_unserved: 1,
            buses: 3,
            buses_by_type: fleet(&[("coach", 1), ("minibus", 2)]),
            bus_km: 290.0,
            worker_hours: minutes / 60.0,
            seat_utilisation: (30.0 * 100.0 + 34.0 * 80.0 + 18.0 * 60.0 + 14.0 * 50.0)
                / (40.0 * 180.0 + 20.0 * 110.0),
            transfers: 26,
            hub_stops: HUB_STOPS_REGROUP,
            cost_per_worker: (cost - 5000.0) / 48.0,
            direct_only_cost: Some(14000.0),
            saving_vs_direct: Some(14000.0 - cost),
            individual_fares: 48.0 * 230.0,
        };
        Plan {
            scenario: "regroup".into(),
            status: Status::Feasible,
            strategy: "hand".into(),
            backend: "none".into(),
            seed: 0,
            lower_bound: 11000.0,
            gap: (cost - 11000.0) / cost,
            totals,
            vehicles: vec![
                vehicle("BUS-001", "coach", "o1", "ESC-1", vec![l1, l2]),
                vehicle("BUS-002", "minibus", "o2", "ESC-2", vec![m1]),
                vehicle("BUS-003", "minibus", "sa", "ESC-3", vec![h1]),
            ],
            services: vec![],
            unserved: vec![Unserved {
                origin: "o2".into(),
                destination: "d2".into(),
                accessible: true,
                count: 1,
                reason: UnservedReason::CapacityShort,
            }],
        }
    }

    /// Scenario A plus two stations, the train K100 st1 -> st2 (200 -> 500, not accessible)
    /// and 15 workers o1 -> d3. o1-st1 90 km: coach 108 min; st2-d3 40 km: minibus 40 min.
    fn scenario_b() -> Scenario {
        let mut s = scenario_a();
        s.name = "train".into();
        s.origins[0].workers.push(group("d3", 15, false));
        s.origins[0].fleet = fleet(&[("coach", 2)]);
        s.origins[0].escorts = Some(2);
        s.hubs.push(hub("st1", HubKind::Station, 30));
        let mut st2 = hub("st2", HubKind::Station, 30);
        st2.fleet = fleet(&[("minibus", 1)]);
        s.hubs.push(st2);
        s.destinations.push(destination("d3", 700));
        s.services.push(Service {
            id: "K100".into(),
            kind: ServiceKind::Train,
            from: "st1".into(),
            to: "st2".into(),
            departure_min: 200,
            arrival_min: 500,
            seats: 100,
            cost_per_seat_yuan: 80.0,
            accessible: false,
        });
        if let TravelModel::Matrix { entries } = &mut s.travel.model {
            entries.push(entry("o1", "st1", 90.0, 90));
            entries.push(entry("st2", "d3", 40.0, 40));
        }
        s
    }

    /// Plan A plus BUS-004 (coach) o1 -> st1, the train K100, BUS-005 (minibus) st2 -> d3.
    fn plan_b() -> Plan {
        let mut p = plan_a();
        p.scenario = "train".into();
        let mut c = leg("o1", "st1", 0, 108, 90.0, vec![pax("o1", "d3", 15)]);
        c.alighted = vec![mv("K100", pax("o1", "d3", 15))];
        let mut m = leg("st2", "d3", 530, 570, 40.0, vec![pax("o1", "d3", 15)]);
        m.boarded = vec![mv("K100", pax("o1", "d3", 15))];
        p.vehicles
            .push(vehicle("BUS-004", "coach", "o1", "ESC-4", vec![c]));
        p.vehicles
            .push(vehicle("BUS-005", "minibus", "st2", "ESC-5", vec![m]));
        p.services.push(ServiceLoad {
            id: "K100".into(),
            from: "st1".into(),
            to: "st2".into(),
            departure_min: 200,
            arrival_min: 500,
            seats: 100,
            passengers: vec![pax("o1", "d3", 15)],
            boarded: vec![mv("BUS-004", pax("o1", "d3", 15))],
            alighted: vec![mv("BUS-005", pax("o1", "d3", 15))],
        });
        let minutes = 22.0 * 236.0 + 12.0 * 206.0 + 8.0 * 190.0 + 6.0 * 160.0 + 15.0 * 570.0;
        let breakdown = CostBreakdown {
            bus_fixed: 2.0 * 1500.0 + 3.0 * 800.0,
            bus_distance: 6.0 * (180.0 + 90.0) + 3.5 * (110.0 + 40.0),
            worker_time: minutes * 0.2,
            transfers: 78.0 * 20.0,
            service_seats: 15.0 * 80.0,
            unserved_penalty: 5000.0,
        };
        let cost = breakdown.total();
        p.totals = Totals {
            cost,
            cost_breakdown: breakdown,
            workers: 64,
            workers_delivered: 63,
            workers_unserved: 1,
            buses: 5,
            buses_by_type: fleet(&[("coach", 2), ("minibus", 3)]),
            bus_km: 420.0,
            worker_hours: minutes / 60.0,
            seat_utilisation: (7500.0 + 15.0 * 90.0 + 15.0 * 40.0)
                / (9400.0 + 40.0 * 90.0 + 20.0 * 40.0),
            transfers: 56,
            hub_stops: HUB_STOPS_TRAIN,
            cost_per_worker: (cost - 5000.0) / 63.0,
            direct_only_cost: None,
            saving_vs_direct: None,
            individual_fares: 63.0 * 230.0,
        };
        p.lower_bound = 15000.0;
        p.gap = (cost - 15000.0) / cost;
        p
    }

    #[track_caller]
    fn expect(report: &CheckReport, code: &str) {
        assert!(report.has(code), "expected {code}, got:\n{report}");
    }

    #[track_caller]
    fn expect_message(report: &CheckReport, code: &str, words: &str) {
        assert!(
            report
                .violations
                .iter()
                .any(|v| v.code == code && v.message.contains(words)),
            "expected {code} saying \"{words}\", got:\n{report}"
        );
    }

    fn vehicle_mut<'p>(p: &'p mut Plan, id: &str) -> &'p mut Vehicle {
        p.vehicles.iter_mut().find(|v| v.id == id).unwrap()
    }

    // ----- valid plans -----

    #[test]
    fn valid_regrouping_plan_passes() {
        let r = check(&scenario_a(), &plan_a());
        assert!(r.is_ok(), "{r}");
        assert_eq!(r.to_string(), "plan passes every check");
    }

    #[test]
    fn valid_train_plan_passes() {
        let r = check(&scenario_b(), &plan_b());
        assert!(r.is_ok(), "{r}");
    }

    #[test]
    fn plan_survives_json_round_trip() {
        let p = plan_b();
        let back: Plan = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert!(check(&scenario_b(), &back).is_ok());
    }

    // ----- C01 -----

    #[test]
    fn c01_worker_lost_at_hub() {
        let mut p = plan_a();
        let bus = vehicle_mut(&mut p, "BUS-001");
        bus.legs[0].stay_on[0].count = 19;
        bus.legs[1].passengers[0].count = 19;
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C01", "lost on the way");
        expect(&r, "C05");
    }

    #[test]
    fn c01_worker_left_at_home() {
        let mut p = plan_a();
        let bus = vehicle_mut(&mut p, "BUS-001");
        bus.legs[0].passengers[0].count = 19;
        bus.legs[0].stay_on[0].count = 19;
        bus.legs[1].passengers[0].count = 19;
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C01", "19 board at o1");
    }

    #[test]
    fn c01_worker_delivered_twice() {
        let mut p = plan_a();
        let mut copy = p.vehicles[2].clone();
        copy.id = "BUS-006".into();
        copy.escort = "ESC-6".into();
        p.vehicles.push(copy);
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C01", "delivered twice");
    }

    #[test]
    fn c01_commodity_that_does_not_exist() {
        let mut p = plan_a();
        vehicle_mut(&mut p, "BUS-003").legs[0]
            .passengers
            .push(acc("o1", "d2", 1));
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C01", "no such workers");
    }

    // ----- C02 -----

    #[test]
    fn c02_unknown_vehicle_type() {
        let mut p = plan_a();
        p.vehicles[0].vehicle_type = "bus-99".into();
        expect_message(&check(&scenario_a(), &p), "C02", "unknown vehicle type");
    }

    #[test]
    fn c02_unknown_site() {
        let mut p = plan_a();
        vehicle_mut(&mut p, "BUS-003").legs[0].to = "nowhere".into();
        expect_message(&check(&scenario_a(), &p), "C02", "unknown site \"nowhere\"");
    }

    #[test]
    fn c02_unknown_move_partner() {
        let mut p = plan_a();
        vehicle_mut(&mut p, "BUS-003").legs[0].boarded[0].with = "BUS-999".into();
        expect_message(&check(&scenario_a(), &p), "C02", "BUS-999");
    }

    #[test]
    fn c02_unknown_service() {
        let mut p = plan_b();
        p.services[0].id = "X1".into();
        expect_message(&check(&scenario_b(), &p), "C02", "unknown service \"X1\"");
    }

    #[test]
    fn c02_duplicate_vehicle_id() {
        let mut p = plan_a();
        p.vehicles[1].id = "BUS-001".into();
        expect_message(&check(&scenario_a(), &p), "C02", "repeats the id");
    }

    // ----- C03 -----

    #[test]
    fn c03_over_capacity() {
        let s = {
            let mut s = scenario_a();
            s.vehicle_types[0].load_cap = 0.5; // 20 of 40 seats
            s
        };
        let r = check(&s, &plan_a());
        expect_message(
            &r,
            "C03",
            "BUS-001 leg 1 carries 30 workers but a coach may take 20",
        );
    }

    #[test]
    fn c03_accessible_over_capacity() {
        let mut p = plan_a();
        // The unserved accessible worker of o2 rides the minibuses, which have no accessible seat.
        p.unserved.clear();
        let m = vehicle_mut(&mut p, "BUS-002");
        m.legs[0].passengers.push(acc("o2", "d2", 1));
        m.legs[0].alighted.push(mv("BUS-003", acc("o2", "d2", 1)));
        let h = vehicle_mut(&mut p, "BUS-003");
        h.legs[0].passengers.push(acc("o2", "d2", 1));
        h.legs[0].boarded.push(mv("BUS-002", acc("o2", "d2", 1)));
        let r = check(&scenario_a(), &p);
        expect_message(
            &r,
            "C03",
            "BUS-002 leg 1 carries 1 workers who need accessible seats",
        );
        expect_message(
            &r,
            "C03",
            "BUS-003 leg 1 carries 1 workers who need accessible seats",
        );
    }

    #[test]
    fn c03_service_over_seats() {
        let mut s = scenario_b();
        s.services[0].seats = 10;
        let mut p = plan_b();
        p.services[0].seats = 10;
        let r = check(&s, &p);
        expect_message(
            &r,
            "C03",
            "service K100 carries 15 workers but has 10 seats",
        );
    }

    #[test]
    fn c03_accessible_on_inaccessible_service() {
        let mut p = plan_b();
        p.services[0].passengers[0].accessible = true;
        let r = check(&scenario_b(), &p);
        expect_message(&r, "C03", "is not accessible");
    }

    // ----- C04 -----

    #[test]
    fn c04_no_legs_or_too_many() {
        let mut p = plan_a();
        vehicle_mut(&mut p, "BUS-003").legs.clear();
        expect_message(&check(&scenario_a(), &p), "C04", "BUS-003 has 0 legs");
        let mut p = plan_a();
        let extra = p.vehicles[0].legs[1].clone();
        p.vehicles[0].legs.push(extra);
        expect_message(&check(&scenario_a(), &p), "C04", "BUS-001 has 3 legs");
    }

    #[test]
    fn c04_legs_do_not_chain_or_leave_base() {
        let mut p = plan_a();
        p.vehicles[0].base = "o2".into();
        expect_message(
            &check(&scenario_a(), &p),
            "C04",
            "but the bus is based at o2",
        );
        let mut p = plan_a();
        p.vehicles[0].legs[1].from = "o2".into();
        expect_message(
            &check(&scenario_a(), &p),
            "C04",
            "starts at o2 but leg 1 ended at sa",
        );
    }

    #[test]
    fn c04_wrong_km_and_unlinked_sites() {
        let mut p = plan_a();
        p.vehicles[0].legs[0].km = 95.0;
        expect_message(
            &check(&scenario_a(), &p),
            "C04",
            "travel table gives 100 km",
        );
        let mut p = plan_a();
        let bus = vehicle_mut(&mut p, "BUS-003");
        bus.base = "o2".into();
        bus.legs[0].from = "o2".into();
        expect_message(&check(&scenario_a(), &p), "C04", "no road links o2 and d2");
    }

    #[test]
    fn c04_wrong_workers_at_origin_and_destination() {
        let mut p = plan_a();
        p.vehicles[0].legs[0].passengers[2].origin = "o2".into();
        expect_message(
            &check(&scenario_a(), &p),
            "C04",
            "leaves origin o1 with 8 workers from o2",
        );
        let mut p = plan_a();
        p.vehicles[0].legs[1].passengers[0].destination = "d2".into();
        expect_message(
            &check(&scenario_a(), &p),
            "C04",
            "ends at destination d1 with 20 workers for d2",
        );
    }

    #[test]
    fn c04_based_at_destination_and_intermediate_not_hub() {
        let mut p = plan_a();
        let bus = vehicle_mut(&mut p, "BUS-003");
        bus.base = "d1".into();
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C04", "based at destination d1");
        expect(&r, "C07");
        let mut p = plan_a();
        p.vehicles[0].legs[0].to = "d1".into();
        p.vehicles[0].legs[1].from = "d1".into();
        expect_message(&check(&scenario_a(), &p), "C04", "not a hub");
    }

    // ----- C05 -----

    #[test]
    fn c05_worker_vanishes_at_hub() {
        let mut p = plan_a();
        p.vehicles[0].legs[0].stay_on[0].count = 19;
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C05", "BUS-001 leg 1 arrives at hub sa");
        expect_message(&r, "C05", "BUS-001 leg 2 leaves hub sa");
    }

    #[test]
    fn c05_bus_based_at_hub_and_bus_ending_at_hub() {
        let mut p = plan_a();
        vehicle_mut(&mut p, "BUS-003").legs[0].boarded.pop();
        let r = check(&scenario_a(), &p);
        expect_message(
            &r,
            "C05",
            "BUS-003 leg 1 leaves hub sa where the bus is based",
        );
        let mut p = plan_a();
        vehicle_mut(&mut p, "BUS-002").legs[0]
            .stay_on
            .push(pax("o2", "d2", 1));
        expect_message(
            &check(&scenario_a(), &p),
            "C05",
            "ends at hub sa but lists workers staying on",
        );
    }

    #[test]
    fn c05_service_conservation() {
        let mut p = plan_b();
        p.services[0].alighted[0].pax.count = 14;
        expect_message(
            &check(&scenario_b(), &p),
            "C05",
            "service K100: workers on board do not match those who get off",
        );
    }

    // ----- C06 -----

    #[test]
    fn c06_unmatched_move() {
        let mut p = plan_a();
        // BUS-003 claims the o2 workers came from BUS-001, which handed it only its own.
        vehicle_mut(&mut p, "BUS-003").legs[0].boarded[1].with = "BUS-001".into();
        let r = check(&scenario_a(), &p);
        expect_message(
            &r,
            "C06",
            "BUS-002 hands 6 workers o2 to d2 to BUS-003 at sa, but BUS-003 records none",
        );
        expect_message(
            &r,
            "C06",
            "BUS-003 takes 6 workers o2 to d2 from BUS-001 at sa",
        );
    }

    #[test]
    fn c06_boarding_from_a_bus_that_did_not_stop() {
        let mut p = plan_b();
        let bus = vehicle_mut(&mut p, "BUS-005");
        bus.legs[0].boarded[0].with = "BUS-002".into();
        let r = check(&scenario_b(), &p);
        expect_message(&r, "C06", "BUS-002 does not stop at st2");
    }

    #[test]
    fn c06_service_at_the_wrong_hub() {
        let mut p = plan_b();
        // BUS-001 hands its d2 workers to the train at the service area.
        p.vehicles[0].legs[0].alighted[0].with = "K100".into();
        let r = check(&scenario_b(), &p);
        expect_message(
            &r,
            "C06",
            "hands workers to K100 at sa, but K100 leaves from st1",
        );
    }

    // ----- C07 to C09 -----

    #[test]
    fn c07_fleet_exceeded() {
        let mut p = plan_a();
        vehicle_mut(&mut p, "BUS-002").vehicle_type = "coach".into();
        let r = check(&scenario_a(), &p);
        expect_message(
            &r,
            "C07",
            "1 buses of type coach are based at o2, but its fleet has 0",
        );
    }

    #[test]
    fn c08_escorts() {
        let mut p = plan_a();
        p.vehicles[2].escort = "ESC-1".into();
        expect_message(
            &check(&scenario_a(), &p),
            "C08",
            "BUS-003 has escort ESC-1, who already escorts BUS-001",
        );
        let mut p = plan_a();
        p.vehicles[1].escort = " ".into();
        expect_message(&check(&scenario_a(), &p), "C08", "BUS-002 has no escort");
        let mut s = scenario_b();
        s.origins[0].escorts = Some(1);
        expect_message(
            &check(&s, &plan_b()),
            "C08",
            "2 buses are based at o1, but it has 1 escorts",
        );
    }

    #[test]
    fn c09_hub_over_max_buses() {
        let mut s = scenario_a();
        s.hubs[0].max_buses = Some(2);
        let r = check(&s, &plan_a());
        expect_message(
            &r,
            "C09",
            "hub sa sees 2 buses arrive and 1 based there leave",
        );
    }

    // ----- C10, C11 -----

    #[test]
    fn c10_bus_leaves_hub_before_feeder_arrives() {
        let mut p = plan_a();
        let bus = vehicle_mut(&mut p, "BUS-003");
        bus.legs[0].depart_min = 130;
        bus.legs[0].arrive_min = 180;
        let r = check(&scenario_a(), &p);
        expect_message(
            &r,
            "C10",
            "BUS-003 leg 1 leaves hub sa at 130 with workers from BUS-001, which arrives at 120",
        );
    }

    #[test]
    fn c10_driving_too_fast_and_too_early() {
        let mut p = plan_a();
        p.vehicles[0].legs[0].arrive_min = 110;
        expect_message(
            &check(&scenario_a(), &p),
            "C10",
            "takes 110 min from o1 to sa but a coach needs 120 min",
        );
        let mut p = plan_a();
        p.vehicles[1].legs[0].depart_min = 20;
        p.vehicles[1].legs[0].arrive_min = 85;
        expect_message(
            &check(&scenario_a(), &p),
            "C10",
            "before the workers are ready at 30",
        );
        let mut p = plan_a();
        p.vehicles[0].legs[1].arrive_min = 100;
        expect_message(
            &check(&scenario_a(), &p),
            "C10",
            "arrives at 100 before it departs at 140",
        );
    }

    #[test]
    fn c10_stay_on_needs_transfer_time() {
        let mut p = plan_a();
        p.vehicles[0].legs[0].arrive_min = 125;
        expect_message(
            &check(&scenario_a(), &p),
            "C10",
            "less than 20 min after the bus arrived at 125",
        );
    }

    #[test]
    fn c10_train_missed_and_timetable_changed() {
        let mut p = plan_b();
        let bus = vehicle_mut(&mut p, "BUS-004");
        bus.legs[0].depart_min = 100;
        bus.legs[0].arrive_min = 208;
        expect_message(
            &check(&scenario_b(), &p),
            "C10",
            "too late for K100 leaving at 200",
        );
        let mut p = plan_b();
        vehicle_mut(&mut p, "BUS-005").legs[0].depart_min = 520;
        vehicle_mut(&mut p, "BUS-005").legs[0].arrive_min = 560;
        expect_message(
            &check(&scenario_b(), &p),
            "C10",
            "with workers from K100, which is due at 500",
        );
        let mut p = plan_b();
        p.services[0].departure_min = 210;
        expect_message(
            &check(&scenario_b(), &p),
            "C10",
            "service K100 runs from st1 at 210",
        );
    }

    #[test]
    fn c11_deadline_missed() {
        let mut p = plan_a();
        p.vehicles[0].legs[1].depart_min = 150;
        p.vehicles[0].legs[1].arrive_min = 246;
        let r = check(&scenario_a(), &p);
        expect_message(
            &r,
            "C11",
            "BUS-001 leg 2 reaches d1 at 246, after its deadline 240",
        );
    }

    // ----- C12 -----

    #[test]
    fn c12_too_many_changes() {
        let mut s = scenario_a();
        s.rules.max_transfers = 0;
        expect_message(&check(&s, &plan_a()), "C12", "the rules allow no change");
        let mut s = scenario_b();
        s.rules.max_transfers = 1;
        let r = check(&s, &plan_b());
        expect_message(
            &r,
            "C12",
            "15 workers o1 to d3 change from K100 to BUS-005 at st2, for each of them change of vehicle number 2",
        );
        // The bus-to-bus changes of the same plan are allowed.
        assert_eq!(r.violations.len(), 1, "{r}");
    }

    // ----- C13 -----

    #[test]
    fn c13_wrong_totals() {
        let mut p = plan_a();
        p.totals.cost += 100.0;
        expect_message(&check(&scenario_a(), &p), "C13", "totals: cost is");
        let mut p = plan_a();
        p.totals.buses = 4;
        p.totals.buses_by_type.insert("coach".into(), 2);
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C13", "totals: buses is 4, recomputed 3");
        expect_message(&r, "C13", "buses_by_type");
        let mut p = plan_a();
        p.totals.cost_breakdown.worker_time += 1.0;
        expect_message(
            &check(&scenario_a(), &p),
            "C13",
            "cost_breakdown.worker_time",
        );
        let mut p = plan_a();
        p.totals.transfers = 20;
        expect_message(
            &check(&scenario_a(), &p),
            "C13",
            "totals: transfers is 20, recomputed 26",
        );
        let mut p = plan_a();
        p.totals.seat_utilisation = 0.9;
        expect_message(&check(&scenario_a(), &p), "C13", "seat_utilisation");
        // Rounding to the fen passes.
        let mut p = plan_a();
        p.totals.cost = (p.totals.cost * 100.0).round() / 100.0 + 0.004;
        assert!(check(&scenario_a(), &p).is_ok());
    }

    #[test]
    fn c13_lower_bound_above_cost() {
        let mut p = plan_a();
        p.lower_bound = p.totals.cost + 500.0;
        p.gap = 0.0;
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C13", "lower_bound");
        expect_message(&r, "C13", "gap is 0");
        let mut p = plan_a();
        p.gap = 1.5;
        expect_message(&check(&scenario_a(), &p), "C13", "outside [0, 1]");
    }

    // ----- C14 -----

    #[test]
    fn c14_unserved_entries() {
        let mut p = plan_a();
        p.unserved.push(Unserved {
            origin: "o1".into(),
            destination: "d2".into(),
            accessible: false,
            count: 0,
            reason: UnservedReason::NoFeasibleRoute,
        });
        expect_message(&check(&scenario_a(), &p), "C14", "has count 0");
        let mut p = plan_a();
        p.unserved[0].destination = "d9".into();
        let r = check(&scenario_a(), &p);
        expect_message(&r, "C14", "no such workers");
        expect(&r, "C01");
    }

    // ----- robustness and report -----

    #[test]
    fn garbage_does_not_panic() {
        let mut p = plan_b();
        p.vehicles.push(vehicle("", "?", "?", "", vec![]));
        let mut junk = leg(
            "x",
            "y",
            u32::MAX,
            0,
            f64::NAN,
            vec![pax("?", "?", u32::MAX), acc("o1", "d1", u32::MAX)],
        );
        junk.boarded = vec![
            mv("nobody", pax("o1", "d1", u32::MAX)),
            mv("K100", pax("o1", "d3", 3)),
        ];
        junk.alighted = vec![
            mv("BUS-001", pax("o1", "d1", u32::MAX)),
            mv("ghost", pax("a", "b", 1)),
        ];
        junk.stay_on = vec![pax("o1", "d1", u32::MAX)];
        let mut big = leg(
            "sa",
            "sa",
            u32::MAX,
            u32::MAX,
            f64::INFINITY,
            vec![pax("o1", "d1", u32::MAX); 3],
        );
        big.boarded = vec![mv("BUS-X", pax("o1", "d1", u32::MAX)); 3];
        big.alighted = vec![mv("BUS-X", pax("o1", "d1", u32::MAX)); 3];
        p.vehicles.push(vehicle(
            "BUS-X",
            "coach",
            "sa",
            "ESC-1",
            vec![junk.clone(), big.clone(), big, junk],
        ));
        p.vehicles.push(vehicle(
            "BUS-001",
            "minibus",
            "d1",
            "ESC-1",
            vec![leg("d1", "o1", 0, 0, -1.0, vec![])],
        ));
        p.vehicles.push(vehicle(
            "K100",
            "coach",
            "st2",
            "ESC-9",
            vec![leg("st2", "st2", 5, 4, 0.0, vec![])],
        ));
        p.services.push(ServiceLoad {
            id: "K100".into(),
            from: "?".into(),
            to: "?".into(),
            departure_min: u32::MAX,
            arrival_min: 0,
            seats: 0,
            passengers: vec![pax("o1", "d3", u32::MAX)],
            boarded: vec![mv("K100", pax("o1", "d3", u32::MAX))],
            alighted: vec![mv("zzz", pax("o1", "d3", u32::MAX))],
        });
        p.unserved.push(Unserved {
            origin: "o1".into(),
            destination: "d1".into(),
            accessible: false,
            count: u32::MAX,
            reason: UnservedReason::NoFeasibleRoute,
        });
        p.totals.cost = f64::NAN;
        p.totals.bus_km = f64::INFINITY;
        p.lower_bound = f64::NAN;
        p.gap = f64::NEG_INFINITY;
        p.totals.buses = u32::MAX;
        p.totals.workers = u64::MAX;
        p.totals.saving_vs_direct = Some(f64::NAN);
        let r = check(&scenario_b(), &p);
        assert!(!r.is_ok());
        for code in [
            "C01", "C02", "C03", "C04", "C05", "C06", "C08", "C10", "C13",
        ] {
            expect(&r, code);
        }
        // A garbage scenario too: speeds of zero, a matrix naming unknown sites, loads at zero.
        let mut s = scenario_b();
        s.travel.speed_kmh = 0.0;
        s.vehicle_types[0].speed_kmh = Some(f64::NAN);
        s.vehicle_types[1].load_cap = f64::NAN;
        s.rules.max_transfers = 0;
        let _ = check(&s, &p);
        if let TravelModel::Matrix { entries } = &mut s.travel.model {
            entries.push(entry("mars", "venus", 1.0, 1));
        }
        let r = check(&s, &p);
        expect_message(&r, "C04", "travel table cannot be built");
        let empty = Scenario {
            vehicle_types: vec![],
            origins: vec![],
            hubs: vec![],
            destinations: vec![],
            services: vec![],
            ..scenario_a()
        };
        let _ = check(&empty, &p);
        let _ = check(&empty, &plan_a());
    }

    #[test]
    fn report_order_and_display() {
        let mut p = plan_a();
        p.totals.cost += 1.0;
        p.vehicles[2].legs[0].km = 1.0;
        p.vehicles[0].escort = String::new();
        let r = check(&scenario_a(), &p);
        let codes: Vec<&str> = r.violations.iter().map(|v| v.code.as_str()).collect();
        // BUS-001 first, then BUS-003, then the totals.
        assert_eq!(codes.first(), Some(&"C08"), "{r}");
        assert_eq!(codes.get(1), Some(&"C04"), "{r}");
        assert!(codes[2..].iter().all(|&c| c == "C13"), "{r}");
        let text = r.to_string();
        assert_eq!(text.lines().count(), r.violations.len());
        assert!(text.starts_with("C08 BUS-001 has no escort"), "{text}");
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .starts_with("C04 BUS-003 leg 1 is 1 km"),
            "{text}"
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<CheckReport>(&json).unwrap(), r);
        assert_eq!(check(&scenario_a(), &p), r, "deterministic");
    }

    #[test]
    fn codes_are_listed_once_in_order() {
        let list = codes();
        assert_eq!(list.len(), 14);
        for (i, (code, text)) in list.iter().enumerate() {
            assert_eq!(*code, format!("C{:02}", i + 1));
            assert!(!text.is_empty());
        }
    }
}
