//! Worker registration and employer shortage CSVs into a scenario.
//!
//! Takes: the text of three CSV files (registered workers, employers' shortages, departure
//! sites), a [`Template`] (vehicle types, hubs, services, travel, objective, rules, default
//! fleets) and [`ImportOptions`]. Gives: [`Imported`], a validated [`Scenario`] with every
//! worker's departure point ([`Assignment`]), or every bad row at once ([`ImportError::BadRows`]).
//!
//! The columns, the time formats and the rules are documented in `docs/import.md`. In short:
//! - workers: `worker_id, name, village, lat, lon, employer, district[, needs]`;
//! - shortages: `employer, district[, district_name], lat, lon, workers_short, deadline`, one row
//!   per employer and drop point; `district` is the drop point's id;
//! - sites: `id[, name], lat, lon[, ready][, escorts][, fleet_<vehicle type>...]`.
//!
//! Headers are matched without regard to case, spaces or a UTF-8 byte order mark; every field
//! is trimmed; Chinese text is welcome anywhere. Line numbers are those of the file (the header
//! is line 1).
//!
//! Departure points: with [`Placement::Nearest`] every site is a candidate and every worker goes
//! to the nearest; with [`Placement::Choose`] the `k` sites that minimise the workers' total
//! great-circle access distance are opened ([`crate::pmedian`]), workers at identical
//! coordinates counted as one client of weight `w_i`. Either way a worker goes to the nearest
//! open site (ties to the site listed first), and sites that get no worker are left out.
//!
//! Bad rows are never dropped silently: by default any bad row makes the import fail with the
//! list of every one; with [`ImportOptions::exclude_bad_rows`] bad rows are left out, and the
//! list is returned in [`Imported::problems`] for the caller to print.

use crate::pmedian::{self, haversine_km, Method};
use busplan_core::scenario::{
    Destination, Hub, Need, Objective, Origin, Rules, Scenario, Service, Travel, VehicleType, WorkerGroup,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Which input file a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputFile {
    /// The worker registrations.
    Workers,
    /// The employers' shortages.
    Shortages,
    /// The departure sites.
    Sites,
    /// A roster of workers for the manifests (the assignments file of an import).
    Roster,
}

impl InputFile {
    /// `workers`, `shortages` or `sites`.
    pub fn name(self) -> &'static str {
        match self {
            InputFile::Workers => "workers",
            InputFile::Shortages => "shortages",
            InputFile::Sites => "sites",
            InputFile::Roster => "roster",
        }
    }
}

