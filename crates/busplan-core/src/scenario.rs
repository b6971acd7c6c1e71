//! The scenario: what a labour bureau knows before planning.
//!
//! Takes: JSON text (through serde). Gives: [`Scenario`], plain public data.
//! Units are in the field names (`_km`, `_min`, `_yuan`, `_kmh`); times are whole minutes from
//! the plan start (for example 0 = 06:00 on departure day). Every field is documented in
//! `docs/scenario.md`, with its default. A parsed scenario is not yet trusted: run
//! [`crate::validate()`] before planning (the planning functions do it themselves).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole planning scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name of the scenario, copied into the plan.
    pub name: String,
    /// Free text for the planner.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Bus types that may be chartered.
    pub vehicle_types: Vec<VehicleType>,
    /// Departure points (发车点) with the workers who board there.
    pub origins: Vec<Origin>,
    /// Transfer hubs: motorway service areas, stations, airports.
    #[serde(default)]
    pub hubs: Vec<Hub>,
    /// Designated drop points at or near the employers.
    pub destinations: Vec<Destination>,
    /// Scheduled services (special trains, reserved carriages, charter flights) between hubs.
    #[serde(default)]
    pub services: Vec<Service>,
    /// How distances and travel times between sites are obtained.
    #[serde(default)]
    pub travel: Travel,
    /// Objective weights.
    #[serde(default)]
    pub objective: Objective,
    /// Operating rules.
    #[serde(default)]
    pub rules: Rules,
}

/// A bus type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleType {
    /// Identifier used in fleets and in the plan (`coach-53`).
    pub id: String,
    /// Rated seats for passengers.
    pub seats: u32,
    /// Share of rated seats that may be used, in (0, 1]; 0.5 is the 2020 rule. Default 1.
    #[serde(default = "one")]
    pub load_cap: f64,
    /// Seats usable by workers who need an accessible vehicle (counted within the capped seats).
    #[serde(default)]
    pub accessible_seats: u32,
    /// Cost of chartering one bus for the day, yuan.
    pub fixed_cost_yuan: f64,
    /// Running cost per km driven, yuan.
    pub cost_per_km_yuan: f64,
    /// Average speed of this type on the roads of the scenario, km/h. Default: `travel.speed_kmh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_kmh: Option<f64>,
}

impl VehicleType {
    /// Seats that may be sold: `floor(seats * load_cap)`.
    pub fn capped_seats(&self) -> u32 {
        (f64::from(self.seats) * self.load_cap + 1e-9).floor() as u32
    }
    /// Accessible seats that may be used: never more than the capped seats.
    pub fn capped_accessible_seats(&self) -> u32 {
        self.accessible_seats.min(self.capped_seats())
    }
}

/// Special needs of a worker group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Needs an accessible seat on every bus leg and an accessible service.
    Accessible,
}

/// Workers at one departure point who go to one destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerGroup {
    /// Destination id.
    pub to: String,
    /// Number of workers.
    pub count: u32,
    /// Special needs shared by the whole group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<Need>,
}

impl WorkerGroup {
    /// Whether the group needs accessible vehicles.
    pub fn accessible(&self) -> bool {
        self.needs.contains(&Need::Accessible)
    }
}

/// A departure point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// Identifier (`beipiao`).
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Earliest departure, minutes from plan start. Default 0.
    #[serde(default)]
    pub ready_min: u32,
    /// Workers waiting here, by destination.
    pub workers: Vec<WorkerGroup>,
    /// Buses available here, by vehicle type id.
    #[serde(default)]
    pub fleet: BTreeMap<String, u32>,
    /// Staff escorts available (one per bus). Default: as many as buses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escorts: Option<u32>,
}

/// Kind of hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HubKind {
    /// Motorway service area (高速公路服务区).
    ServiceArea,
    /// Railway station.
    Station,
    /// Airport.
    Airport,
}

/// A transfer hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hub {
    /// Identifier.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Kind of hub.
    pub kind: HubKind,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Minutes needed to regroup or change mode here. Default 30.
    #[serde(default = "thirty")]
    pub transfer_min: u32,
    /// Most buses that may arrive here (parking). Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_buses: Option<u32>,
    /// Buses based here (for example waiting at the arrival station), by vehicle type id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fleet: BTreeMap<String, u32>,
    /// Escorts for the buses based here. Default: as many as buses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escorts: Option<u32>,
}

/// A designated drop point (指定接送点).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// Identifier (`ganjingzi`).
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latest arrival, minutes from plan start.
    pub deadline_min: u32,
    /// Employers who collect workers here (for the manifests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub employers: Vec<String>,
}

/// Kind of scheduled service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// A whole special train (专列).
    Train,
    /// Reserved carriages on a scheduled train.
    ReservedCarriage,
    /// A charter flight (包机).
    Flight,
}

/// A scheduled service between two hubs with a fixed timetable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Identifier (`K4558`).
    pub id: String,
    /// Kind of service.
    pub kind: ServiceKind,
    /// Hub id where workers board.
    pub from: String,
    /// Hub id where workers alight.
    pub to: String,
    /// Departure, minutes from plan start.
    pub departure_min: u32,
    /// Arrival, minutes from plan start.
    pub arrival_min: u32,
    /// Seats available to the workers.
    pub seats: u32,
    /// Price per seat, yuan.
    #[serde(default)]
    pub cost_per_seat_yuan: f64,
    /// Whether workers who need accessibility can travel on it. Default true.
    #[serde(default = "yes")]
    pub accessible: bool,
}

