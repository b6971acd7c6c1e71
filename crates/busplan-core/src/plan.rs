//! The plan: what people follow on the day.
//!
//! Takes: a scenario and a solved allocation (from [`crate::solve`]). Gives: [`Plan`], plain
//! public data written as JSON. A plan is self-contained: [`crate::check()`] re-verifies it
//! against its scenario without the model.
//!
//! Conventions every plan obeys:
//! - every vehicle leaves its base (an origin or a hub) once and has one or two legs;
//! - on a leg that starts at an origin, every passenger boards there from home;
//! - on a leg that ends at a destination, every passenger gets off there;
//! - at a hub, `passengers` of the arriving leg = `stay_on` + `alighted`, and `passengers` of
//!   the next leg = `stay_on` of the previous one + `boarded`;
//! - all times are whole minutes from the plan start.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How good the plan is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Proven optimal: the allocation model was solved to optimality and the plan's cost is
    /// within the MIP gap of the lower bound.
    Optimal,
    /// A feasible plan; `gap` says how far from the lower bound it may be.
    Feasible,
    /// The time limit stopped the search; the plan is feasible, `gap` says how good.
    TimeLimit,
}

/// A group of workers travelling together on a leg: same origin, destination and needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pax {
    /// Origin id.
    pub origin: String,
    /// Destination id.
    pub destination: String,
    /// Whether they need accessible vehicles.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accessible: bool,
    /// Number of workers.
    pub count: u32,
}

/// Workers who move between a vehicle and another vehicle or a service at a hub.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Move {
    /// The other vehicle's id (`BUS-004`) or the service id (`D3812`).
    pub with: String,
    /// Who moves.
    pub pax: Pax,
}

/// One drive of a vehicle from one site to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    /// Site id where the leg starts.
    pub from: String,
    /// Site id where the leg ends.
    pub to: String,
    /// Departure, minutes from plan start.
    pub depart_min: u32,
    /// Arrival, minutes from plan start.
    pub arrive_min: u32,
    /// Road distance, km.
    pub km: f64,
    /// Everyone on board during this leg.
    pub passengers: Vec<Pax>,
    /// At the start hub: who boarded from which bus or service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boarded: Vec<Move>,
    /// At the end hub: who got off, and onto which bus or service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alighted: Vec<Move>,
    /// At the end hub: who stays in their seat for the next leg.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stay_on: Vec<Pax>,
}

/// One chartered bus and its day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    /// Identifier (`BUS-017`).
    pub id: String,
    /// Vehicle type id.
    pub vehicle_type: String,
    /// Site where the bus starts (origin or hub).
    pub base: String,
    /// The staff escort on board (`ESC-017`).
    pub escort: String,
    /// Legs in order.
    pub legs: Vec<Leg>,
}

/// A scheduled service and the workers on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceLoad {
    /// Service id.
    pub id: String,
    /// Hub id where workers board.
    pub from: String,
    /// Hub id where workers alight.
    pub to: String,
    /// Departure, minutes.
    pub departure_min: u32,
    /// Arrival, minutes.
    pub arrival_min: u32,
    /// Seats offered.
    pub seats: u32,
    /// Workers on board.
    pub passengers: Vec<Pax>,
    /// Who boarded from which bus.
    pub boarded: Vec<Move>,
    /// Who got off onto which bus.
    pub alighted: Vec<Move>,
}

/// Why workers are left unserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnservedReason {
    /// No route reaches the destination before its deadline within the rules, with timings
    /// at the slowest speed among the vehicle types that have buses.
    NoFeasibleRoute,
    /// Routes exist but buses, escorts, seats or hub space ran short.
    CapacityShort,
    /// A direct bus could carry them (their departure point has buses and escorts to spare),
    /// but it would cost more than the unserved penalty for them: raise the penalty to serve
    /// them.
    CostlierThanPenalty,
}

/// Workers the plan does not carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unserved {
    /// Origin id.
    pub origin: String,
    /// Destination id.
    pub destination: String,
    /// Whether they need accessible vehicles.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accessible: bool,
    /// Number of workers.
    pub count: u32,
    /// Why.
    pub reason: UnservedReason,
}

/// The cost of a plan, by kind (yuan).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// Fixed charter cost of every bus used.
    pub bus_fixed: f64,
    /// Per-km cost of every leg driven.
    pub bus_distance: f64,
    /// Worker-minutes from ready time to arrival, times `worker_minute_yuan`.
    pub worker_time: f64,
    /// Worker-stops at hubs times `transfer_penalty_yuan` (see [`Totals::hub_stops`]).
    pub transfers: f64,
    /// Seats on scheduled services.
    pub service_seats: f64,
    /// Unserved workers times `unserved_penalty_yuan`.
    pub unserved_penalty: f64,
}

impl CostBreakdown {
    /// The sum of all kinds.
    pub fn total(&self) -> f64 {
        self.bus_fixed
            + self.bus_distance
            + self.worker_time
            + self.transfers
            + self.service_seats
            + self.unserved_penalty
    }
}