/// A bad row (or a bad header, line 1), with the reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowProblem {
    /// The file.
    pub file: InputFile,
    /// Line in the file, 1 = the header.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
    /// A problem with the file as a whole (a missing column): no row can be used, and
    /// [`ImportOptions::exclude_bad_rows`] does not help.
    pub fatal: bool,
    /// Only a warning under [`ImportOptions::exclude_bad_rows`] (a count mismatch): nothing is
    /// left out for it.
    pub warning: bool,
    /// The employer of a bad shortage row, to explain why its workers are left out too.
    pub employer: Option<String>,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.file.name(), self.line, self.reason)
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Bad rows, every one of them (sorted by file and line).
    #[error("{} bad rows:\n{}", .0.len(), list(.0))]
    BadRows(Vec<RowProblem>),
    /// The template is not valid JSON or lacks something.
    #[error("template: {0}")]
    Template(String),
    /// Nothing left to import, or no departure site.
    #[error("{0}")]
    Empty(String),
    /// Departure points could not be placed.
    #[error(transparent)]
    Placement(#[from] pmedian::PMedianError),
    /// The scenario built does not validate (for example the template's travel model does not
    /// know the new sites).
    #[error("the imported scenario does not validate: {0}")]
    Invalid(#[from] busplan_core::InvalidScenario),
}

fn list(problems: &[RowProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// Everything in a scenario that the CSVs do not give. Parsed from JSON with [`parse_template`];
/// a whole scenario is accepted too (its origins then give fleets, escorts and ready times by
/// site id, and its destinations are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Scenario name. Default: `imported`.
    #[serde(default)]
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Bus types.
    pub vehicle_types: Vec<VehicleType>,
    /// Transfer hubs.
    #[serde(default)]
    pub hubs: Vec<Hub>,
    /// Scheduled services.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Travel model.
    #[serde(default)]
    pub travel: Travel,
    /// Objective weights.
    #[serde(default)]
    pub objective: Objective,
    /// Rules.
    #[serde(default)]
    pub rules: Rules,
    /// Fleet of a site that has none of its own (sites CSV or `origins`), by vehicle type id.
    /// Default: see [`auto_fleet`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_fleet: BTreeMap<String, u32>,
    /// Escorts of a site that gives none. Default: one per bus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_escorts: Option<u32>,
    /// Ready time of a site that gives none, minutes from plan start. Default 0.
    #[serde(default)]
    pub default_ready_min: u32,
    /// Fleets, escorts and ready times by site id (other fields ignored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<SiteDefaults>,
    /// Ignored (the shortages give the destinations); accepted so that a scenario can serve.
    #[serde(default, skip_serializing)]
    pub destinations: Vec<serde_json::Value>,
}

/// What a template says about one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteDefaults {
    /// Site id.
    pub id: String,
    /// Buses by vehicle type id.
    #[serde(default)]
    pub fleet: BTreeMap<String, u32>,
    /// Escorts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escorts: Option<u32>,
    /// Ready time, minutes from plan start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_min: Option<u32>,
}

impl Default for Template {
    /// One vehicle type, `coach-45` (45 seats, 2 of them accessible, 2,300 yuan a day, 4.2 yuan
    /// a km), no hubs or services, the scenario defaults for travel, objective and rules, and
    /// automatic fleets.
    fn default() -> Self {
        Template {
            name: String::new(),
            description: String::new(),
            vehicle_types: vec![VehicleType {
                id: "coach-45".into(),
                seats: 45,
                load_cap: 1.0,
                accessible_seats: 2,
                fixed_cost_yuan: 2300.0,
                cost_per_km_yuan: 4.2,
                speed_kmh: None,
            }],
            hubs: Vec::new(),
            services: Vec::new(),
            travel: Travel::default(),
            objective: Objective::default(),
            rules: Rules::default(),
            default_fleet: BTreeMap::new(),
            default_escorts: None,
            default_ready_min: 0,
            origins: Vec::new(),
            destinations: Vec::new(),
        }
    }
}

/// Parses a template from JSON text.
pub fn parse_template(json: &str) -> Result<Template, ImportError> {
    let t: Template = serde_json::from_str(json.trim_start_matches('\u{feff}')).map_err(|e| ImportError::Template(e.to_string()))?;
    if t.vehicle_types.is_empty() {
        return Err(ImportError::Template("no vehicle types".into()));
    }
    Ok(t)
}

/// The fleet of a site that gives none anywhere (no fleet columns, no template entry, no
/// `default_fleet`): of every vehicle type, enough buses to carry the site's workers with that
/// type alone, `ceil(workers / capped seats)`.
pub fn auto_fleet(types: &[VehicleType], workers: u32) -> BTreeMap<String, u32> {
    types.iter().map(|t| (t.id.clone(), workers.div_ceil(t.capped_seats().max(1)).max(1))).collect()
}

/// How departure points are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Every site is used; workers go to the nearest.
    Nearest,
    /// Open `k` of the candidate sites (p-median).
    Choose {
        /// Sites to open.
        k: usize,
        /// How to solve the p-median problem.
        method: Method,
    },
}

/// Options of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// Scenario name; default the template's, else `imported`.
    pub name: Option<String>,
    /// How departure points are chosen.
    pub placement: Placement,
    /// Leave bad rows out (and report them) instead of failing.
    pub exclude_bad_rows: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { name: None, placement: Placement::Nearest, exclude_bad_rows: false }
    }
}

/// One worker's departure point: a row of the assignments CSV (also the manifest's roster).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Worker id.
    pub worker_id: String,
    /// Name.
    pub name: String,
    /// Home village or township.
    pub village: String,
    /// Employer.
    pub employer: String,
    /// Drop point (destination id).
    pub district: String,
    /// Needs an accessible vehicle.
    pub accessible: bool,
    /// Departure point (origin id).
    pub departure_point: String,
    /// Departure point's name.
    pub departure_name: String,
    /// Great-circle km from home to the departure point.
    pub access_km: f64,
}