/// How distances and times between sites are obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Travel {
    /// The distance model.
    #[serde(default)]
    pub model: TravelModel,
    /// Default bus speed, km/h, for types that give none. Default 70.
    #[serde(default = "seventy")]
    pub speed_kmh: f64,
}

impl Default for Travel {
    fn default() -> Self {
        Travel { model: TravelModel::default(), speed_kmh: 70.0 }
    }
}

/// A distance model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TravelModel {
    /// Great-circle distance times a circuity factor (roads are not straight).
    GreatCircle {
        /// Road km per straight-line km. Default 1.3.
        #[serde(default = "circuity")]
        circuity: f64,
    },
    /// Distances given pair by pair (both directions must be given if both are used).
    Matrix {
        /// The entries.
        entries: Vec<MatrixEntry>,
    },
    /// A road graph: shortest paths over its edges, honouring closed roads.
    Roads {
        /// Road junctions and the sites' access points.
        nodes: Vec<RoadNode>,
        /// Road sections.
        edges: Vec<RoadEdge>,
        /// For each site id, the road node it is reached from.
        sites: BTreeMap<String, String>,
    },
}

impl Default for TravelModel {
    fn default() -> Self {
        TravelModel::GreatCircle { circuity: 1.3 }
    }
}

/// One entry of a distance matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixEntry {
    /// Site id.
    pub from: String,
    /// Site id.
    pub to: String,
    /// Road distance, km.
    pub km: f64,
    /// Driving time at free flow, minutes. Default: from the bus speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
}

/// A road node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadNode {
    /// Identifier.
    pub id: String,
    /// Latitude (for maps only).
    #[serde(default)]
    pub lat: f64,
    /// Longitude (for maps only).
    #[serde(default)]
    pub lon: f64,
}

/// A two-way road section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadEdge {
    /// Node id.
    pub from: String,
    /// Node id.
    pub to: String,
    /// Length, km.
    pub km: f64,
    /// Closed (snow, works): never used.
    #[serde(default)]
    pub closed: bool,
    /// Road name or number (`G15`, `county road X203`), to name closures and for maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Objective weights. All costs are in yuan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// Value of one worker-minute of scheduled travel. Default 0.2.
    #[serde(default = "worker_minute")]
    pub worker_minute_yuan: f64,
    /// Penalty per worker per stop at a hub (regrouping at a service area, or a change of
    /// mode at a station): charged for everyone who stops there, whether or not they change
    /// seat. Default 20.
    #[serde(default = "transfer_penalty")]
    pub transfer_penalty_yuan: f64,
    /// Penalty per worker left unserved. Default 5000.
    #[serde(default = "unserved_penalty")]
    pub unserved_penalty_yuan: f64,
    /// The fare a worker would pay travelling alone (to report the saving). Default 230.
    #[serde(default = "fare")]
    pub individual_fare_yuan: f64,
}

impl Default for Objective {
    fn default() -> Self {
        Objective {
            worker_minute_yuan: worker_minute(),
            transfer_penalty_yuan: transfer_penalty(),
            unserved_penalty_yuan: unserved_penalty(),
            individual_fare_yuan: fare(),
        }
    }
}

/// Operating rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Most changes of vehicle a worker may make (bus-bus at a hub = 1; bus-train-bus = 2).
    /// Default 2.
    #[serde(default = "two")]
    pub max_transfers: u32,
    /// Most scheduled minutes from the origin's ready time to arrival (waits for other
    /// departure points' buses at a hub not counted). Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ride_min: Option<u32>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { max_transfers: 2, max_ride_min: None }
    }
}

fn one() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn thirty() -> u32 {
    30
}
fn seventy() -> f64 {
    70.0
}
fn circuity() -> f64 {
    1.3
}
fn worker_minute() -> f64 {
    0.2
}
fn transfer_penalty() -> f64 {
    20.0
}
fn unserved_penalty() -> f64 {
    5000.0
}
fn fare() -> f64 {
    230.0
}
fn two() -> u32 {
    2
}

impl Scenario {
    /// Total workers in the scenario.
    pub fn total_workers(&self) -> u64 {
        self.origins.iter().flat_map(|o| &o.workers).map(|w| u64::from(w.count)).sum()
    }
    /// Index of a vehicle type by id.
    pub fn vehicle_type_index(&self, id: &str) -> Option<usize> {
        self.vehicle_types.iter().position(|v| v.id == id)
    }
    /// Speed of a vehicle type, km/h.
    pub fn speed_of(&self, v: usize) -> f64 {
        self.vehicle_types[v].speed_kmh.unwrap_or(self.travel.speed_kmh)
    }
    /// Every site with its position `(id, lat, lon)`: origins, hubs, destinations, in order.
    pub fn sites(&self) -> impl Iterator<Item = (&str, f64, f64)> {
        self.origins
            .iter()
            .map(|o| (o.id.as_str(), o.lat, o.lon))
            .chain(self.hubs.iter().map(|h| (h.id.as_str(), h.lat, h.lon)))
            .chain(self.destinations.iter().map(|d| (d.id.as_str(), d.lat, d.lon)))
    }
}
