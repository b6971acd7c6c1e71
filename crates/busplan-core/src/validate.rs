//! Validation: every problem in a scenario, found at once.
//!
//! Takes: JSON text ([`parse_scenario`]) or a parsed [`Scenario`] ([`validate`]). Gives: the
//! scenario, or [`InvalidScenario`] with every [`Issue`] found, in document order.
//!
//! Each issue has a stable code (`E1003`), a path into the document
//! (`origins[2].workers[0].to`), a plain sentence saying what is wrong and, where it helps, a
//! hint saying what to do (often a "did you mean" for a mistyped id). [`codes`] lists every
//! code with a one-line description.
//!
//! Validation never stops at the first problem and never panics, whatever the numbers (NaN,
//! infinities, negative or huge values) or the lists (empty, duplicated). Maps are walked in
//! key order, so the same scenario always gives the same issues in the same order.

use crate::scenario::{Scenario, TravelModel};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Most workers a scenario may hold, in one group, one origin or in total.
const MAX_WORKERS: u64 = 100_000_000;
/// Most buses a scenario may hold, in one fleet entry or in total.
const MAX_BUSES: u64 = 1_000_000;
/// Latest time a scenario may name, minutes from the plan start (366 days).
const MAX_TIME_MIN: u32 = 366 * 24 * 60;
/// Longest plausible regrouping at a hub, minutes.
const MAX_TRANSFER_MIN: u32 = 24 * 60;
/// Fastest plausible average bus speed, km/h.
const MAX_SPEED_KMH: f64 = 200.0;
/// Similarity (0..=1) from which a known id is offered as "did you mean".
const SUGGEST_FROM: f64 = 0.8;
/// How many known ids a hint lists when none is close.
const LIST_AT_MOST: usize = 5;

/// One problem found in a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Stable code, for example `E1003` (see [`codes`]).
    pub code: String,
    /// Where in the document, for example `origins[2].workers[0].to`.
    pub path: String,
    /// What is wrong, as a plain sentence.
    pub message: String,
    /// What to do about it, when there is something specific to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Issue {
    /// An issue without a hint.
    pub fn new(
        code: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Issue {
            code: code.into(),
            path: path.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// The same issue with a hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Issue {
    /// `{code} {path}: {message}`, then `; {hint}` when there is a hint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.code, self.path, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// A scenario that cannot be planned: every issue found, in document order.
///
/// Displays as one issue per line, then a last line with the count (`2 errors`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", render(.issues))]
pub struct InvalidScenario {
    /// The issues, in document order; never empty when returned by this module.
    pub issues: Vec<Issue>,
}

fn render(issues: &[Issue]) -> String {
    use fmt::Write as _;
    let mut out = String::new();
    for issue in issues {
        let _ = writeln!(out, "{issue}");
    }
    let n = issues.len();
    let _ = write!(out, "{n} error{}", if n == 1 { "" } else { "s" });
    out
}

/// Every code with a one-line description, in code order.
pub fn codes() -> &'static [(&'static str, &'static str)] {
    CODES
}

const CODES: &[(&str, &str)] = &[
    (
        "E0001",
        "the text is not valid JSON, a value has the wrong type, or a field is unknown or missing",
    ),
    (
        "E1001",
        "two sites (origins, hubs, destinations) share one id",
    ),
    ("E1002", "an id is empty or blank"),
    ("E1003", "a worker group goes to an unknown destination"),
    ("E1004", "a fleet names an unknown vehicle type"),
    (
        "E1005",
        "a service starts or ends at an unknown hub (services run between hubs)",
    ),
    ("E1006", "two vehicle types or two services share one id"),
    (
        "E1101",
        "a latitude is outside [-90, 90] or not a finite number",
    ),
    (
        "E1102",
        "a longitude is outside [-180, 180] or not a finite number",
    ),
    ("E1201", "a vehicle type has no seats"),
    ("E1202", "a vehicle type's load_cap is not in (0, 1]"),
    (
        "E1203",
        "a vehicle type has more accessible seats than seats",
    ),
    (
        "E1204",
        "a vehicle type's fixed or per-km cost is negative or not finite",
    ),
    ("E1205", "a speed is not above 0 and at most 200 km/h"),
    (
        "E1206",
        "a vehicle type has no seat left once load_cap is applied",
    ),
    ("E1301", "a worker group has no workers"),
    ("E1302", "there are no vehicle types"),
    ("E1303", "there are no origins"),
    ("E1304", "there are no destinations"),
    (
        "E1305",
        "one origin has two worker groups with the same destination and needs",
    ),
    ("E1401", "a service arrives no later than it departs"),
    ("E1402", "a service starts and ends at the same hub"),
    ("E1403", "a service has no seats"),
    (
        "E1404",
        "a service's price per seat is negative or not finite",
    ),
    (
        "E1501",
        "the great-circle circuity is below 1 or not finite",
    ),
    ("E1502", "a distance matrix entry names an unknown site"),
    (
        "E1503",
        "a distance matrix entry's km is negative or not finite",
    ),
    ("E1504", "a road edge names an unknown road node"),
    (
        "E1505",
        "a site has no road node, or is mapped to an unknown road node",
    ),
    ("E1506", "a road edge's km is negative or not finite"),
    ("E1507", "two road nodes share one id"),
    ("E1508", "the road site mapping names an unknown site"),
    ("E1601", "an objective weight is negative or not finite"),
    ("E1701", "a hub's transfer time is longer than a day"),
    ("E1702", "a hub allows no bus at all (max_buses is 0)"),
    (
        "E1801",
        "implausibly many workers (over 100,000,000 in a group, an origin or in total)",
    ),
    (
        "E1802",
        "implausibly many buses (over 1,000,000 in a fleet entry or in total)",
    ),
    (
        "E1803",
        "a time lies more than 366 days after the plan start",
    ),
    ("E1901", "workers are waiting but there is no bus anywhere"),
];

/// Parses a scenario from JSON text and validates it.
///
/// Text that is not JSON, a value of the wrong type, a missing field or an unknown field gives
/// one issue `E0001` whose path is `line L, column C`. A scenario that parses is then checked by
/// [`validate`], and every issue it finds is returned.
pub fn parse_scenario(json: &str) -> Result<Scenario, InvalidScenario> {
    match serde_json::from_str::<Scenario>(json) {
        Ok(scenario) => {
            validate(&scenario)?;
            Ok(scenario)
        }
        Err(err) => Err(InvalidScenario {
            issues: vec![json_issue(&err)],
        }),
    }
}

fn json_issue(err: &serde_json::Error) -> Issue {
    let full = err.to_string();
    let (line, column) = (err.line(), err.column());
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    let path = if line == 0 {
        "document".to_string()
    } else {
        format!("line {line}, column {column}")
    };
    let hint = match err.classify() {
        serde_json::error::Category::Syntax => {
            Some("the text is not valid JSON here: look for a missing or extra comma, quote, bracket or brace".to_string())
        }
        serde_json::error::Category::Eof => {
            Some("the text ends too early: a closing bracket, brace or quote is missing".to_string())
        }
        serde_json::error::Category::Data => Some(data_hint(&message)),
        serde_json::error::Category::Io => None,
    };
    let issue = Issue::new("E0001", path, message);
    match hint {
        Some(h) => issue.with_hint(h),
        None => issue,
    }
}

/// Hint for a serde data error: did-you-mean for unknown fields and variants.
fn data_hint(message: &str) -> String {
    for lead in ["unknown field `", "unknown variant `"] {
        if let Some(rest) = message.strip_prefix(lead) {
            let Some(end) = rest.find('`') else { break };
            let word = &rest[..end];
            let expected: Vec<&str> = rest[end + 1..].split('`').skip(1).step_by(2).collect();
            if let Some(best) = closest(word, &expected) {
                return format!("did you mean {best:?}?");
            }
            return "remove it or check its spelling against docs/scenario.md".to_string();
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        return format!("add the field {field:?} (see docs/scenario.md)");
    }
    "the value does not fit this field: see docs/scenario.md for its type and range".to_string()
}

/// Checks a parsed scenario and returns every issue found, in document order.
///
/// Never panics, whatever the values; never stops at the first issue.
pub fn validate(s: &Scenario) -> Result<(), InvalidScenario> {
    let issues = Checker::new(s).run();
    if issues.is_empty() {
        Ok(())
    } else {
        Err(InvalidScenario { issues })
    }
}

/// What kind of site an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SiteKind {
    Origin,
    Hub,
    Destination,
}

impl SiteKind {
    fn article(self) -> &'static str {
        match self {
            SiteKind::Origin => "an origin",
            SiteKind::Hub => "a hub",
            SiteKind::Destination => "a destination",
        }
    }
}