/// How the departure points were placed.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementSummary {
    /// `nearest`, `enumerate` or `mip`.
    pub method: String,
    /// Candidate sites.
    pub candidates: usize,
    /// Ids of the sites opened, in the order of the sites CSV.
    pub open: Vec<String>,
    /// Opened sites that no worker is nearest to (left out of the scenario).
    pub unused: Vec<String>,
    /// Total great-circle access km over all workers.
    pub total_access_km: f64,
    /// Longest access km of a worker.
    pub max_access_km: f64,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The scenario (validated).
    pub scenario: Scenario,
    /// Every imported worker's departure point, in the order of the workers CSV.
    pub assignments: Vec<Assignment>,
    /// Rows left out and warnings (only with `exclude_bad_rows`; otherwise empty).
    pub problems: Vec<RowProblem>,
    /// Rows left out (workers, shortages and sites).
    pub excluded_rows: usize,
    /// How the departure points were placed.
    pub placement: PlacementSummary,
}

// ---------------------------------------------------------------------------------------------
// CSV reading
// ---------------------------------------------------------------------------------------------

/// A CSV file: normalised header names and the rows with their line numbers.
pub(crate) struct Table {
    file: InputFile,
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<(usize, Vec<String>)>,
}

/// `Trip Id ` -> `trip_id`.
fn normalise(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase().replace([' ', '-'], "_")
}

impl Table {
    /// Reads CSV text (a UTF-8 byte order mark is skipped, fields are trimmed, blank rows are
    /// skipped). Rows the CSV reader cannot read are problems.
    pub(crate) fn read(text: &str, file: InputFile, problems: &mut Vec<RowProblem>) -> Table {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
        let headers = match rdr.headers() {
            Ok(h) => h.iter().map(normalise).collect(),
            Err(e) => {
                problems.push(fatal(file, 1, format!("cannot read the header: {e}")));
                Vec::new()
            }
        };
        let mut rows = Vec::new();
        for rec in rdr.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line() as usize);
                    if r.iter().all(str::is_empty) {
                        continue;
                    }
                    rows.push((line, r.iter().map(str::to_string).collect()));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    problems.push(bad(file, line, format!("unreadable row: {e}")));
                }
            }
        }
        Table { file, headers, rows }
    }

    /// The column with one of these names.
    pub(crate) fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| names.contains(&h.as_str()))
    }

    /// A required column, or a fatal problem.
    pub(crate) fn require(&self, names: &[&str], problems: &mut Vec<RowProblem>) -> usize {
        self.column(names).unwrap_or_else(|| {
            problems.push(fatal(self.file, 1, format!("no column \"{}\" in the header", names[0])));
            usize::MAX
        })
    }
}

pub(crate) fn bad(file: InputFile, line: usize, reason: String) -> RowProblem {
    RowProblem { file, line, reason, fatal: false, warning: false, employer: None }
}

fn fatal(file: InputFile, line: usize, reason: String) -> RowProblem {
    RowProblem { file, line, reason, fatal: true, warning: false, employer: None }
}

/// One row being read: collects the reasons it is bad.
pub(crate) struct Row<'a> {
    fields: &'a [String],
    width: usize,
    pub(crate) reasons: Vec<String>,
}

impl<'a> Row<'a> {
    pub(crate) fn new(fields: &'a [String], width: usize) -> Self {
        let mut reasons = Vec::new();
        if fields.len() > width {
            reasons.push(format!("{} fields, but the header has {width}", fields.len()));
        }
        Row { fields, width, reasons }
    }

    /// The field in column `col`, `""` if the row is short (or the column is absent).
    pub(crate) fn get(&self, col: Option<usize>) -> &'a str {
        col.and_then(|c| self.fields.get(c)).map_or("", String::as_str)
    }

    /// The reasons joined, if any.
    pub(crate) fn problem(&self) -> Option<String> {
        (!self.reasons.is_empty()).then(|| self.reasons.join("; "))
    }

    /// A required text field.
    pub(crate) fn text(&mut self, col: usize, what: &str) -> String {
        let v = self.get(Some(col));
        if v.is_empty() && col < self.width {
            self.reasons.push(format!("missing {what}"));
        }
        v.to_string()
    }

    fn number(&mut self, col: usize, what: &str, lo: f64, hi: f64) -> f64 {
        let v = self.get(Some(col));
        if col >= self.width {
            return f64::NAN;
        }
        if v.is_empty() {
            self.reasons.push(format!("missing {what}"));
            return f64::NAN;
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => x,
            Ok(x) if x.is_finite() => {
                self.reasons.push(format!("{what} {v} is out of range [{lo}, {hi}]"));
                f64::NAN
            }
            _ => {
                self.reasons.push(format!("{what} \"{v}\" is not a number"));
                f64::NAN
            }
        }
    }

    fn lat_lon(&mut self, lat: usize, lon: usize) -> (f64, f64) {
        (self.number(lat, "latitude", -90.0, 90.0), self.number(lon, "longitude", -180.0, 180.0))
    }

    /// An optional whole number.
    fn count(&mut self, col: Option<usize>, what: &str) -> Option<u32> {
        let v = self.get(col);
        if v.is_empty() {
            return None;
        }
        let n = v.parse::<u32>().ok();
        if n.is_none() {
            self.reasons.push(format!("{what} \"{v}\" is not a whole number of at least 0"));
        }
        n
    }

    /// An optional time: minutes from plan start, or `H:MM` from plan start.
    fn time(&mut self, col: Option<usize>, what: &str) -> Option<u32> {
        let v = self.get(col);
        if v.is_empty() {
            return None;
        }
        let t = parse_time(v);
        if t.is_none() {
            self.reasons.push(format!("{what} \"{v}\" is neither minutes from plan start (720) nor H:MM from plan start (12:00)"));
        }
        t
    }
}

