//! Re-planning after a disruption: what is kept stays exactly as it was, only broken
//! components and new requests are planned again, no worker is lost, and every merged plan
//! passes the checker against the updated scenario.

use crate::common::{example, solve_and_check};
use busplan::generate::{small, Rng, Small};
use busplan::plan::{Pax, Plan, Vehicle};
use busplan::replan::{replan, Changes, Disruption, Error, NewDestination, NewWorkers, Replanned, Requests};
use busplan::scenario::Need;
use busplan::{check, Options, Scenario, Strategy as Planning};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn disruption_example(name: &str) -> Scenario {
    let path = format!("{}/examples/disruption/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    busplan::parse_scenario(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The published plan of the Wuxi example (re-planning it does not depend on how the planner
/// would plan the scenario today).
fn wuxi_plan() -> Plan {
    let path = format!("{}/examples/disruption/wuxi-snow.plan.json", env!("CARGO_MANIFEST_DIR"));
    let p: Plan = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(check(&disruption_example("wuxi-snow"), &p).is_ok());
    p
}

fn options() -> Options {
    Options { threads: 1, ..Options::default() }
}

fn closed(now_min: u32, roads: &[&str]) -> Disruption {
    Disruption { now_min, closed_roads: roads.iter().map(|r| (*r).to_string()).collect(), new_requests: Requests::default() }
}

/// Re-plans and asserts what must hold for every result: the checker passes against the
/// updated scenario, no worker is lost, every departed bus is in the new plan unchanged, and
/// the group table adds up.
fn replan_ok(s: &Scenario, old: &Plan, d: &Disruption) -> Replanned {
    let r = replan(s, old, d, &options()).unwrap_or_else(|e| panic!("replan of {} failed: {e}", s.name));
    let report = check(&r.scenario, &r.plan);
    assert!(report.is_ok(), "merged plan fails the checker:\n{report}");
    let t = &r.plan.totals;
    assert_eq!(t.workers_delivered + t.workers_unserved, r.scenario.total_workers(), "workers lost");
    assert_eq!(t.workers, r.scenario.total_workers());
    assert!(t.cost + 1e-6 >= r.plan.lower_bound);
    let new_by_id: BTreeMap<&str, &Vehicle> = r.plan.vehicles.iter().map(|v| (v.id.as_str(), v)).collect();
    for v in old.vehicles.iter().filter(|v| v.legs[0].depart_min < d.now_min) {
        if d.closed_roads.is_empty() {
            assert_eq!(new_by_id.get(v.id.as_str()), Some(&v), "departed bus {} changed", v.id);
        } else {
            assert!(new_by_id.contains_key(v.id.as_str()), "departed bus {} dropped", v.id);
        }
    }
    for g in &r.changes.groups {
        assert_eq!(g.kept + g.replanned + g.unserved_before + g.requested, g.workers, "group table of {g:?}");
    }
    // Kept, shifted and new buses make the new plan; kept and shifted and cancelled the old one.
    let c = &r.changes;
    assert_eq!(c.kept.len() + c.shifted.len() + c.new.len(), r.plan.vehicles.len());
    assert_eq!(c.kept.len() + c.shifted.len() + c.cancelled.len(), old.vehicles.len());
    r
}

/// Workers who board at home, by group, on the given buses.
fn boarders<'a>(buses: impl Iterator<Item = &'a Vehicle>) -> BTreeMap<(String, String, bool), u32> {
    let mut out = BTreeMap::new();
    for v in buses {
        for p in v.legs[0].passengers.iter().filter(|p: &&Pax| p.origin == v.legs[0].from) {
            *out.entry((p.origin.clone(), p.destination.clone(), p.accessible)).or_default() += p.count;
        }
    }
    out
}

fn no_changes(c: &Changes) {
    assert!(c.shifted.is_empty() && c.cancelled.is_empty() && c.new.is_empty(), "{c:?}");
    assert_eq!(c.workers_replanned, 0);
    assert!(c.groups.is_empty(), "{:?}", c.groups);
    assert!(c.warnings.is_empty());
}

#[test]
fn nothing_happened_keeps_every_bus() {
    for s in [example("chaoyang-dalian"), disruption_example("wuxi-snow"), example("zhuanghe-train")] {
        let old = solve_and_check(&s, &options());
        assert!(old.unserved.is_empty());
        let r = replan_ok(&s, &old, &Disruption::default());
        no_changes(&r.changes);
        assert_eq!(r.plan.vehicles, old.vehicles, "{}", s.name);
        assert_eq!(r.plan.services, old.services);
        assert_eq!(r.scenario, s);
        assert!((r.plan.totals.cost - old.totals.cost).abs() < 1e-6);
    }
}

#[test]
fn snow_on_x203_changes_only_the_broken_component() {
    let s = disruption_example("wuxi-snow");
    let old = wuxi_plan();
    let r = replan_ok(&s, &old, &closed(15, &["X203"]));
    let c = &r.changes;
    assert_eq!(c.closed_roads.len(), 2, "X203 has two sections");
    // BUS-008 (Hongchi over X203 to the service area) now misses Yubei's deadline; BUS-006
    // regroups with it there. BUS-007 also crosses X203 but still arrives in time: shifted.
    assert_eq!(c.cancelled, ["BUS-006", "BUS-008"]);
    assert_eq!(c.shifted.iter().map(|x| x.bus.as_str()).collect::<Vec<_>>(), ["BUS-007"]);
    assert_eq!(c.departed, ["BUS-009"]);
    // Every cancelled bus is linked to another cancelled bus or stands alone; every worker
    // whose bus changed was on a cancelled bus, and nobody else changed.
    let cancelled: Vec<&Vehicle> = old.vehicles.iter().filter(|v| c.cancelled.contains(&v.id)).collect();
    let on_cancelled = boarders(cancelled.iter().copied());
    let replanned: BTreeMap<_, _> =
        c.groups.iter().filter(|g| g.replanned > 0).map(|g| ((g.origin.clone(), g.destination.clone(), g.accessible), g.replanned)).collect();
    assert_eq!(replanned, on_cancelled);
    assert_eq!(c.workers_replanned, on_cancelled.values().map(|&n| u64::from(n)).sum::<u64>());
    // Kept buses keep their ids, types, bases and passengers; only times and km may move.
    let new_by_id: BTreeMap<&str, &Vehicle> = r.plan.vehicles.iter().map(|v| (v.id.as_str(), v)).collect();
    for v in old.vehicles.iter().filter(|v| !c.cancelled.contains(&v.id)) {
        let n = new_by_id[v.id.as_str()];
        assert_eq!((&n.vehicle_type, &n.base, &n.escort), (&v.vehicle_type, &v.base, &v.escort));
        for (a, b) in v.legs.iter().zip(&n.legs) {
            assert_eq!((&a.from, &a.to, &a.passengers, &a.boarded, &a.alighted), (&b.from, &b.to, &b.passengers, &b.boarded, &b.alighted));
            assert!(b.depart_min >= a.depart_min && b.arrive_min >= a.arrive_min);
        }
        if c.kept.contains(&v.id) {
            assert_eq!(n, v);
        }
    }
    // New buses never reuse an old id.
    for id in &c.new {
        assert!(!old.vehicles.iter().any(|v| &v.id == id), "{id} reused");
    }
    // Closed roads stay closed in the updated scenario, and the buses drive around them.
    let busplan::scenario::TravelModel::Roads { edges, .. } = &r.scenario.travel.model else { panic!("roads") };
    assert!(edges.iter().filter(|e| e.name.as_deref() == Some("X203")).all(|e| e.closed));
    assert_eq!(r.plan.status, busplan::Status::Feasible);
}

#[test]
fn departed_buses_are_kept_even_when_replanning_them_would_be_cheaper() {
    // A direct-only plan is dearer than one with regrouping; once its buses have left, the
    // re-plan keeps every one of them and only adds buses for the new requests.
    let s = example("chaoyang-dalian");
    let old = solve_and_check(&s, &Options { strategy: Planning::Direct, ..options() });
    let fresh = solve_and_check(&s, &options());
    assert!(fresh.totals.cost < old.totals.cost, "the test needs a dearer old plan");
    let d = Disruption {
        now_min: 1,
        closed_roads: Vec::new(),
        new_requests: Requests {
            destinations: Vec::new(),
            workers: vec![NewWorkers { from: "beipiao".into(), to: "ganjingzi".into(), count: 12, needs: Vec::new() }],
        },
    };
    let r = replan_ok(&s, &old, &d);
    assert_eq!(r.changes.departed.len(), old.vehicles.len());
    assert_eq!(&r.plan.vehicles[..old.vehicles.len()], &old.vehicles[..]);
    assert!(r.changes.cancelled.is_empty() && r.changes.shifted.is_empty());
    // Nobody leaves before now.
    for id in &r.changes.new {
        let v = r.plan.vehicles.iter().find(|v| &v.id == id).unwrap();
        assert!(v.legs[0].depart_min >= 1);
    }
}

#[test]
fn new_requests_are_served_when_the_fleet_allows() {
    let s = example("chaoyang-dalian");
    let old = solve_and_check(&s, &options());
    let path = format!("{}/examples/disruption/chaoyang-requests.json", env!("CARGO_MANIFEST_DIR"));
    let requests: Requests = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let asked: u64 = requests.workers.iter().map(|w| u64::from(w.count)).sum();
    let d = Disruption { now_min: 0, closed_roads: Vec::new(), new_requests: requests };
    let r = replan_ok(&s, &old, &d);
    assert_eq!(r.changes.workers_requested, asked);
    assert_eq!(r.changes.unserved_after, 0);
    assert_eq!(r.plan.totals.workers_delivered, old.totals.workers_delivered + asked);
    assert_eq!(r.changes.kept.len(), old.vehicles.len(), "requests alone change no bus");
    assert!(!r.changes.new.is_empty());
    assert!(r.scenario.destinations.iter().any(|x| x.id == "shuangdao-bay"));
}

#[test]
fn more_requests_than_buses_are_reported_unserved() {
    let s = disruption_example("wuxi-snow");
    let old = solve_and_check(&s, &options());
    let d = Disruption {
        now_min: 0,
        closed_roads: Vec::new(),
        new_requests: Requests {
            destinations: Vec::new(),
            workers: vec![NewWorkers { from: "tianyuan".into(), to: "yubei".into(), count: 400, needs: Vec::new() }],
        },
    };
    let r = replan_ok(&s, &old, &d);
    assert!(r.changes.unserved_after > 0);
    assert!(r.changes.warnings.iter().any(|w| w.contains("tianyuan to yubei")), "{:?}", r.changes.warnings);
    assert_eq!(r.changes.kept.len(), old.vehicles.len());
}

#[test]
fn a_departed_bus_that_can_no_longer_arrive_in_time_is_an_error() {
    let s = disruption_example("wuxi-snow");
    let old = wuxi_plan();
    // At 0:45 Hongchi's buses have left over X203; closed now, the detour misses the deadline.
    let e = replan(&s, &old, &closed(45, &["X203"]), &options()).unwrap_err();
    assert!(matches!(e, Error::DepartedBroken(_)), "{e}");
}

#[test]
fn bad_disruptions_are_errors_that_say_why() {
    let s = disruption_example("wuxi-snow");
    let old = solve_and_check(&s, &options());
    let e = replan(&s, &old, &closed(0, &["G99"]), &options()).unwrap_err().to_string();
    assert!(e.contains("G99") && e.contains("X203") && e.contains("S301"), "{e}");
    // A node pair closes the section between them.
    let r = replan_ok(&s, &old, &closed(0, &["n-pass~n-hongchi"]));
    assert_eq!(r.changes.closed_roads.len(), 1);
    let chaoyang = example("chaoyang-dalian");
    let p = solve_and_check(&chaoyang, &options());
    let e = replan(&chaoyang, &p, &closed(0, &["G15"]), &options()).unwrap_err();
    assert!(matches!(e, Error::NoRoadGraph), "{e}");
    let with = |destinations: Vec<NewDestination>, from: &str, to: &str| Disruption {
        now_min: 0,
        closed_roads: Vec::new(),
        new_requests: Requests { destinations, workers: vec![NewWorkers { from: from.into(), to: to.into(), count: 5, needs: vec![Need::Accessible] }] },
    };
    let e = replan(&s, &old, &with(Vec::new(), "nowhere", "yubei"), &options()).unwrap_err().to_string();
    assert!(e.contains("nowhere") && e.contains("hongchi"), "{e}");
    let e = replan(&s, &old, &with(Vec::new(), "wuxi", "atlantis"), &options()).unwrap_err().to_string();
    assert!(e.contains("E1003"), "{e}");
    let park = NewDestination {
        id: "park".into(),
        name: String::new(),
        lat: 29.6,
        lon: 106.5,
        deadline_min: 720,
        employers: Vec::new(),
        road_node: None,
        matrix_entries: Vec::new(),
    };
    let e = replan(&s, &old, &with(vec![park.clone()], "wuxi", "park"), &options()).unwrap_err().to_string();
    assert!(e.contains("road_node"), "{e}");
    let at_node = NewDestination { road_node: Some("n-jiulongpo".into()), ..park };
    let r = replan_ok(&s, &old, &with(vec![at_node], "wuxi", "park"));
    assert_eq!(r.changes.workers_requested, 5);
    // A plan that does not fit the scenario is refused.
    let mut broken = old.clone();
    broken.vehicles.pop();
    assert!(matches!(replan(&s, &broken, &Disruption::default(), &options()), Err(Error::OldPlan(_))));
}

fn size() -> impl proptest::strategy::Strategy<Value = Small> {
    (1usize..4, 0usize..3, 1usize..4, 1usize..3, any::<bool>())
        .prop_map(|(origins, hubs, destinations, types, train)| Small { origins, hubs, destinations, types, train })
}

/// Up to three random requests, one of them perhaps to a new drop point near Dalian.
fn random_requests(s: &Scenario, seed: u64) -> Requests {
    let mut r = Rng::new(seed);
    let mut req = Requests::default();
    if r.chance(0.4) {
        req.destinations.push(NewDestination {
            id: "new-park".into(),
            name: String::new(),
            lat: r.float(38.85, 39.7),
            lon: r.float(121.2, 122.9),
            deadline_min: r.range(400, 900),
            employers: Vec::new(),
            road_node: None,
            matrix_entries: Vec::new(),
        });
    }
    let mut to: Vec<String> = s.destinations.iter().map(|d| d.id.clone()).collect();
    to.extend(req.destinations.iter().map(|d| d.id.clone()));
    for _ in 0..r.range(0, 3) {
        let o = &s.origins[r.range(0, s.origins.len() as u32 - 1) as usize];
        req.workers.push(NewWorkers {
            from: o.id.clone(),
            to: to[r.range(0, to.len() as u32 - 1) as usize].clone(),
            count: r.range(1, 40),
            needs: if r.chance(0.15) { vec![Need::Accessible] } else { Vec::new() },
        });
    }
    if req.workers.is_empty() {
        req.destinations.clear();
    }
    req
}

/// The scenario on a road graph: one node per site, a named road between every two sites
/// (straight-line km times 1.25), so that closing one makes buses drive around through a third
/// site's node.
fn on_roads(s: &Scenario) -> Scenario {
    use busplan::scenario::{RoadEdge, RoadNode, Travel, TravelModel};
    let sites: Vec<(String, f64, f64)> = s.sites().map(|(id, lat, lon)| (id.to_string(), lat, lon)).collect();
    let nodes: Vec<RoadNode> = sites.iter().map(|(id, lat, lon)| RoadNode { id: format!("n-{id}"), lat: *lat, lon: *lon }).collect();
    let mut edges = Vec::new();
    for (i, a) in sites.iter().enumerate() {
        for b in &sites[i + 1..] {
            let dy = (a.1 - b.1) * 111.2;
            let dx = (a.2 - b.2) * 111.2 * a.1.to_radians().cos();
            edges.push(RoadEdge {
                from: format!("n-{}", a.0),
                to: format!("n-{}", b.0),
                km: ((dx * dx + dy * dy).sqrt() * 1.25 * 10.0).round() / 10.0,
                closed: false,
                name: Some(format!("R{}", edges.len())),
            });
        }
    }
    let map = sites.iter().map(|(id, _, _)| (id.clone(), format!("n-{id}"))).collect();
    Scenario { travel: Travel { model: TravelModel::Roads { nodes, edges, sites: map }, ..s.travel.clone() }, ..s.clone() }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn replans_keep_departed_buses_lose_nobody_and_pass_the_checker(size in size(), seed in any::<u64>(), now in 0u32..150) {
        let s = small(size, seed);
        let old = solve_and_check(&s, &options());
        let d = Disruption { now_min: now, closed_roads: Vec::new(), new_requests: random_requests(&s, seed) };
        let r = replan_ok(&s, &old, &d);
        // Without closures, nothing that is kept moves in time.
        prop_assert!(r.changes.shifted.is_empty());
        prop_assert!(r.changes.cancelled.is_empty());
        let asked: u64 = d.new_requests.workers.iter().map(|w| u64::from(w.count)).sum();
        prop_assert_eq!(r.scenario.total_workers(), s.total_workers() + asked);
    }

    #[test]
    fn closures_cancel_whole_components_and_lose_nobody(size in size(), seed in any::<u64>(), now in 0u32..150, road in any::<prop::sample::Index>()) {
        let s = on_roads(&small(size, seed));
        let old = solve_and_check(&s, &options());
        let busplan::scenario::TravelModel::Roads { edges, .. } = &s.travel.model else { unreachable!() };
        let name = edges[road.index(edges.len())].name.clone().unwrap();
        let d = Disruption { now_min: now, closed_roads: vec![name], new_requests: random_requests(&s, seed).without_new_destinations() };
        match replan(&s, &old, &d, &options()) {
            // Buses that left and can no longer arrive in time: nothing to re-plan, said so.
            Err(Error::DepartedBroken(why)) => prop_assert!(!why.is_empty()),
            Err(e) => prop_assert!(false, "{}", e),
            Ok(_) => {
                let r = replan_ok(&s, &old, &d);
                // A cancelled bus's workers are all re-planned; a kept bus's never are.
                let cancelled = boarders(old.vehicles.iter().filter(|v| r.changes.cancelled.contains(&v.id)));
                let replanned: BTreeMap<_, _> = r.changes.groups.iter().filter(|g| g.replanned > 0)
                    .map(|g| ((g.origin.clone(), g.destination.clone(), g.accessible), g.replanned)).collect();
                prop_assert_eq!(replanned, cancelled);
            }
        }
    }
}

trait NoNewDestinations {
    fn without_new_destinations(self) -> Self;
}

impl NoNewDestinations for Requests {
    /// Requests to the scenario's own drop points only (a new one would need a road node).
    fn without_new_destinations(mut self) -> Self {
        let new: Vec<String> = self.destinations.drain(..).map(|d| d.id).collect();
        self.workers.retain(|w| !new.contains(&w.to));
        self
    }
}
