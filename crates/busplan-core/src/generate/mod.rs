//! Seeded scenario generators, shared by the property tests and the benchmarks.
//!
//! Takes: a size and a seed. Gives: a valid [`Scenario`]. The same seed always gives the same
//! scenario. Geography follows the Chaoyang -> Dalian operation (origins in western Liaoning,
//! hubs on the motorways between, destinations around Dalian); demand is skewed so that a
//! few origin-destination pairs are large and many are small, as real labour flows are.

use crate::scenario::{
    Destination, Hub, HubKind, Need, Objective, Origin, Rules, Scenario, Service, ServiceKind, Travel, TravelModel,
    VehicleType, WorkerGroup,
};
use std::collections::BTreeMap;

pub mod tiers;
pub use tiers::{tier, ProvinceSize, Tier};

/// A small deterministic random source (`SplitMix64`).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A source for a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next_u64() % u64::from(hi - lo + 1)) as u32
    }
    /// Uniform in `[lo, hi)`.
    pub fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.float(0.0, 1.0) < p
    }
}

/// Size of a small random scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Small {
    /// Departure points.
    pub origins: usize,
    /// Service-area hubs.
    pub hubs: usize,
    /// Destinations.
    pub destinations: usize,
    /// Vehicle types.
    pub types: usize,
    /// Whether to add two stations with a train between them.
    pub train: bool,
}

/// A small random scenario (a few origins, hubs and destinations) for property tests.
pub fn small(size: Small, seed: u64) -> Scenario {
    let mut r = Rng::new(seed);
    let vehicle_types: Vec<VehicleType> = (0..size.types.max(1))
        .map(|i| {
            let seats = r.range(19, 55);
            VehicleType {
                id: format!("type-{i}"),
                seats,
                load_cap: [0.5, 0.75, 1.0][r.range(0, 2) as usize],
                accessible_seats: if r.chance(0.5) { r.range(1, 3) } else { 0 },
                fixed_cost_yuan: f64::from(r.range(8, 30) * 100),
                cost_per_km_yuan: f64::from(r.range(25, 50)) / 10.0,
                speed_kmh: if r.chance(0.3) { Some(f64::from(r.range(60, 90))) } else { None },
            }
        })
        .collect();
    let destinations: Vec<Destination> = (0..size.destinations.max(1))
        .map(|i| Destination {
            id: format!("d{i}"),
            name: String::new(),
            lat: r.float(38.85, 39.7),
            lon: r.float(121.2, 122.9),
            deadline_min: r.range(300, 900),
            employers: Vec::new(),
        })
        .collect();
    let mut hubs: Vec<Hub> = (0..size.hubs)
        .map(|i| Hub {
            id: format!("h{i}"),
            name: String::new(),
            kind: HubKind::ServiceArea,
            lat: r.float(40.0, 41.2),
            lon: r.float(121.0, 122.2),
            transfer_min: r.range(10, 45),
            max_buses: if r.chance(0.3) { Some(r.range(2, 12)) } else { None },
            fleet: BTreeMap::new(),
            escorts: None,
        })
        .collect();
    let mut services = Vec::new();
    if size.train {
        hubs.push(Hub {
            id: "st-a".into(),
            name: String::new(),
            kind: HubKind::Station,
            lat: 41.55,
            lon: 120.42,
            transfer_min: 30,
            max_buses: None,
            fleet: BTreeMap::new(),
            escorts: None,
        });
        let fleet = vehicle_types.iter().map(|t| (t.id.clone(), r.range(0, 4))).collect();
        hubs.push(Hub {
            id: "st-b".into(),
            name: String::new(),
            kind: HubKind::Station,
            lat: 39.2,
            lon: 121.9,
            transfer_min: 30,
            max_buses: None,
            fleet,
            escorts: if r.chance(0.3) { Some(r.range(1, 6)) } else { None },
        });
        services.push(Service {
            id: "T1".into(),
            kind: ServiceKind::Train,
            from: "st-a".into(),
            to: "st-b".into(),
            departure_min: r.range(90, 200),
            arrival_min: r.range(360, 480),
            seats: r.range(20, 300),
            cost_per_seat_yuan: f64::from(r.range(30, 150)),
            accessible: r.chance(0.7),
        });
    }
    let origins: Vec<Origin> = (0..size.origins.max(1))
        .map(|i| {
            let n_groups = r.range(1, destinations.len().min(3) as u32);
            let mut workers: Vec<WorkerGroup> = Vec::new();
            for _ in 0..n_groups {
                let to = destinations[r.range(0, destinations.len() as u32 - 1) as usize].id.clone();
                let accessible = r.chance(0.15);
                if workers.iter().any(|g| g.to == to && g.accessible() == accessible) {
                    continue;
                }
                let count = if r.chance(0.25) { r.range(30, 90) } else { r.range(1, 25) };
                workers.push(WorkerGroup { to, count, needs: if accessible { vec![Need::Accessible] } else { Vec::new() } });
            }
            let fleet = vehicle_types.iter().map(|t| (t.id.clone(), r.range(0, 4))).collect();
            Origin {
                id: format!("o{i}"),
                name: String::new(),
                lat: r.float(41.0, 41.9),
                lon: r.float(119.3, 120.9),
                ready_min: r.range(0, 60),
                workers,
                fleet,
                escorts: if r.chance(0.3) { Some(r.range(1, 8)) } else { None },
            }
        })
        .collect();
    let mut origins = origins;
    let no_fleet = origins.iter().all(|o| o.fleet.values().all(|&n| n == 0)) && hubs.iter().all(|h| h.fleet.values().all(|&n| n == 0));
    if no_fleet {
        origins[0].fleet.insert(vehicle_types[0].id.clone(), 2);
    }
    Scenario {
        name: format!("small-{seed}"),
        description: String::new(),
        vehicle_types,
        origins,
        hubs,
        destinations,
        services,
        travel: Travel { model: TravelModel::GreatCircle { circuity: 1.25 }, speed_kmh: 70.0 },
        objective: Objective { worker_minute_yuan: f64::from(r.range(0, 5)) / 10.0, ..Objective::default() },
        rules: Rules { max_transfers: r.range(0, 2), max_ride_min: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_scenario_and_valid() {
        let size = Small { origins: 3, hubs: 2, destinations: 3, types: 2, train: true };
        for seed in 0..50 {
            let a = small(size, seed);
            assert_eq!(a, small(size, seed));
            crate::validate::validate(&a).unwrap();
        }
    }
}