/// Minutes from plan start: `720`, or `12:00` (hours and minutes from plan start; hours may
/// pass 24, minutes are below 60; a full-width colon is accepted).
pub fn parse_time(v: &str) -> Option<u32> {
    let v = v.trim().replace('：', ":");
    if let Some((h, m)) = v.split_once(':') {
        let h: u32 = h.trim().parse().ok()?;
        let m: u32 = m.trim().parse().ok()?;
        if m >= 60 || m.to_string().len() > 2 {
            return None;
        }
        h.checked_mul(60)?.checked_add(m)
    } else {
        v.parse().ok()
    }
}

/// Minutes from plan start as `HH:MM` (hours may pass 24: `26:05` is 2:05 the next day when
/// the plan starts at midnight).
pub fn hhmm(min: u32) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// Reads a needs field: empty, or needs separated by `;`, `,`, `|` or spaces. `wheelchair`,
/// `accessible`, `轮椅` and `无障碍` mean an accessible vehicle; `none`, `-` and `无` mean none.
pub fn parse_needs(v: &str) -> Result<Vec<Need>, String> {
    let mut needs = Vec::new();
    for part in v.split([';', ',', '|', ' ', '；', '，', '、']).map(str::trim).filter(|p| !p.is_empty()) {
        match part.to_lowercase().as_str() {
            "wheelchair" | "accessible" | "轮椅" | "无障碍" => {
                if !needs.contains(&Need::Accessible) {
                    needs.push(Need::Accessible);
                }
            }
            "none" | "-" | "无" => {}
            other => return Err(format!("unknown need \"{other}\" (known: wheelchair, accessible, none)")),
        }
    }
    Ok(needs)
}

/// Header names accepted for each column (after lower-casing and `_` for spaces and dashes).
mod col {
    pub const WORKER_ID: &[&str] = &["worker_id", "id", "工号", "编号"];
    pub const NAME: &[&str] = &["name", "姓名"];
    pub const VILLAGE: &[&str] = &["village", "township", "home", "村镇", "乡镇", "村"];
    pub const LAT: &[&str] = &["lat", "latitude", "纬度"];
    pub const LON: &[&str] = &["lon", "lng", "longitude", "经度"];
    pub const EMPLOYER: &[&str] = &["employer", "company", "企业", "用工企业"];
    pub const DISTRICT: &[&str] = &["district", "drop_point", "区", "接送点"];
    pub const NEEDS: &[&str] = &["needs", "need", "需求", "特殊需求"];
    pub const DISTRICT_NAME: &[&str] = &["district_name", "drop_point_name", "接送点名称"];
    pub const SHORT: &[&str] = &["workers_short", "short", "shortage", "缺工人数"];
    pub const DEADLINE: &[&str] = &["deadline", "deadline_min", "最晚到达"];
    pub const SITE_ID: &[&str] = &["id", "site_id", "site", "departure_point"];
    pub const READY: &[&str] = &["ready", "ready_min", "ready_time"];
    pub const ESCORTS: &[&str] = &["escorts", "随车人员"];
    pub const DEPARTURE: &[&str] = &["departure_point", "origin", "发车点"];
    pub const ACCESSIBLE: &[&str] = &["accessible", "无障碍"];
}
pub(crate) use col::*;