/// Known ids of one kind: first path of each id, and the ids in document order.
#[derive(Default)]
struct Ids<'a> {
    first: BTreeMap<&'a str, String>,
    order: Vec<&'a str>,
}

impl<'a> Ids<'a> {
    /// Records an id (blank ids are skipped: they get E1002 instead).
    fn add(&mut self, id: &'a str, path: String) {
        if is_blank(id) || self.first.contains_key(id) {
            return;
        }
        self.first.insert(id, path);
        self.order.push(id);
    }
    fn contains(&self, id: &str) -> bool {
        self.first.contains_key(id)
    }
    /// The path of the first occurrence if `path` is a later one.
    fn earlier(&self, id: &str, path: &str) -> Option<&str> {
        self.first
            .get(id)
            .map(String::as_str)
            .filter(|first| *first != path)
    }
}

struct Checker<'a> {
    s: &'a Scenario,
    out: Vec<Issue>,
    sites: Ids<'a>,
    site_kind: BTreeMap<&'a str, SiteKind>,
    hubs: Ids<'a>,
    destinations: Ids<'a>,
    vehicle_types: Ids<'a>,
    services: Ids<'a>,
}

impl<'a> Checker<'a> {
    fn new(s: &'a Scenario) -> Self {
        let mut c = Checker {
            s,
            out: Vec::new(),
            sites: Ids::default(),
            site_kind: BTreeMap::new(),
            hubs: Ids::default(),
            destinations: Ids::default(),
            vehicle_types: Ids::default(),
            services: Ids::default(),
        };
        for (i, v) in s.vehicle_types.iter().enumerate() {
            c.vehicle_types.add(&v.id, format!("vehicle_types[{i}].id"));
        }
        let sites = s
            .origins
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.as_str(), format!("origins[{i}].id"), SiteKind::Origin))
            .chain(
                s.hubs
                    .iter()
                    .enumerate()
                    .map(|(i, h)| (h.id.as_str(), format!("hubs[{i}].id"), SiteKind::Hub)),
            )
            .chain(s.destinations.iter().enumerate().map(|(i, d)| {
                (
                    d.id.as_str(),
                    format!("destinations[{i}].id"),
                    SiteKind::Destination,
                )
            }));
        for (id, path, kind) in sites {
            if !is_blank(id) {
                c.site_kind.entry(id).or_insert(kind);
            }
            match kind {
                SiteKind::Hub => c.hubs.add(id, path.clone()),
                SiteKind::Destination => c.destinations.add(id, path.clone()),
                SiteKind::Origin => {}
            }
            c.sites.add(id, path);
        }
        for (i, sv) in s.services.iter().enumerate() {
            c.services.add(&sv.id, format!("services[{i}].id"));
        }
        c
    }

    fn push(
        &mut self,
        code: &str,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let issue = Issue::new(code, path, message);
        self.out.push(match hint {
            Some(h) => issue.with_hint(h),
            None => issue,
        });
    }

    fn run(mut self) -> Vec<Issue> {
        self.vehicle_types();
        self.origins();
        self.hubs();
        self.destinations();
        self.services();
        self.travel();
        self.objective();
        self.rules();
        self.out
    }

    // ----- shared checks -------------------------------------------------------------------

    fn id(&mut self, id: &str, path: &str, what: &str) -> bool {
        if is_blank(id) {
            self.push(
                "E1002",
                path,
                format!(
                    "the {what} id is {}",
                    if id.is_empty() { "empty" } else { "blank" }
                ),
                Some("give it a short unique id such as \"beipiao\"".to_string()),
            );
            return false;
        }
        true
    }

    fn site_id(&mut self, id: &str, path: &str, what: &str) {
        if !self.id(id, path, what) {
            return;
        }
        if let Some(first) = self.sites.earlier(id, path) {
            let hint = format!(
                "it is first used at {first}; origins, hubs and destinations share one set of ids"
            );
            self.push(
                "E1001",
                path,
                format!("the site id {id:?} is used twice"),
                Some(hint),
            );
        }
    }

    fn lat_lon(&mut self, base: &str, lat: f64, lon: f64) {
        let swapped = lat.is_finite()
            && lon.is_finite()
            && lat.abs() <= 180.0
            && lon.abs() <= 90.0
            && (lat.abs() > 90.0 || lon.abs() > 180.0);
        let swap_hint = "latitude and longitude look swapped".to_string();
        if !lat.is_finite() {
            self.push(
                "E1101",
                format!("{base}.lat"),
                format!("latitude {} is not a finite number", num(lat)),
                Some("give WGS84 decimal degrees, north positive".to_string()),
            );
        } else if lat.abs() > 90.0 {
            let hint = if swapped {
                swap_hint.clone()
            } else {
                "give WGS84 decimal degrees, north positive".to_string()
            };
            self.push(
                "E1101",
                format!("{base}.lat"),
                format!("latitude {} is outside [-90, 90]", num(lat)),
                Some(hint),
            );
        }
        if !lon.is_finite() {
            self.push(
                "E1102",
                format!("{base}.lon"),
                format!("longitude {} is not a finite number", num(lon)),
                Some("give WGS84 decimal degrees, east positive".to_string()),
            );
        } else if lon.abs() > 180.0 {
            let hint = if swapped {
                swap_hint
            } else {
                "give WGS84 decimal degrees, east positive".to_string()
            };
            self.push(
                "E1102",
                format!("{base}.lon"),
                format!("longitude {} is outside [-180, 180]", num(lon)),
                Some(hint),
            );
        }
    }

    fn time(&mut self, path: String, what: &str, minutes: u32) {
        if minutes > MAX_TIME_MIN {
            self.push(
                "E1803",
                path,
                format!("{what} {minutes} min is more than 366 days after the plan start"),
                Some("give whole minutes from the plan start, for example 540 for 15:00 when the plan starts at 06:00".to_string()),
            );
        }
    }

    fn speed(&mut self, path: String, speed: f64) {
        if !(speed.is_finite() && speed > 0.0 && speed <= MAX_SPEED_KMH) {
            self.push(
                "E1205",
                path,
                format!("speed {} km/h must be above 0 and at most 200", num(speed)),
                Some("give the average bus speed on these roads, for example 70".to_string()),
            );
        }
    }

    /// A fleet: known vehicle types, per-entry bus counts. Returns the fleet's bus total.
    fn fleet(&mut self, base: &str, fleet: &BTreeMap<String, u32>, too_many: &mut bool) -> u64 {
        let mut total = 0_u64;
        for (ty, &n) in fleet {
            let path = key_path(&format!("{base}.fleet"), ty);
            if !self.vehicle_types.contains(ty) {
                let hint = suggest(
                    ty,
                    &self.vehicle_types.order,
                    "vehicle types",
                    "add one to \"vehicle_types\"",
                );
                self.push(
                    "E1004",
                    path.clone(),
                    format!("unknown vehicle type {ty:?}"),
                    Some(hint),
                );
            }
            if u64::from(n) > MAX_BUSES {
                *too_many = true;
                self.push(
                    "E1802",
                    path,
                    format!("{n} buses is implausibly many (at most 1,000,000)"),
                    Some("give the number of buses available, not seats or workers".to_string()),
                );
            }
            total += u64::from(n);
        }
        total
    }

    // ----- sections, in document order -----------------------------------------------------

    fn vehicle_types(&mut self) {
        let s = self.s;
        if s.vehicle_types.is_empty() {
            self.push(
                "E1302",
                "vehicle_types",
                "there are no vehicle types, so no bus can be chartered",
                Some("add at least one, for example {\"id\": \"coach-53\", \"seats\": 53, \"fixed_cost_yuan\": 1800, \"cost_per_km_yuan\": 6}".to_string()),
            );
        }
        for (i, v) in s.vehicle_types.iter().enumerate() {
            let base = format!("vehicle_types[{i}]");
            let id_path = format!("{base}.id");
            if self.id(&v.id, &id_path, "vehicle type") {
                if let Some(first) = self.vehicle_types.earlier(&v.id, &id_path) {
                    let hint =
                        format!("it is first used at {first}; rename one or remove the copy");
                    self.push(
                        "E1006",
                        id_path,
                        format!("the vehicle type id {:?} is used twice", v.id),
                        Some(hint),
                    );
                }
            }
            if v.seats == 0 {
                self.push(
                    "E1201",
                    format!("{base}.seats"),
                    "the vehicle type has 0 seats",
                    Some("give the rated passenger seats, for example 53".to_string()),
                );
            }
            let load_ok = v.load_cap > 0.0 && v.load_cap <= 1.0;
            if !load_ok {
                self.push(
                    "E1202",
                    format!("{base}.load_cap"),
                    format!("load_cap {} is not in (0, 1]", num(v.load_cap)),
                    Some(
                        "give the share of seats that may be used, for example 1 or 0.5"
                            .to_string(),
                    ),
                );
            }
            if v.accessible_seats > v.seats {
                self.push(
                    "E1203",
                    format!("{base}.accessible_seats"),
                    format!(
                        "accessible_seats {} is more than seats {}",
                        v.accessible_seats, v.seats
                    ),
                    Some(
                        "accessible seats are counted within the seats: lower accessible_seats"
                            .to_string(),
                    ),
                );
            }
            for (field, value) in [
                ("fixed_cost_yuan", v.fixed_cost_yuan),
                ("cost_per_km_yuan", v.cost_per_km_yuan),
            ] {
                if !(value.is_finite() && value >= 0.0) {
                    self.push(
                        "E1204",
                        format!("{base}.{field}"),
                        format!("{field} {} must be a number of yuan, 0 or more", num(value)),
                        None,
                    );
                }
            }
            if let Some(speed) = v.speed_kmh {
                self.speed(format!("{base}.speed_kmh"), speed);
            }
            if v.seats > 0 && load_ok && v.capped_seats() == 0 {
                self.push(
                    "E1206",
                    format!("{base}.load_cap"),
                    format!(
                        "seats {} at load_cap {} leaves no seat that may be used",
                        v.seats,
                        num(v.load_cap)
                    ),
                    Some("raise load_cap or seats, or remove the vehicle type".to_string()),
                );
            }
        }
    }

    fn origins(&mut self) {
        let s = self.s;
        if s.origins.is_empty() {
            self.push(
                "E1303",
                "origins",
                "there are no origins, so no worker is waiting anywhere",
                Some("add the departure points with their workers".to_string()),
            );
        }
        let mut workers_total = 0_u64;
        let mut workers_flagged = false;
        let mut buses_total = 0_u64;
        let mut buses_flagged = false;
        for (i, o) in s.origins.iter().enumerate() {
            let base = format!("origins[{i}]");
            self.site_id(&o.id, &format!("{base}.id"), "origin");
            self.lat_lon(&base, o.lat, o.lon);
            self.time(format!("{base}.ready_min"), "ready_min", o.ready_min);
            let mut origin_sum = 0_u64;
            let mut origin_flagged = false;
            let mut seen: BTreeMap<(&str, BTreeSet<crate::scenario::Need>), usize> =
                BTreeMap::new();
            for (j, w) in o.workers.iter().enumerate() {
                let wbase = format!("{base}.workers[{j}]");
                if !self.destinations.contains(&w.to) {
                    self.unknown_destination(&format!("{wbase}.to"), &w.to);
                }
                if w.count == 0 {
                    self.push(
                        "E1301",
                        format!("{wbase}.count"),
                        "the worker group has 0 workers",
                        Some("remove the group".to_string()),
                    );
                } else if u64::from(w.count) > MAX_WORKERS {
                    origin_flagged = true;
                    self.push(
                        "E1801",
                        format!("{wbase}.count"),
                        format!(
                            "{} workers is implausibly many (at most 100,000,000)",
                            w.count
                        ),
                        Some("give the number of workers in the group".to_string()),
                    );
                }
                origin_sum += u64::from(w.count);
                let key = (
                    w.to.as_str(),
                    w.needs.iter().copied().collect::<BTreeSet<_>>(),
                );
                if let Some(&k) = seen.get(&key) {
                    self.push(
                        "E1305",
                        wbase,
                        format!("a group to {:?} with the same needs is already listed at {base}.workers[{k}]", w.to),
                        Some(format!("merge them: add the counts into {base}.workers[{k}]")),
                    );
                } else {
                    seen.insert(key, j);
                }
            }
            if !origin_flagged && origin_sum > MAX_WORKERS {
                origin_flagged = true;
                self.push(
                    "E1801",
                    format!("{base}.workers"),
                    format!("{origin_sum} workers at one origin is implausibly many (at most 100,000,000)"),
                    Some("check the counts".to_string()),
                );
            }
            workers_flagged |= origin_flagged;
            workers_total += origin_sum;
            buses_total += self.fleet(&base, &o.fleet, &mut buses_flagged);
        }
        // Totals over the whole scenario (hub fleets included), reported under "origins".
        if !workers_flagged && workers_total > MAX_WORKERS {
            self.push(
                "E1801",
                "origins",
                format!(
                    "{workers_total} workers in total is implausibly many (at most 100,000,000)"
                ),
                Some("check the counts".to_string()),
            );
        }
        let hub_buses: u64 = s
            .hubs
            .iter()
            .flat_map(|h| h.fleet.values())
            .map(|&n| u64::from(n))
            .sum();
        let hub_flagged = s
            .hubs
            .iter()
            .flat_map(|h| h.fleet.values())
            .any(|&n| u64::from(n) > MAX_BUSES);
        buses_total += hub_buses;
        if !buses_flagged && !hub_flagged && buses_total > MAX_BUSES {
            self.push(
                "E1802",
                "origins",
                format!("{buses_total} buses in total is implausibly many (at most 1,000,000)"),
                Some("give the number of buses available, not seats or workers".to_string()),
            );
        }
        if workers_total > 0 && buses_total == 0 {
            self.push(
                "E1901",
                "origins",
                format!("{workers_total} workers are waiting but no origin or hub has any bus"),
                Some(
                    "add \"fleet\" to origins, for example \"fleet\": {\"coach-53\": 4}"
                        .to_string(),
                ),
            );
        }
    }

    fn unknown_destination(&mut self, path: &str, to: &str) {
        if let Some(kind) = self.site_kind.get(to).copied() {
            let hint = format!(
                "workers can only be dropped at destinations; {}",
                suggest(
                    to,
                    &self.destinations.order,
                    "destinations",
                    "add one to \"destinations\""
                )
            );
            self.push(
                "E1003",
                path,
                format!("{to:?} is {}, not a destination", kind.article()),
                Some(hint),
            );
        } else {
            let hint = if is_blank(to) {
                format!(
                    "give a destination id; {}",
                    suggest(
                        to,
                        &self.destinations.order,
                        "destinations",
                        "add one to \"destinations\""
                    )
                )
            } else {
                suggest(
                    to,
                    &self.destinations.order,
                    "destinations",
                    "add one to \"destinations\"",
                )
            };
            self.push(
                "E1003",
                path,
                format!("unknown destination {to:?}"),
                Some(hint),
            );
        }
    }

    fn hubs(&mut self) {
        let s = self.s;
        let mut ignored = false;
        for (i, h) in s.hubs.iter().enumerate() {
            let base = format!("hubs[{i}]");
            self.site_id(&h.id, &format!("{base}.id"), "hub");
            self.lat_lon(&base, h.lat, h.lon);
            if h.transfer_min > MAX_TRANSFER_MIN {
                self.push(
                    "E1701",
                    format!("{base}.transfer_min"),
                    format!(
                        "transfer_min {} is longer than a day (1440 min), which is implausible",
                        h.transfer_min
                    ),
                    Some("give the minutes needed to regroup here, for example 30".to_string()),
                );
            }
            if h.max_buses == Some(0) {
                self.push(
                    "E1702",
                    format!("{base}.max_buses"),
                    "max_buses is 0, so no bus may stop at this hub",
                    Some("remove the hub or the limit".to_string()),
                );
            }
            self.fleet(&base, &h.fleet, &mut ignored);
        }
    }

    fn destinations(&mut self) {
        let s = self.s;
        if s.destinations.is_empty() {
            self.push(
                "E1304",
                "destinations",
                "there are no destinations, so workers cannot be dropped anywhere",
                Some("add the drop points at or near the employers".to_string()),
            );
        }
        for (i, d) in s.destinations.iter().enumerate() {
            let base = format!("destinations[{i}]");
            self.site_id(&d.id, &format!("{base}.id"), "destination");
            self.lat_lon(&base, d.lat, d.lon);
            self.time(
                format!("{base}.deadline_min"),
                "deadline_min",
                d.deadline_min,
            );
        }
    }

    fn services(&mut self) {
        let s = self.s;
        for (i, sv) in s.services.iter().enumerate() {
            let base = format!("services[{i}]");
            let id_path = format!("{base}.id");
            if self.id(&sv.id, &id_path, "service") {
                if let Some(first) = self.services.earlier(&sv.id, &id_path) {
                    let hint =
                        format!("it is first used at {first}; rename one or remove the copy");
                    self.push(
                        "E1006",
                        id_path,
                        format!("the service id {:?} is used twice", sv.id),
                        Some(hint),
                    );
                }
            }
            for (field, hub) in [("from", &sv.from), ("to", &sv.to)] {
                if !self.hubs.contains(hub) {
                    self.unknown_hub(&format!("{base}.{field}"), hub);
                }
            }
            self.time(
                format!("{base}.departure_min"),
                "departure_min",
                sv.departure_min,
            );
            self.time(format!("{base}.arrival_min"), "arrival_min", sv.arrival_min);
            if sv.arrival_min <= sv.departure_min {
                self.push(
                    "E1401",
                    format!("{base}.arrival_min"),
                    format!(
                        "the service arrives at {} min, not after it departs at {} min",
                        sv.arrival_min, sv.departure_min
                    ),
                    Some(
                        "give both times in minutes from the plan start; arrival must be later"
                            .to_string(),
                    ),
                );
            }
            if sv.from == sv.to && !is_blank(&sv.from) {
                self.push(
                    "E1402",
                    format!("{base}.to"),
                    format!("the service starts and ends at the same hub {:?}", sv.to),
                    Some("set \"to\" to the hub where workers alight".to_string()),
                );
            }
            if sv.seats == 0 {
                self.push(
                    "E1403",
                    format!("{base}.seats"),
                    "the service has 0 seats for the workers",
                    Some(
                        "give the seats reserved for the workers, or remove the service"
                            .to_string(),
                    ),
                );
            }
            if !(sv.cost_per_seat_yuan.is_finite() && sv.cost_per_seat_yuan >= 0.0) {
                self.push(
                    "E1404",
                    format!("{base}.cost_per_seat_yuan"),
                    format!(
                        "cost_per_seat_yuan {} must be a number of yuan, 0 or more",
                        num(sv.cost_per_seat_yuan)
                    ),
                    None,
                );
            }
        }
    }

    fn unknown_hub(&mut self, path: &str, id: &str) {
        let known = suggest(
            id,
            &self.hubs.order,
            "hubs",
            "add the station or airport to \"hubs\"",
        );
        if let Some(kind) = self.site_kind.get(id).copied() {
            self.push(
                "E1005",
                path,
                format!("{id:?} is {}, not a hub", kind.article()),
                Some(format!("services run between hubs: add a hub (station or airport) that buses link to {id:?}; {known}")),
            );
        } else {
            self.push(
                "E1005",
                path,
                format!("unknown hub {id:?}"),
                Some(format!("services run between hubs; {known}")),
            );
        }
    }

    fn travel(&mut self) {
        let s = self.s;
        self.speed("travel.speed_kmh".to_string(), s.travel.speed_kmh);
        match &s.travel.model {
            TravelModel::GreatCircle { circuity } => {
                if !(circuity.is_finite() && *circuity >= 1.0) {
                    self.push(
                        "E1501",
                        "travel.model.circuity",
                        format!(
                            "circuity {} must be a finite number of at least 1",
                            num(*circuity)
                        ),
                        Some("give road km per straight-line km, for example 1.3".to_string()),
                    );
                }
            }
            TravelModel::Matrix { entries } => {
                for (i, e) in entries.iter().enumerate() {
                    let base = format!("travel.model.entries[{i}]");
                    for (field, site) in [("from", &e.from), ("to", &e.to)] {
                        if !self.sites.contains(site) {
                            let hint = suggest(
                                site,
                                &self.sites.order,
                                "sites",
                                "add the site to origins, hubs or destinations",
                            );
                            self.push(
                                "E1502",
                                format!("{base}.{field}"),
                                format!("unknown site {site:?}"),
                                Some(hint),
                            );
                        }
                    }
                    if !(e.km.is_finite() && e.km >= 0.0) {
                        self.push(
                            "E1503",
                            format!("{base}.km"),
                            format!("km {} must be a finite number, 0 or more", num(e.km)),
                            Some("give the road distance in km".to_string()),
                        );
                    }
                    if let Some(m) = e.min {
                        self.time(format!("{base}.min"), "min", m);
                    }
                }
            }
            TravelModel::Roads {
                nodes,
                edges,
                sites,
            } => self.roads(nodes, edges, sites),
        }
    }

    fn roads(
        &mut self,
        nodes: &'a [crate::scenario::RoadNode],
        edges: &[crate::scenario::RoadEdge],
        sites: &BTreeMap<String, String>,
    ) {
        let mut known = Ids::default();
        for (i, n) in nodes.iter().enumerate() {
            known.add(&n.id, format!("travel.model.nodes[{i}].id"));
        }
        for (i, n) in nodes.iter().enumerate() {
            let base = format!("travel.model.nodes[{i}]");
            let id_path = format!("{base}.id");
            if self.id(&n.id, &id_path, "road node") {
                if let Some(first) = known.earlier(&n.id, &id_path) {
                    let hint =
                        format!("it is first used at {first}; rename one or remove the copy");
                    self.push(
                        "E1507",
                        id_path,
                        format!("the road node id {:?} is used twice", n.id),
                        Some(hint),
                    );
                }
            }
            self.lat_lon(&base, n.lat, n.lon);
        }
        for (i, e) in edges.iter().enumerate() {
            let base = format!("travel.model.edges[{i}]");
            for (field, node) in [("from", &e.from), ("to", &e.to)] {
                if !known.contains(node) {
                    let hint = suggest(node, &known.order, "road nodes", "add it to \"nodes\"");
                    self.push(
                        "E1504",
                        format!("{base}.{field}"),
                        format!("unknown road node {node:?}"),
                        Some(hint),
                    );
                }
            }
            if !(e.km.is_finite() && e.km >= 0.0) {
                self.push(
                    "E1506",
                    format!("{base}.km"),
                    format!("km {} must be a finite number, 0 or more", num(e.km)),
                    Some("give the length of the road section in km".to_string()),
                );
            }
        }
        for (site, node) in sites {
            let path = key_path("travel.model.sites", site);
            if !self.sites.contains(site) {
                let hint = suggest(site, &self.sites.order, "sites", "remove the entry");
                self.push(
                    "E1508",
                    path.clone(),
                    format!("unknown site {site:?}"),
                    Some(hint),
                );
            }
            if !known.contains(node) {
                let hint = suggest(node, &known.order, "road nodes", "add it to \"nodes\"");
                self.push(
                    "E1505",
                    path,
                    format!("the site is mapped to an unknown road node {node:?}"),
                    Some(hint),
                );
            }
        }
        let missing: Vec<&str> = self
            .sites
            .order
            .iter()
            .copied()
            .filter(|id| !sites.contains_key(*id))
            .collect();
        for id in missing {
            let example = known.order.first().copied().unwrap_or("n1");
            self.push(
                "E1505",
                key_path("travel.model.sites", id),
                format!("the site {id:?} has no road node"),
                Some(format!(
                    "map it to the road node it is reached from, for example {id:?}: {example:?}"
                )),
            );
        }
    }

    fn objective(&mut self) {
        let o = &self.s.objective;
        for (field, value) in [
            ("worker_minute_yuan", o.worker_minute_yuan),
            ("transfer_penalty_yuan", o.transfer_penalty_yuan),
            ("unserved_penalty_yuan", o.unserved_penalty_yuan),
            ("individual_fare_yuan", o.individual_fare_yuan),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                self.push(
                    "E1601",
                    format!("objective.{field}"),
                    format!("{field} {} must be a number of yuan, 0 or more", num(value)),
                    Some("leave the field out to use its default".to_string()),
                );
            }
        }
    }

    fn rules(&mut self) {
        if let Some(m) = self.s.rules.max_ride_min {
            self.time("rules.max_ride_min".to_string(), "max_ride_min", m);
        }
    }
}