/// Totals of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Total cost (the objective), yuan.
    pub cost: f64,
    /// Cost by kind.
    pub cost_breakdown: CostBreakdown,
    /// Workers in the scenario.
    pub workers: u64,
    /// Workers who reach their destination.
    pub workers_delivered: u64,
    /// Workers left unserved.
    pub workers_unserved: u64,
    /// Buses used.
    pub buses: u32,
    /// Buses used, by type.
    pub buses_by_type: BTreeMap<String, u32>,
    /// Km driven by all buses.
    pub bus_km: f64,
    /// Hours from ready time to arrival, summed over delivered workers.
    pub worker_hours: f64,
    /// Passenger-km over capped-seat-km on all bus legs.
    pub seat_utilisation: f64,
    /// Changes of vehicle summed over workers (bus to bus, bus to service, service to bus).
    pub transfers: u64,
    /// Stops at hubs summed over workers: every worker who arrives at a hub, by bus or by
    /// service, counts once there, whether or not they change seat (regrouping takes
    /// everyone's time). The transfer penalty is charged on these.
    pub hub_stops: u64,
    /// Cost without the unserved penalty, per delivered worker.
    pub cost_per_worker: f64,
    /// Cost of the best plan found without hubs (same options), when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_only_cost: Option<f64>,
    /// `direct_only_cost - cost`, when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saving_vs_direct: Option<f64>,
    /// What the delivered workers would have paid in individual fares.
    pub individual_fares: f64,
}

/// A complete plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Scenario name.
    pub scenario: String,
    /// How good the plan is known to be.
    pub status: Status,
    /// Strategy that produced it.
    pub strategy: String,
    /// Solver backend used for exact models and bounds.
    pub backend: String,
    /// Random seed.
    pub seed: u64,
    /// A proven lower bound on the cost of any plan for this scenario, yuan.
    pub lower_bound: f64,
    /// `(cost - lower_bound) / cost`, 0 when cost is 0.
    pub gap: f64,
    /// Totals.
    pub totals: Totals,
    /// Every bus with its legs.
    pub vehicles: Vec<Vehicle>,
    /// Every scheduled service with its load.
    pub services: Vec<ServiceLoad>,
    /// Workers not carried, with the reason.
    pub unserved: Vec<Unserved>,
}

/// Computes the totals of a plan from its vehicles, services and unserved workers (the
/// scenario gives prices and ready times). `direct_only_cost` is carried through.
pub fn totals(
    s: &crate::scenario::Scenario,
    vehicles: &[Vehicle],
    services: &[ServiceLoad],
    unserved: &[Unserved],
    direct_only_cost: Option<f64>,
) -> Totals {
    let w = &s.objective;
    let ready: BTreeMap<&str, u32> = s.origins.iter().map(|o| (o.id.as_str(), o.ready_min)).collect();
    let mut t = Totals { workers: s.total_workers(), direct_only_cost, ..Totals::default() };
    let mut seat_km = 0.0;
    let mut pax_km = 0.0;
    let mut worker_min = 0.0;
    let mut transfers = 0u64;
    let mut hub_stops = 0u64;
    let is_hub = |id: &str| s.hubs.iter().any(|h| h.id == id);
    for veh in vehicles {
        let Some(vt) = s.vehicle_types.iter().find(|v| v.id == veh.vehicle_type) else { continue };
        t.buses += 1;
        *t.buses_by_type.entry(veh.vehicle_type.clone()).or_default() += 1;
        t.cost_breakdown.bus_fixed += vt.fixed_cost_yuan;
        for leg in &veh.legs {
            t.bus_km += leg.km;
            t.cost_breakdown.bus_distance += leg.km * vt.cost_per_km_yuan;
            let on: u32 = leg.passengers.iter().map(|p| p.count).sum();
            pax_km += f64::from(on) * leg.km;
            seat_km += f64::from(vt.capped_seats()) * leg.km;
            transfers += leg.boarded.iter().map(|m| u64::from(m.pax.count)).sum::<u64>();
            if is_hub(&leg.to) {
                hub_stops += u64::from(on);
            }
            for p in leg.passengers.iter().filter(|p| p.destination == leg.to) {
                t.workers_delivered += u64::from(p.count);
                let r = ready.get(p.origin.as_str()).copied().unwrap_or(0);
                worker_min += f64::from(p.count) * f64::from(leg.arrive_min.saturating_sub(r));
            }
        }
    }
    for svc in services {
        let price = s.services.iter().find(|x| x.id == svc.id).map_or(0.0, |x| x.cost_per_seat_yuan);
        let on: u32 = svc.passengers.iter().map(|p| p.count).sum();
        t.cost_breakdown.service_seats += f64::from(on) * price;
        hub_stops += u64::from(on);
        transfers += svc.boarded.iter().map(|m| u64::from(m.pax.count)).sum::<u64>();
    }
    t.workers_unserved = unserved.iter().map(|u| u64::from(u.count)).sum();
    t.transfers = transfers;
    t.hub_stops = hub_stops;
    t.cost_breakdown.worker_time = worker_min * w.worker_minute_yuan;
    t.cost_breakdown.transfers = hub_stops as f64 * w.transfer_penalty_yuan;
    t.cost_breakdown.unserved_penalty = t.workers_unserved as f64 * w.unserved_penalty_yuan;
    t.cost = t.cost_breakdown.total();
    t.worker_hours = worker_min / 60.0;
    t.seat_utilisation = if seat_km > 0.0 { pax_km / seat_km } else { 0.0 };
    t.cost_per_worker = if t.workers_delivered > 0 {
        (t.cost - t.cost_breakdown.unserved_penalty) / t.workers_delivered as f64
    } else {
        0.0
    };
    t.saving_vs_direct = direct_only_cost.map(|d| d - t.cost);
    t.individual_fares = t.workers_delivered as f64 * w.individual_fare_yuan;
    t
}