// ---------------------------------------------------------------------------------------------
// The three files
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct WorkerRow {
    id: String,
    name: String,
    village: String,
    lat: f64,
    lon: f64,
    employer: String,
    district: String,
    accessible: bool,
}

#[derive(Debug, Clone)]
struct ShortageRow {
    line: usize,
    employer: String,
    district: String,
    short: u32,
}

#[derive(Debug, Clone)]
struct DropPoint {
    id: String,
    name: String,
    lat: f64,
    lon: f64,
    deadline_min: u32,
    line: usize,
    employers: Vec<String>,
}

#[derive(Debug, Clone)]
struct SiteRow {
    id: String,
    name: String,
    lat: f64,
    lon: f64,
    ready_min: Option<u32>,
    escorts: Option<u32>,
    fleet: BTreeMap<String, u32>,
}

/// Reads the shortages: drop points in order of first appearance, and the employer rows.
fn read_shortages(text: &str, problems: &mut Vec<RowProblem>) -> (Vec<DropPoint>, Vec<ShortageRow>) {
    let t = Table::read(text, InputFile::Shortages, problems);
    let c_emp = t.require(EMPLOYER, problems);
    let c_dist = t.require(DISTRICT, problems);
    let c_lat = t.require(LAT, problems);
    let c_lon = t.require(LON, problems);
    let c_short = t.require(SHORT, problems);
    let c_dead = t.column(DEADLINE);
    let c_dname = t.column(DISTRICT_NAME);
    if problems.iter().any(|p| p.fatal && p.file == InputFile::Shortages) {
        return (Vec::new(), Vec::new());
    }
    let mut drops: Vec<DropPoint> = Vec::new();
    let mut rows: Vec<ShortageRow> = Vec::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (line, fields) in &t.rows {
        let mut r = Row::new(fields, t.headers.len());
        let employer = r.text(c_emp, "employer");
        let district = r.text(c_dist, "district");
        let short = r.count(Some(c_short), "workers_short");
        if short.is_none() && r.get(Some(c_short)).is_empty() {
            r.reasons.push("missing workers_short".into());
        }
        let known = drops.iter().position(|d| d.id == district && !district.is_empty());
        // Coordinates and deadline may be left blank on later rows of the same drop point.
        let (lat, lon) = match known {
            Some(k) if r.get(Some(c_lat)).is_empty() && r.get(Some(c_lon)).is_empty() => (drops[k].lat, drops[k].lon),
            _ => r.lat_lon(c_lat, c_lon),
        };
        let deadline = r.time(c_dead, "deadline");
        if deadline.is_none() && known.is_none() && r.reasons.iter().all(|x| !x.starts_with("deadline")) {
            r.reasons.push("missing deadline (needed on the first row of a drop point)".into());
        }
        if let Some(k) = known {
            let d = &drops[k];
            if lat.is_finite() && lon.is_finite() && haversine_km(lat, lon, d.lat, d.lon) > 1.0 {
                r.reasons.push(format!(
                    "drop point {district} is at {:.4}, {:.4} on line {} but at {lat:.4}, {lon:.4} here",
                    d.lat, d.lon, d.line
                ));
            }
        }
        if let Some(&first) = seen.get(&(employer.clone(), district.clone())) {
            r.reasons.push(format!("employer {employer} at {district} is listed twice (first on line {first})"));
        }
        if !r.reasons.is_empty() {
            let mut p = bad(InputFile::Shortages, *line, r.reasons.join("; "));
            p.employer = Some(employer).filter(|e| !e.is_empty());
            problems.push(p);
            continue;
        }
        seen.insert((employer.clone(), district.clone()), *line);
        let name = r.get(c_dname).to_string();
        match known {
            Some(k) => {
                let d = &mut drops[k];
                // The earliest deadline of the employers at a drop point is the drop point's.
                if let Some(dl) = deadline {
                    d.deadline_min = d.deadline_min.min(dl);
                }
                if d.name.is_empty() {
                    d.name = name;
                }
                if !d.employers.contains(&employer) {
                    d.employers.push(employer.clone());
                }
            }
            None => drops.push(DropPoint {
                id: district.clone(),
                name,
                lat,
                lon,
                deadline_min: deadline.unwrap_or(0),
                line: *line,
                employers: vec![employer.clone()],
            }),
        }
        rows.push(ShortageRow { line: *line, employer, district, short: short.unwrap_or(0) });
    }
    (drops, rows)
}