fn is_blank(id: &str) -> bool {
    id.trim().is_empty()
}

/// `base.key` for plain keys, `base["odd key"]` otherwise.
fn key_path(base: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if plain {
        format!("{base}.{key}")
    } else {
        format!("{base}[{key:?}]")
    }
}

/// A number for a message: plain when ordinary, scientific when huge or tiny.
fn num(x: f64) -> String {
    let a = x.abs();
    if x.is_finite() && a < 1e15 && (a >= 1e-6 || a == 0.0) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// The known id most like `word`, if one is close enough (case-insensitive).
fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if word.len() > 256 {
        return None;
    }
    let w = word.to_lowercase();
    let mut best: Option<(&'c str, f64)> = None;
    for &c in candidates {
        if c.len() > 256 {
            continue;
        }
        let cl = c.to_lowercase();
        let score = strsim::jaro_winkler(&w, &cl).max(strsim::normalized_levenshtein(&w, &cl));
        if score >= SUGGEST_FROM && best.is_none_or(|(_, b)| score > b) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// "did you mean …?" when a known id is close; otherwise a short list of known ids.
fn suggest(word: &str, candidates: &[&str], plural: &str, when_none: &str) -> String {
    if let Some(best) = closest(word, candidates) {
        return format!("did you mean {best:?}?");
    }
    if candidates.is_empty() {
        return format!("no {plural} are defined: {when_none}");
    }
    let shown: Vec<String> = candidates
        .iter()
        .take(LIST_AT_MOST)
        .map(|c| format!("{c:?}"))
        .collect();
    let more = candidates.len().saturating_sub(LIST_AT_MOST);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("known {plural}: {}{tail}", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Destination, MatrixEntry, RoadEdge, RoadNode, VehicleType, WorkerGroup};
    use proptest::prelude::*;

    const BASE: &str = r#"{
  "name": "base",
  "vehicle_types": [
    {"id": "coach-53", "seats": 53, "accessible_seats": 2, "fixed_cost_yuan": 1800, "cost_per_km_yuan": 6.5},
    {"id": "minibus-19", "seats": 19, "load_cap": 0.5, "fixed_cost_yuan": 700, "cost_per_km_yuan": 3.5, "speed_kmh": 80}
  ],
  "origins": [
    {"id": "beipiao", "lat": 41.80, "lon": 120.77,
     "workers": [{"to": "ganjingzi", "count": 120}, {"to": "lushun", "count": 6, "needs": ["accessible"]}],
     "fleet": {"coach-53": 3}},
    {"id": "chaoyang", "lat": 41.57, "lon": 120.45, "ready_min": 30,
     "workers": [{"to": "ganjingzi", "count": 45}],
     "fleet": {"minibus-19": 4}}
  ],
  "hubs": [
    {"id": "jinzhou-south", "kind": "station", "lat": 41.10, "lon": 121.13, "max_buses": 20},
    {"id": "dalian-north", "kind": "station", "lat": 38.99, "lon": 121.60, "fleet": {"coach-53": 2}}
  ],
  "destinations": [
    {"id": "ganjingzi", "lat": 38.95, "lon": 121.58, "deadline_min": 900},
    {"id": "lushun", "lat": 38.81, "lon": 121.26, "deadline_min": 960}
  ],
  "services": [
    {"id": "D3812", "kind": "train", "from": "jinzhou-south", "to": "dalian-north",
     "departure_min": 180, "arrival_min": 330, "seats": 400, "cost_per_seat_yuan": 95}
  ]
}"#;

    fn base() -> Scenario {
        serde_json::from_str(BASE).expect("base scenario parses")
    }

    fn issues(s: &Scenario) -> Vec<Issue> {
        validate(s).err().map(|e| e.issues).unwrap_or_default()
    }

    fn site_ids(s: &Scenario) -> Vec<String> {
        let o = s.origins.iter().map(|o| o.id.clone());
        let h = s.hubs.iter().map(|h| h.id.clone());
        let d = s.destinations.iter().map(|d| d.id.clone());
        o.chain(h).chain(d).collect()
    }

    /// A valid distance matrix: every ordered pair of sites, 100 km.
    fn matrix(s: &mut Scenario) {
        let ids = site_ids(s);
        let mut entries = Vec::new();
        for a in &ids {
            for b in &ids {
                entries.push(MatrixEntry {
                    from: a.clone(),
                    to: b.clone(),
                    km: 100.0,
                    min: None,
                });
            }
        }
        s.travel.model = TravelModel::Matrix { entries };
    }

    /// A valid road graph: a star, one node per site around a junction.
    fn roads(s: &mut Scenario) {
        let ids = site_ids(s);
        let node = |id: &str| RoadNode {
            id: id.to_string(),
            lat: 40.0,
            lon: 121.0,
        };
        let mut nodes = vec![node("junction")];
        let mut edges = Vec::new();
        let mut sites = BTreeMap::new();
        for id in &ids {
            let n = format!("n-{id}");
            nodes.push(node(&n));
            edges.push(RoadEdge {
                from: n.clone(),
                to: "junction".to_string(),
                km: 50.0,
                closed: false,
                name: None,
            });
            sites.insert(id.clone(), n);
        }
        s.travel.model = TravelModel::Roads {
            nodes,
            edges,
            sites,
        };
    }

    fn edges(s: &mut Scenario) -> &mut Vec<RoadEdge> {
        match &mut s.travel.model {
            TravelModel::Roads { edges, .. } => edges,
            _ => unreachable!(),
        }
    }

    type Case = (
        &'static str,
        &'static str,
        fn(&mut Scenario),
        &'static [&'static str],
    );

    /// One way to break the base per code: code, path expected, the break, other codes it
    /// unavoidably causes.
    const CASES: &[Case] = &[
        (
            "E1001",
            "destinations[2].id",
            |s| {
                let mut d: Destination = s.destinations[0].clone();
                d.id = "beipiao".into();
                s.destinations.push(d);
            },
            &[],
        ),
        (
            "E1002",
            "vehicle_types[2].id",
            |s| {
                let mut v: VehicleType = s.vehicle_types[0].clone();
                v.id = "  ".into();
                s.vehicle_types.push(v);
            },
            &[],
        ),
        (
            "E1003",
            "origins[0].workers[0].to",
            |s| s.origins[0].workers[0].to = "ganjingz".into(),
            &[],
        ),
        (
            "E1004",
            "hubs[1].fleet.coach-35",
            |s| {
                s.hubs[1].fleet.clear();
                s.hubs[1].fleet.insert("coach-35".into(), 2);
            },
            &[],
        ),
        (
            "E1005",
            "services[0].from",
            |s| s.services[0].from = "jinzhou-sout".into(),
            &[],
        ),
        (
            "E1006",
            "vehicle_types[2].id",
            |s| {
                let v = s.vehicle_types[0].clone();
                s.vehicle_types.push(v);
            },
            &[],
        ),
        (
            "E1101",
            "destinations[1].lat",
            |s| s.destinations[1].lat = 91.0,
            &[],
        ),
        ("E1102", "hubs[0].lon", |s| s.hubs[0].lon = f64::NAN, &[]),
        (
            "E1201",
            "vehicle_types[1].seats",
            |s| s.vehicle_types[1].seats = 0,
            &[],
        ),
        (
            "E1202",
            "vehicle_types[0].load_cap",
            |s| s.vehicle_types[0].load_cap = 1.5,
            &[],
        ),
        (
            "E1203",
            "vehicle_types[0].accessible_seats",
            |s| s.vehicle_types[0].accessible_seats = 60,
            &[],
        ),
        (
            "E1204",
            "vehicle_types[0].cost_per_km_yuan",
            |s| s.vehicle_types[0].cost_per_km_yuan = -1.0,
            &[],
        ),
        (
            "E1205",
            "travel.speed_kmh",
            |s| s.travel.speed_kmh = 0.0,
            &[],
        ),
        (
            "E1206",
            "vehicle_types[1].load_cap",
            |s| s.vehicle_types[1].seats = 1,
            &[],
        ),
        (
            "E1301",
            "origins[1].workers[0].count",
            |s| s.origins[1].workers[0].count = 0,
            &[],
        ),
        (
            "E1302",
            "vehicle_types",
            |s| s.vehicle_types.clear(),
            &["E1004"],
        ),
        ("E1303", "origins", |s| s.origins.clear(), &[]),
        (
            "E1304",
            "destinations",
            |s| s.destinations.clear(),
            &["E1003"],
        ),
        (
            "E1305",
            "origins[0].workers[2]",
            |s| {
                s.origins[0].workers.push(WorkerGroup {
                    to: "ganjingzi".into(),
                    count: 5,
                    needs: vec![],
                });
            },
            &[],
        ),
        (
            "E1401",
            "services[0].arrival_min",
            |s| s.services[0].arrival_min = 180,
            &[],
        ),
        (
            "E1402",
            "services[0].to",
            |s| s.services[0].to = "jinzhou-south".into(),
            &[],
        ),
        (
            "E1403",
            "services[0].seats",
            |s| s.services[0].seats = 0,
            &[],
        ),
        (
            "E1404",
            "services[0].cost_per_seat_yuan",
            |s| s.services[0].cost_per_seat_yuan = f64::INFINITY,
            &[],
        ),
        (
            "E1501",
            "travel.model.circuity",
            |s| s.travel.model = TravelModel::GreatCircle { circuity: 0.9 },
            &[],
        ),
        (
            "E1502",
            "travel.model.entries[1].from",
            |s| {
                matrix(s);
                if let TravelModel::Matrix { entries } = &mut s.travel.model {
                    entries[1].from = "beipaio".into();
                }
            },
            &[],
        ),
        (
            "E1503",
            "travel.model.entries[0].km",
            |s| {
                matrix(s);
                if let TravelModel::Matrix { entries } = &mut s.travel.model {
                    entries[0].km = -3.0;
                }
            },
            &[],
        ),
        (
            "E1504",
            "travel.model.edges[0].to",
            |s| {
                roads(s);
                edges(s)[0].to = "juncton".into();
            },
            &[],
        ),
        (
            "E1505",
            "travel.model.sites.lushun",
            |s| {
                roads(s);
                if let TravelModel::Roads { sites, .. } = &mut s.travel.model {
                    sites.remove("lushun");
                }
            },
            &[],
        ),
        (
            "E1506",
            "travel.model.edges[1].km",
            |s| {
                roads(s);
                edges(s)[1].km = f64::NAN;
            },
            &[],
        ),
        (
            "E1507",
            "travel.model.nodes[7].id",
            |s| {
                roads(s);
                if let TravelModel::Roads { nodes, .. } = &mut s.travel.model {
                    nodes.push(RoadNode {
                        id: "junction".into(),
                        lat: 40.0,
                        lon: 121.0,
                    });
                }
            },
            &[],
        ),
        (
            "E1508",
            "travel.model.sites.lushunn",
            |s| {
                roads(s);
                if let TravelModel::Roads { sites, .. } = &mut s.travel.model {
                    sites.insert("lushunn".into(), "junction".into());
                }
            },
            &[],
        ),
        (
            "E1601",
            "objective.transfer_penalty_yuan",
            |s| s.objective.transfer_penalty_yuan = -20.0,
            &[],
        ),
        (
            "E1701",
            "hubs[0].transfer_min",
            |s| s.hubs[0].transfer_min = 2000,
            &[],
        ),
        (
            "E1702",
            "hubs[0].max_buses",
            |s| s.hubs[0].max_buses = Some(0),
            &[],
        ),
        (
            "E1801",
            "origins[0].workers[0].count",
            |s| s.origins[0].workers[0].count = 200_000_000,
            &[],
        ),
        (
            "E1802",
            "origins[0].fleet.coach-53",
            |s| {
                s.origins[0].fleet.insert("coach-53".into(), 2_000_000);
            },
            &[],
        ),
        (
            "E1803",
            "destinations[0].deadline_min",
            |s| s.destinations[0].deadline_min = u32::MAX,
            &[],
        ),
        (
            "E1901",
            "origins",
            |s| {
                s.origins.iter_mut().for_each(|o| o.fleet.clear());
                s.hubs.iter_mut().for_each(|h| h.fleet.clear());
            },
            &[],
        ),
    ];

    /// Breaks the base the way `CASES` says for `code`; checks the code and path are reported
    /// and that nothing else but the listed side effects is.
    fn case(code: &str) -> Vec<Issue> {
        let (_, path, mutate, extra) = CASES
            .iter()
            .find(|c| c.0 == code)
            .expect("a case for the code");
        let mut s = base();
        mutate(&mut s);
        let found = issues(&s);
        assert!(
            found.iter().any(|i| i.code == code && i.path == *path),
            "{code} at {path} not reported; got:\n{}",
            render(&found)
        );
        for i in &found {
            assert!(
                i.code == code || extra.contains(&i.code.as_str()),
                "unexpected issue {i}"
            );
        }
        found
    }

    #[test]
    fn base_is_valid() {
        assert_eq!(validate(&base()), Ok(()));
        assert!(parse_scenario(BASE).is_ok());
    }

    #[test]
    fn matrix_and_roads_helpers_are_valid() {
        let mut s = base();
        matrix(&mut s);
        assert_eq!(validate(&s), Ok(()));
        roads(&mut s);
        assert_eq!(validate(&s), Ok(()));
    }

    #[test]
    fn every_code_is_described_and_tested() {
        let listed: Vec<&str> = codes().iter().map(|c| c.0).collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(listed, sorted, "codes() is in code order, without repeats");
        for (code, desc) in codes() {
            assert!(!desc.is_empty());
            assert!(
                *code == "E0001" || CASES.iter().any(|c| c.0 == *code),
                "{code} has no test case"
            );
        }
        for c in CASES {
            assert!(listed.contains(&c.0), "{} is not in codes()", c.0);
        }
    }

    #[test]
    fn e0001_malformed_json_reports_line_and_column() {
        let err = parse_scenario("{\n  \"name\": \"x\",\n  \"origins\": [,]\n}").unwrap_err();
        assert_eq!(err.issues.len(), 1);
        let i = &err.issues[0];
        assert_eq!(i.code, "E0001");
        assert_eq!(i.path, "line 3, column 15");
        assert!(!i.message.contains("at line"), "{}", i.message);
        assert!(
            err.to_string().starts_with("E0001 line 3, column 15: "),
            "{err}"
        );
        assert!(err.to_string().ends_with("\n1 error"), "{err}");
    }

    #[test]
    fn e0001_wrong_type_and_unknown_field() {
        let wrong = BASE.replace("\"seats\": 53", "\"seats\": -53");
        let err = parse_scenario(&wrong).unwrap_err();
        assert_eq!(err.issues[0].code, "E0001");
        assert!(err.issues[0].path.starts_with("line 4, column "), "{err}");

        let unknown = BASE.replace(
            "\"fleet\": {\"coach-53\": 3}",
            "\"fleets\": {\"coach-53\": 3}",
        );
        let err = parse_scenario(&unknown).unwrap_err();
        assert_eq!(err.issues.len(), 1);
        assert_eq!(err.issues[0].code, "E0001");
        assert!(
            err.issues[0].message.starts_with("unknown field `fleets`"),
            "{err}"
        );
        assert_eq!(
            err.issues[0].hint.as_deref(),
            Some("did you mean \"fleet\"?")
        );

        let variant = BASE.replace("\"kind\": \"train\"", "\"kind\": \"trian\"");
        let err = parse_scenario(&variant).unwrap_err();
        assert_eq!(
            err.issues[0].hint.as_deref(),
            Some("did you mean \"train\"?")
        );

        let err = parse_scenario("").unwrap_err();
        assert_eq!(err.issues[0].code, "E0001");
    }

    #[test]
    fn parse_scenario_runs_validate() {
        let err = parse_scenario(&BASE.replace("\"count\": 45", "\"count\": 0")).unwrap_err();
        assert_eq!(
            err.issues,
            vec![Issue::new(
                "E1301",
                "origins[1].workers[0].count",
                "the worker group has 0 workers"
            )
            .with_hint("remove the group")]
        );
    }

    #[test]
    fn e1001_duplicate_site_id() {
        let found = case("E1001");
        assert_eq!(
            found[0]
                .hint
                .as_deref()
                .map(|h| h.contains("origins[0].id")),
            Some(true),
            "{}",
            found[0]
        );
    }
    #[test]
    fn e1002_blank_id() {
        case("E1002");
    }
    #[test]
    fn e1003_unknown_destination() {
        case("E1003");
    }
    #[test]
    fn e1003_did_you_mean_renders_exactly() {
        let mut s = base();
        s.origins[0].workers[0].to = "ganjingz".into();
        let err = validate(&s).unwrap_err();
        assert_eq!(
            err.issues[0].to_string(),
            "E1003 origins[0].workers[0].to: unknown destination \"ganjingz\"; did you mean \"ganjingzi\"?"
        );
        assert_eq!(
            err.to_string(),
            "E1003 origins[0].workers[0].to: unknown destination \"ganjingz\"; did you mean \"ganjingzi\"?\n1 error"
        );
    }
    #[test]
    fn e1003_far_off_lists_known_and_site_of_wrong_kind() {
        let mut s = base();
        s.origins[0].workers[0].to = "xyz".into();
        s.origins[0].workers[1].to = "dalian-north".into();
        let found = issues(&s);
        assert_eq!(
            found[0].hint.as_deref(),
            Some("known destinations: \"ganjingzi\", \"lushun\"")
        );
        assert_eq!(
            found[1].message,
            "\"dalian-north\" is a hub, not a destination"
        );
    }
    #[test]
    fn e1004_unknown_vehicle_type() {
        let found = case("E1004");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean \"coach-53\"?"));
    }
    #[test]
    fn e1005_unknown_hub() {
        let found = case("E1005");
        assert_eq!(
            found[0].hint.as_deref(),
            Some("services run between hubs; did you mean \"jinzhou-south\"?")
        );
    }
    #[test]
    fn e1006_duplicate_vehicle_type_or_service() {
        case("E1006");
        let mut s = base();
        let sv = s.services[0].clone();
        s.services.push(sv);
        let found = issues(&s);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].code.as_str(), found[0].path.as_str()),
            ("E1006", "services[1].id")
        );
    }
    #[test]
    fn e1101_latitude() {
        case("E1101");
    }
    #[test]
    fn e1102_longitude() {
        case("E1102");
    }
    #[test]
    fn e1201_no_seats() {
        case("E1201");
    }
    #[test]
    fn e1202_load_cap() {
        case("E1202");
    }
    #[test]
    fn e1203_accessible_seats() {
        case("E1203");
    }
    #[test]
    fn e1204_cost() {
        case("E1204");
    }
    #[test]
    fn e1205_speed() {
        case("E1205");
        let mut s = base();
        s.vehicle_types[1].speed_kmh = Some(250.0);
        assert_eq!(issues(&s)[0].path, "vehicle_types[1].speed_kmh");
    }
    #[test]
    fn e1206_capped_seats() {
        case("E1206");
    }
    #[test]
    fn e1301_empty_group() {
        case("E1301");
    }
    #[test]
    fn e1302_no_vehicle_types() {
        case("E1302");
    }
    #[test]
    fn e1303_no_origins() {
        case("E1303");
    }
    #[test]
    fn e1304_no_destinations() {
        case("E1304");
    }
    #[test]
    fn e1305_duplicate_group() {
        let found = case("E1305");
        assert_eq!(
            found[0].hint.as_deref(),
            Some("merge them: add the counts into origins[0].workers[0]")
        );
    }
    #[test]
    fn e1401_arrival_not_after_departure() {
        case("E1401");
    }
    #[test]
    fn e1402_same_hub() {
        case("E1402");
    }
    #[test]
    fn e1403_service_seats() {
        case("E1403");
    }
    #[test]
    fn e1404_service_cost() {
        case("E1404");
    }
    #[test]
    fn e1501_circuity() {
        case("E1501");
    }
    #[test]
    fn e1502_matrix_unknown_site() {
        let found = case("E1502");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean \"beipiao\"?"));
    }
    #[test]
    fn e1503_matrix_km() {
        case("E1503");
    }
    #[test]
    fn e1504_edge_unknown_node() {
        let found = case("E1504");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean \"junction\"?"));
    }
    #[test]
    fn e1505_site_without_node() {
        case("E1505");
        let mut s = base();
        roads(&mut s);
        if let TravelModel::Roads { sites, .. } = &mut s.travel.model {
            sites.insert("beipiao".into(), "nowhere".into());
        }
        let found = issues(&s);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].code.as_str(), found[0].path.as_str()),
            ("E1505", "travel.model.sites.beipiao")
        );
    }
    #[test]
    fn e1506_edge_km() {
        case("E1506");
    }
    #[test]
    fn e1507_duplicate_node() {
        case("E1507");
    }
    #[test]
    fn e1508_mapping_unknown_site() {
        let found = case("E1508");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean \"lushun\"?"));
    }
    #[test]
    fn e1601_objective() {
        case("E1601");
    }
    #[test]
    fn e1701_transfer_min() {
        case("E1701");
    }
    #[test]
    fn e1702_max_buses_zero() {
        let found = case("E1702");
        assert_eq!(
            found[0].hint.as_deref(),
            Some("remove the hub or the limit")
        );
    }
    #[test]
    fn e1801_too_many_workers() {
        case("E1801");
        let mut s = base();
        s.origins[0].workers[0].count = 60_000_000;
        s.origins[0].workers[1].count = 60_000_000;
        assert_eq!(
            issues(&s)
                .iter()
                .map(|i| i.path.as_str())
                .collect::<Vec<_>>(),
            ["origins[0].workers"]
        );
        let mut s = base();
        s.origins[0].workers[0].count = 60_000_000;
        s.origins[1].workers[0].count = 60_000_000;
        assert_eq!(
            issues(&s)
                .iter()
                .map(|i| i.path.as_str())
                .collect::<Vec<_>>(),
            ["origins"]
        );
        let mut s = base();
        for o in &mut s.origins {
            for w in &mut o.workers {
                w.count = u32::MAX;
            }
        }
        assert_eq!(issues(&s).len(), 3, "one per group, no total on top");
    }
    #[test]
    fn e1802_too_many_buses() {
        case("E1802");
    }
    #[test]
    fn e1803_absurd_time() {
        case("E1803");
    }
    #[test]
    fn e1901_no_bus_anywhere() {
        let found = case("E1901");
        assert!(found[0]
            .hint
            .as_deref()
            .is_some_and(|h| h.starts_with("add \"fleet\" to origins")));
    }

    #[test]
    fn all_independent_errors_are_reported_in_document_order() {
        let mut s = base();
        s.objective.worker_minute_yuan = f64::NAN;
        s.services[0].seats = 0;
        s.origins[0].workers[0].to = "ganjingz".into();
        s.vehicle_types[0].load_cap = 0.0;
        s.hubs[1].lat = -100.0;
        s.destinations[0].id = String::new();
        let found = issues(&s);
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|i| (i.code.as_str(), i.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("E1202", "vehicle_types[0].load_cap"),
                ("E1003", "origins[0].workers[0].to"),
                ("E1003", "origins[1].workers[0].to"),
                ("E1101", "hubs[1].lat"),
                ("E1002", "destinations[0].id"),
                ("E1403", "services[0].seats"),
                ("E1601", "objective.worker_minute_yuan"),
            ]
        );
        let text = validate(&s).unwrap_err().to_string();
        assert_eq!(text.lines().count(), 8);
        assert!(text.ends_with("\n7 errors"));
    }

    #[test]
    fn lat_lon_swap_is_pointed_out() {
        let mut s = base();
        s.origins[0].lat = 120.77;
        s.origins[0].lon = 41.80;
        let found = issues(&s);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].hint.as_deref(),
            Some("latitude and longitude look swapped")
        );
    }

    #[test]
    fn odd_map_keys_get_quoted_paths() {
        let mut s = base();
        s.origins[0].fleet.insert("a.b".into(), 1);
        s.origins[0].fleet.insert(String::new(), 1);
        let paths: Vec<String> = issues(&s).into_iter().map(|i| i.path).collect();
        assert_eq!(
            paths,
            ["origins[0].fleet[\"\"]", "origins[0].fleet[\"a.b\"]"]
        );
    }

    #[test]
    fn empty_scenario_does_not_panic() {
        let err = parse_scenario(
            r#"{"name": "", "vehicle_types": [], "origins": [], "destinations": []}"#,
        )
        .unwrap_err();
        let codes: Vec<&str> = err.issues.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, ["E1302", "E1303", "E1304"]);
    }

    #[test]
    fn issue_round_trips_through_json() {
        let i = Issue::new("E1403", "services[0].seats", "no seats").with_hint("remove it");
        let text = serde_json::to_string(&i).unwrap();
        assert_eq!(serde_json::from_str::<Issue>(&text).unwrap(), i);
        let plain = Issue::new("E1403", "services[0].seats", "no seats");
        assert!(!serde_json::to_string(&plain).unwrap().contains("hint"));
    }

    /// Byte ranges of the number tokens of a JSON text.
    fn number_spans(text: &str) -> Vec<(usize, usize)> {
        let b = text.as_bytes();
        let (mut spans, mut i, mut in_str) = (Vec::new(), 0, false);
        while i < b.len() {
            let c = b[i];
            if in_str {
                if c == b'\\' {
                    i += 1;
                } else if c == b'"' {
                    in_str = false;
                }
                i += 1;
            } else if c == b'"' {
                in_str = true;
                i += 1;
            } else if c == b'-' || c.is_ascii_digit() {
                let start = i;
                while i < b.len() && (b[i].is_ascii_digit() || b"+-.eE".contains(&b[i])) {
                    i += 1;
                }
                spans.push((start, i));
            } else {
                i += 1;
            }
        }
        spans
    }

    fn number_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<f64>().prop_map(|x| format!("{x:?}")),
            any::<f64>().prop_map(|x| format!("{x:e}")),
            any::<i64>().prop_map(|x| x.to_string()),
            any::<u64>().prop_map(|x| x.to_string()),
            (0_u32..3).prop_map(|x| x.to_string()),
            prop::sample::select(vec![
                "1e400",
                "-1e400",
                "1e-400",
                "-0",
                "4294967296",
                "NaN",
                "Infinity",
                "0.0",
                "1.",
                "--1"
            ])
            .prop_map(str::to_string),
        ]
    }

    fn any_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            Just(-0.0),
            -1000.0..1000.0,
        ]
    }

    fn any_u32() -> impl Strategy<Value = u32> {
        prop_oneof![any::<u32>(), Just(0), Just(u32::MAX), 0_u32..100]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_text_never_panics(text in ".*") {
            if let Err(e) = parse_scenario(&text) {
                prop_assert!(!e.issues.is_empty());
                let _ = e.to_string();
            }
        }

        #[test]
        fn text_spliced_into_base_never_panics(at in 0..BASE.len(), junk in ".{0,12}") {
            let mut text = BASE.to_string();
            let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            text.insert_str(at, &junk);
            if let Err(e) = parse_scenario(&text) {
                prop_assert!(!e.issues.is_empty());
                let _ = e.to_string();
            }
        }

        #[test]
        fn mutated_numbers_never_panic(
            repl in prop::collection::vec(prop::option::weighted(0.3, number_text()), number_spans(BASE).len())
        ) {
            let spans = number_spans(BASE);
            let mut text = String::new();
            let mut last = 0;
            for ((start, end), r) in spans.iter().zip(&repl) {
                text.push_str(&BASE[last..*start]);
                text.push_str(r.as_deref().unwrap_or(&BASE[*start..*end]));
                last = *end;
            }
            text.push_str(&BASE[last..]);
            match parse_scenario(&text) {
                Ok(s) => prop_assert_eq!(validate(&s), Ok(())),
                Err(e) => {
                    prop_assert!(!e.issues.is_empty());
                    let _ = e.to_string();
                }
            }
        }

        #[test]
        fn mutated_scenario_never_panics(
            f in prop::collection::vec(any_f64(), 20),
            u in prop::collection::vec(any_u32(), 16),
            model in 0_u8..3,
        ) {
            let mut s = base();
            match model {
                1 => matrix(&mut s),
                2 => roads(&mut s),
                _ => s.travel.model = TravelModel::GreatCircle { circuity: f[19] },
            }
            s.vehicle_types[0].seats = u[0];
            s.vehicle_types[0].load_cap = f[0];
            s.vehicle_types[0].accessible_seats = u[1];
            s.vehicle_types[0].fixed_cost_yuan = f[1];
            s.vehicle_types[0].cost_per_km_yuan = f[2];
            s.vehicle_types[1].speed_kmh = Some(f[3]);
            s.vehicle_types[1].load_cap = f[4];
            s.vehicle_types[1].seats = u[2];
            s.origins[0].lat = f[5];
            s.origins[0].lon = f[6];
            s.origins[0].workers[0].count = u[3];
            s.origins[0].workers[1].count = u[4];
            s.origins[1].workers[0].count = u[5];
            s.origins[0].fleet.insert("coach-53".into(), u[6]);
            s.hubs[1].fleet.insert("coach-53".into(), u[7]);
            s.hubs[0].transfer_min = u[8];
            s.hubs[0].max_buses = Some(u[9]);
            s.hubs[1].lat = f[7];
            s.destinations[0].deadline_min = u[10];
            s.destinations[1].lon = f[8];
            s.services[0].departure_min = u[11];
            s.services[0].arrival_min = u[12];
            s.services[0].seats = u[13];
            s.services[0].cost_per_seat_yuan = f[9];
            s.travel.speed_kmh = f[10];
            s.objective.worker_minute_yuan = f[11];
            s.objective.transfer_penalty_yuan = f[12];
            s.objective.unserved_penalty_yuan = f[13];
            s.objective.individual_fare_yuan = f[14];
            s.rules.max_ride_min = Some(u[14]);
            match &mut s.travel.model {
                TravelModel::Matrix { entries } => {
                    entries[0].km = f[15];
                    entries[1].min = Some(u[15]);
                }
                TravelModel::Roads { nodes, edges, .. } => {
                    edges[0].km = f[16];
                    nodes[0].lat = f[17];
                    nodes[1].lon = f[18];
                }
                TravelModel::GreatCircle { .. } => {}
            }
            let first = validate(&s);
            if let Err(e) = &first {
                prop_assert!(!e.issues.is_empty());
                let _ = e.to_string();
            }
            prop_assert_eq!(first, validate(&s), "deterministic");
        }
    }
}