/// Reads the sites.
fn read_sites(text: &str, template: &Template, problems: &mut Vec<RowProblem>) -> Vec<SiteRow> {
    let t = Table::read(text, InputFile::Sites, problems);
    let c_id = t.require(SITE_ID, problems);
    let c_lat = t.require(LAT, problems);
    let c_lon = t.require(LON, problems);
    let c_name = t.column(NAME);
    let c_ready = t.column(READY);
    let c_esc = t.column(ESCORTS);
    let mut fleet_cols = Vec::new();
    for (i, h) in t.headers.iter().enumerate() {
        if let Some(vt) = h.strip_prefix("fleet_").or_else(|| h.strip_prefix("fleet:")) {
            match template.vehicle_types.iter().find(|v| normalise(&v.id) == vt) {
                Some(v) => fleet_cols.push((i, v.id.clone())),
                None => problems.push(fatal(
                    InputFile::Sites,
                    1,
                    format!(
                        "column {h}: no vehicle type \"{vt}\" in the template (known: {})",
                        template.vehicle_types.iter().map(|v| v.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )),
            }
        }
    }
    if problems.iter().any(|p| p.fatal && p.file == InputFile::Sites) {
        return Vec::new();
    }
    let mut sites: Vec<SiteRow> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (line, fields) in &t.rows {
        let mut r = Row::new(fields, t.headers.len());
        let id = r.text(c_id, "site id");
        let (lat, lon) = r.lat_lon(c_lat, c_lon);
        let ready_min = r.time(c_ready, "ready");
        let escorts = r.count(c_esc, "escorts");
        let mut fleet = BTreeMap::new();
        for (c, vt) in &fleet_cols {
            if let Some(n) = r.count(Some(*c), &format!("fleet of {vt}")) {
                fleet.insert(vt.clone(), n);
            }
        }
        if let Some(first) = seen.get(&id) {
            r.reasons.push(format!("site id {id} is used twice (first on line {first})"));
        }
        if !r.reasons.is_empty() {
            problems.push(bad(InputFile::Sites, *line, r.reasons.join("; ")));
            continue;
        }
        seen.insert(id.clone(), *line);
        sites.push(SiteRow { id, name: r.get(c_name).to_string(), lat, lon, ready_min, escorts, fleet });
    }
    sites
}

/// Reads the workers; rows of unknown employers or drop points are bad.
fn read_workers(text: &str, shortages: &[ShortageRow], drops: &[DropPoint], problems: &mut Vec<RowProblem>) -> Vec<WorkerRow> {
    let t = Table::read(text, InputFile::Workers, problems);
    let c_id = t.require(WORKER_ID, problems);
    let c_name = t.require(NAME, problems);
    let c_village = t.require(VILLAGE, problems);
    let c_lat = t.require(LAT, problems);
    let c_lon = t.require(LON, problems);
    let c_emp = t.require(EMPLOYER, problems);
    let c_dist = t.require(DISTRICT, problems);
    let c_needs = t.column(NEEDS);
    if problems.iter().any(|p| p.fatal && p.file == InputFile::Workers) {
        return Vec::new();
    }
    let mut workers = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (line, fields) in &t.rows {
        let mut r = Row::new(fields, t.headers.len());
        let id = r.text(c_id, "worker_id");
        let name = r.text(c_name, "name");
        let village = r.text(c_village, "village");
        let (lat, lon) = r.lat_lon(c_lat, c_lon);
        let employer = r.text(c_emp, "employer");
        let mut district = r.text(c_dist, "district");
        // The district may be given by its id or by its name.
        if let Some(d) = drops.iter().find(|d| d.id != district && !d.name.is_empty() && d.name == district) {
            district.clone_from(&d.id);
        }
        let needs = parse_needs(r.get(c_needs)).unwrap_or_else(|e| {
            r.reasons.push(e);
            Vec::new()
        });
        if !employer.is_empty() && !district.is_empty() && !shortages.iter().any(|s| s.employer == employer && s.district == district) {
            let at: Vec<&str> = shortages.iter().filter(|s| s.employer == employer).map(|s| s.district.as_str()).collect();
            let bad_line = problems.iter().find(|p| p.file == InputFile::Shortages && p.employer.as_deref() == Some(employer.as_str()));
            if let (true, Some(b)) = (at.is_empty(), bad_line) {
                r.reasons.push(format!("employer \"{employer}\" has only a bad shortage row (line {})", b.line));
            } else if at.is_empty() {
                r.reasons.push(format!("unknown employer \"{employer}\" (not in the shortages)"));
            } else if !drops.iter().any(|d| d.id == district) {
                r.reasons.push(format!("unknown district \"{district}\" (employer {employer} is at {})", at.join(", ")));
            } else {
                r.reasons.push(format!("employer {employer} has no shortage at {district} (only at {})", at.join(", ")));
            }
        }
        // A duplicate of a bad row is a duplicate too: which of the two is meant is unclear.
        match seen.get(&id) {
            Some(first) => r.reasons.push(format!("duplicate worker id {id} (first on line {first})")),
            None if !id.is_empty() => {
                seen.insert(id.clone(), *line);
            }
            None => {}
        }
        if !r.reasons.is_empty() {
            problems.push(bad(InputFile::Workers, *line, r.reasons.join("; ")));
            continue;
        }
        workers.push(WorkerRow { id, name, village, lat, lon, employer, district, accessible: needs.contains(&Need::Accessible) });
    }
    workers
}

// ---------------------------------------------------------------------------------------------
// The import
// ---------------------------------------------------------------------------------------------

/// Imports the three CSV texts into a scenario. See the module documentation.
pub fn import(
    workers_csv: &str,
    shortages_csv: &str,
    sites_csv: &str,
    template: &Template,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    let mut problems = Vec::new();
    let (drops, shortages) = read_shortages(shortages_csv, &mut problems);
    let sites = read_sites(sites_csv, template, &mut problems);
    let workers = read_workers(workers_csv, &shortages, &drops, &mut problems);
    let excluded_rows = problems.iter().filter(|p| !p.fatal).count();
    // Count mismatches: every shortage row against the workers registered for it.
    for s in &shortages {
        let n = workers.iter().filter(|w| w.employer == s.employer && w.district == s.district).count() as u64;
        if n != u64::from(s.short) {
            problems.push(RowProblem {
                file: InputFile::Shortages,
                line: s.line,
                reason: format!("{} at {} is short {} workers but {n} are registered", s.employer, s.district, s.short),
                fatal: false,
                warning: true,
                employer: None,
            });
        }
    }
    problems.sort();
    if problems.iter().any(|p| p.fatal) || (!problems.is_empty() && !opts.exclude_bad_rows) {
        return Err(ImportError::BadRows(problems));
    }
    if workers.is_empty() {
        return Err(ImportError::Empty("no worker to import".into()));
    }
    if sites.is_empty() {
        return Err(ImportError::Empty("no departure site".into()));
    }

    // Clients: workers at identical coordinates are one client of weight w_i.
    let mut client_of: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    let mut clients: Vec<(f64, f64)> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    let worker_client: Vec<usize> = workers
        .iter()
        .map(|w| {
            let key = (w.lat.to_bits(), w.lon.to_bits());
            let c = *client_of.entry(key).or_insert_with(|| {
                clients.push((w.lat, w.lon));
                weights.push(0.0);
                clients.len() - 1
            });
            weights[c] += 1.0;
            c
        })
        .collect();
    // d_ij: great-circle km from client i to site j.
    let dist: Vec<Vec<f64>> =
        clients.iter().map(|&(lat, lon)| sites.iter().map(|s| haversine_km(lat, lon, s.lat, s.lon)).collect()).collect();
    let (open, method) = match opts.placement {
        Placement::Nearest => ((0..sites.len()).collect::<Vec<_>>(), "nearest".to_string()),
        Placement::Choose { k, method } => {
            let sol = pmedian::solve(&weights, &dist, k, method)?;
            (sol.open, sol.method.name().to_string())
        }
    };
    let (client_site, _) = pmedian::assign_nearest(&weights, &dist, &open);

    // Groups per (site, drop point, accessible).
    let drop_index: BTreeMap<&str, usize> = drops.iter().enumerate().map(|(i, d)| (d.id.as_str(), i)).collect();
    let mut groups: BTreeMap<usize, BTreeMap<(usize, bool), u32>> = BTreeMap::new();
    let mut assignments = Vec::with_capacity(workers.len());
    let mut total_km = 0.0;
    let mut max_km: f64 = 0.0;
    for (w, &c) in workers.iter().zip(&worker_client) {
        let j = client_site[c];
        *groups.entry(j).or_default().entry((drop_index[w.district.as_str()], w.accessible)).or_default() += 1;
        let km = dist[c][j];
        total_km += km;
        max_km = max_km.max(km);
        assignments.push(Assignment {
            worker_id: w.id.clone(),
            name: w.name.clone(),
            village: w.village.clone(),
            employer: w.employer.clone(),
            district: w.district.clone(),
            accessible: w.accessible,
            departure_point: sites[j].id.clone(),
            departure_name: sites[j].name.clone(),
            access_km: km,
        });
    }

    let defaults: BTreeMap<&str, &SiteDefaults> = template.origins.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut origins = Vec::new();
    let mut unused = Vec::new();
    for &j in &open {
        let site = &sites[j];
        let Some(g) = groups.get(&j) else {
            unused.push(site.id.clone());
            continue;
        };
        let n: u32 = g.values().sum();
        let d = defaults.get(site.id.as_str());
        let fleet = if !site.fleet.is_empty() {
            site.fleet.clone()
        } else if let Some(d) = d.filter(|d| !d.fleet.is_empty()) {
            d.fleet.clone()
        } else if !template.default_fleet.is_empty() {
            template.default_fleet.clone()
        } else {
            auto_fleet(&template.vehicle_types, n)
        };
        origins.push(Origin {
            id: site.id.clone(),
            name: site.name.clone(),
            lat: site.lat,
            lon: site.lon,
            ready_min: site.ready_min.or(d.and_then(|d| d.ready_min)).unwrap_or(template.default_ready_min),
            workers: g
                .iter()
                .map(|(&(to, acc), &count)| WorkerGroup {
                    to: drops[to].id.clone(),
                    count,
                    needs: if acc { vec![Need::Accessible] } else { Vec::new() },
                })
                .collect(),
            fleet,
            escorts: site.escorts.or(d.and_then(|d| d.escorts)).or(template.default_escorts),
        });
    }
    let scenario = Scenario {
        name: opts.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| {
            if template.name.is_empty() {
                "imported".into()
            } else {
                template.name.clone()
            }
        }),
        description: template.description.clone(),
        vehicle_types: template.vehicle_types.clone(),
        origins,
        hubs: template.hubs.clone(),
        destinations: drops
            .iter()
            .map(|d| Destination {
                id: d.id.clone(),
                name: d.name.clone(),
                lat: d.lat,
                lon: d.lon,
                deadline_min: d.deadline_min,
                employers: d.employers.clone(),
            })
            .collect(),
        services: template.services.clone(),
        travel: template.travel.clone(),
        objective: template.objective.clone(),
        rules: template.rules.clone(),
    };
    busplan_core::validate(&scenario)?;
    let open_ids: BTreeSet<usize> = open.iter().copied().collect();
    Ok(Imported {
        scenario,
        assignments,
        problems,
        excluded_rows,
        placement: PlacementSummary {
            method,
            candidates: sites.len(),
            open: open_ids.iter().map(|&j| sites[j].id.clone()).collect(),
            unused,
            total_access_km: total_km,
            max_access_km: max_km,
        },
    })
}

/// The assignments as CSV: `worker_id,name,village,employer,district,accessible,departure_point,
/// departure_name,access_km` (`accessible` is `yes` or empty; km with one decimal). This file
/// is the roster that [`crate::manifest`] reads.
pub fn assignments_csv(rows: &[Assignment]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "worker_id",
        "name",
        "village",
        "employer",
        "district",
        "accessible",
        "departure_point",
        "departure_name",
        "access_km",
    ]);
    for a in rows {
        let _ = w.write_record([
            a.worker_id.as_str(),
            &a.name,
            &a.village,
            &a.employer,
            &a.district,
            if a.accessible { "yes" } else { "" },
            &a.departure_point,
            &a.departure_name,
            &format!("{:.1}", a.access_km),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("720"), Some(720));
        assert_eq!(parse_time("12:00"), Some(720));
        assert_eq!(parse_time("26:05"), Some(1565));
        assert_eq!(parse_time("9：30"), Some(570));
        assert_eq!(parse_time("9:60"), None);
        assert_eq!(parse_time("noon"), None);
        assert_eq!(parse_time("-5"), None);
        assert_eq!(hhmm(1565), "26:05");
        assert_eq!(hhmm(5), "00:05");
    }

    #[test]
    fn needs() {
        assert_eq!(parse_needs("").unwrap(), vec![]);
        assert_eq!(parse_needs("轮椅").unwrap(), vec![Need::Accessible]);
        assert_eq!(parse_needs("Wheelchair; none").unwrap(), vec![Need::Accessible]);
        assert!(parse_needs("guide dog").is_err());
    }
}
