//! Manifests: every worker exactly once, on the vehicles the plan says, in time.

use busplan_core::generate::{self, Small};
use busplan_core::plan::Plan;
use busplan_core::scenario::Scenario;
use busplan_core::Options;
use busplan_io::import::{self, ImportOptions, Placement};
use busplan_io::manifest::{self, Manifest, ManifestError};
use busplan_io::pmedian::Method;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn read(path: &str) -> String {
    let p = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {p}: {e}"))
}

fn example(name: &str) -> (Scenario, Plan) {
    let s = busplan_core::parse_scenario(&read(&format!("examples/{name}.json"))).unwrap();
    let p: Plan = serde_json::from_str(&read(&format!("tests/golden/{name}.plan.json"))).unwrap();
    assert!(busplan_core::check(&s, &p).is_ok(), "golden plan of {name} fails its check");
    (s, p)
}

/// Riders of one vehicle or service between two sites, of one group.
type RideKey = (String, String, String, String, String, bool);

/// Everything a manifest must be; returns a description of the first breach.
fn audit(s: &Scenario, p: &Plan, m: &Manifest) -> Result<(), String> {
    if m.workers.len() as u64 != s.total_workers() {
        return Err(format!("{} rows for {} workers", m.workers.len(), s.total_workers()));
    }
    let ids: BTreeSet<&str> = m.workers.iter().map(|w| w.worker_id.as_str()).collect();
    if ids.len() != m.workers.len() {
        return Err("a worker id appears twice".into());
    }
    if !m.workers.windows(2).all(|w| w[0].worker_id < w[1].worker_id) {
        return Err("rows are not in worker id order".into());
    }
    // Per group: as many rows as the scenario has workers.
    let mut want: BTreeMap<(String, String, bool), u64> = BTreeMap::new();
    for o in &s.origins {
        for g in &o.workers {
            *want.entry((o.id.clone(), g.to.clone(), g.accessible())).or_default() += u64::from(g.count);
        }
    }
    let mut have: BTreeMap<(String, String, bool), u64> = BTreeMap::new();
    for w in &m.workers {
        *have.entry((w.origin.clone(), w.destination.clone(), w.accessible)).or_default() += 1;
    }
    if want != have {
        return Err(format!("groups differ: {want:?} vs {have:?}"));
    }
    let deadline: BTreeMap<&str, u32> = s.destinations.iter().map(|d| (d.id.as_str(), d.deadline_min)).collect();
    // Riders per (vehicle or service, from, to, origin, destination, accessible).
    let mut riders: BTreeMap<RideKey, u32> = BTreeMap::new();
    let mut unserved: BTreeMap<(String, String, bool), u32> = BTreeMap::new();
    for w in &m.workers {
        if w.unserved.is_some() {
            if !w.rides.is_empty() {
                return Err(format!("{} is unserved but rides", w.worker_id));
            }
            *unserved.entry((w.origin.clone(), w.destination.clone(), w.accessible)).or_default() += 1;
            continue;
        }
        let (Some(first), Some(last)) = (w.rides.first(), w.rides.last()) else {
            return Err(format!("{} neither rides nor is unserved", w.worker_id));
        };
        if first.from != w.origin || first.service {
            return Err(format!("{} boards at {}, not at their origin {}", w.worker_id, first.from, w.origin));
        }
        if last.to != w.destination {
            return Err(format!("{} ends at {}, not at {}", w.worker_id, last.to, w.destination));
        }
        if last.arrive_min > deadline[w.destination.as_str()] {
            return Err(format!("{} arrives at {} after the deadline", w.worker_id, last.arrive_min));
        }
        for pair in w.rides.windows(2) {
            if pair[0].to != pair[1].from || pair[0].arrive_min > pair[1].depart_min {
                return Err(format!("{}: {:?} does not lead to {:?}", w.worker_id, pair[0], pair[1]));
            }
        }
        for r in &w.rides {
            if r.depart_min > r.arrive_min {
                return Err(format!("{}: ride arrives before it leaves", w.worker_id));
            }
            *riders
                .entry((r.vehicle.clone(), r.from.clone(), r.to.clone(), w.origin.clone(), w.destination.clone(), w.accessible))
                .or_default() += 1;
        }
    }
    // The riders of every leg and service are its passengers.
    let mut plan_riders: BTreeMap<RideKey, u32> = BTreeMap::new();
    for v in &p.vehicles {
        for l in &v.legs {
            for x in &l.passengers {
                *plan_riders
                    .entry((v.id.clone(), l.from.clone(), l.to.clone(), x.origin.clone(), x.destination.clone(), x.accessible))
                    .or_default() += x.count;
            }
        }
    }
    for sv in &p.services {
        for x in &sv.passengers {
            *plan_riders
                .entry((sv.id.clone(), sv.from.clone(), sv.to.clone(), x.origin.clone(), x.destination.clone(), x.accessible))
                .or_default() += x.count;
        }
    }
    plan_riders.retain(|_, n| *n > 0);
    if riders != plan_riders {
        return Err("riders per leg differ from the plan's passengers".into());
    }
    let mut plan_unserved: BTreeMap<(String, String, bool), u32> = BTreeMap::new();
    for u in &p.unserved {
        *plan_unserved.entry((u.origin.clone(), u.destination.clone(), u.accessible)).or_default() += u.count;
    }
    plan_unserved.retain(|_, n| *n > 0);
    if unserved != plan_unserved {
        return Err(format!("unserved {unserved:?} vs plan {plan_unserved:?}"));
    }
    let csv = manifest::manifest_csv(s, m);
    if csv.lines().count() != m.workers.len() + 1 {
        return Err("CSV rows".into());
    }
    let html = manifest::sheets_html(s, p, m);
    if html.matches("<section class=\"sheet\">").count() != p.vehicles.len() {
        return Err("one sheet per bus".into());
    }
    Ok(())
}

#[test]
fn every_example_plan_has_a_complete_manifest() {
    for name in ["chaoyang-dalian", "zhuanghe-train", "nujiang-zhuhai"] {
        let (s, p) = example(name);
        let m = manifest::build(&s, &p, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        audit(&s, &p, &m).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Deterministic.
        assert_eq!(manifest::build(&s, &p, None).unwrap(), m);
    }
}

#[test]
fn trains_appear_in_the_itineraries() {
    let (s, p) = example("zhuanghe-train");
    let m = manifest::build(&s, &p, None).unwrap();
    let by_train = m.workers.iter().filter(|w| w.rides.iter().any(|r| r.service && r.vehicle == "K-special")).count();
    let on_train: u32 = p.services.iter().flat_map(|x| &x.passengers).map(|x| x.count).sum();
    assert_eq!(by_train as u32, on_train);
    let csv = manifest::manifest_csv(&s, &m);
    assert!(csv.contains(",K-special,"), "the train is named as the onward vehicle");
    assert!(csv.contains("train K-special"));
    let (s, p) = example("nujiang-zhuhai");
    let m = manifest::build(&s, &p, None).unwrap();
    let csv = manifest::manifest_csv(&s, &m);
    // Bus, train, bus: both hubs in their columns.
    assert!(csv.lines().any(|l| l.contains(",kunming-south,") && l.contains(",zhuhai,")), "{}", &csv[..600]);
}

#[test]
fn synthetic_ids_name_the_group() {
    let (s, p) = example("chaoyang-dalian");
    let m = manifest::build(&s, &p, None).unwrap();
    let ids: BTreeSet<&str> = m.workers.iter().map(|w| w.worker_id.as_str()).collect();
    assert!(ids.contains("chaoyang-city/ganjingzi/001"));
    assert!(ids.contains("chaoyang-city/ganjingzi/072"));
    assert!(!ids.contains("chaoyang-city/ganjingzi/073"));
    assert!(ids.contains("lingyuan/jinzhou/acc-004"));
}

#[test]
fn chaoyang_with_the_import_roster() {
    let template = import::parse_template(&read("examples/chaoyang/template.json")).unwrap();
    let opts = ImportOptions { placement: Placement::Choose { k: 5, method: Method::Auto }, ..ImportOptions::default() };
    let imp = import::import(
        &read("examples/chaoyang/workers.csv"),
        &read("examples/chaoyang/shortages.csv"),
        &read("examples/chaoyang/sites.csv"),
        &template,
        &opts,
    )
    .unwrap();
    let roster = manifest::parse_roster(&import::assignments_csv(&imp.assignments)).unwrap();
    assert_eq!(roster.len(), 630);
    let s = imp.scenario;
    let p = busplan_core::plan(&s, &Options::default()).unwrap();
    assert_eq!(p.totals.workers_delivered, 630);
    let m = manifest::build(&s, &p, Some(&roster)).unwrap();
    audit(&s, &p, &m).unwrap();
    let html = manifest::sheets_html(&s, &p, &m);
    let text = manifest::sheets_text(&s, &p, &m);
    for w in &m.workers {
        assert!(!w.name.is_empty() && !w.employer.is_empty() && !w.village.is_empty());
        assert!(html.contains(&format!("<td>{}</td><td>{}", w.worker_id, w.name)) || html.contains(&format!("<td>{}</td><td>{} (accessible)", w.worker_id, w.name)));
        assert!(text.contains(&w.worker_id));
    }
    // Within a group, the first bus out of the origin takes the lowest ids.
    let first = m.workers.iter().find(|w| w.origin == "kazuo" && w.destination == "pulandian").unwrap();
    let all: Vec<_> = m.workers.iter().filter(|w| w.origin == "kazuo" && w.destination == "pulandian").collect();
    assert!(all.iter().all(|w| w.bus().unwrap() >= first.bus().unwrap()));
    assert_eq!(text.matches('\u{c}').count() + 1, p.vehicles.len());

    // A roster that does not fit the scenario is refused with every difference.
    let err = manifest::build(&s, &p, Some(&roster[1..])).unwrap_err();
    assert!(matches!(err, ManifestError::RosterMismatch(_)), "{err}");
    assert!(err.to_string().contains("the scenario has"), "{err}");
}

#[test]
fn roster_rows_are_checked() {
    let err = manifest::parse_roster("worker_id,name,departure_point,district,accessible\nA,x,o,d,maybe\nA,y,o,d,\nB,z,,d,yes\n").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("roster line 2: accessible \"maybe\""), "{text}");
    assert!(text.contains("roster line 3: duplicate worker id A (first on line 2)"), "{text}");
    assert!(text.contains("roster line 4: missing departure_point"), "{text}");
    let ok = manifest::parse_roster("\u{feff}Worker ID,Name,Departure Point,District,Accessible\nA,x,o,d,轮椅\n").unwrap();
    assert!(ok[0].accessible);
}

#[test]
fn an_inconsistent_plan_is_an_error_not_a_manifest() {
    let (s, mut p) = example("chaoyang-dalian");
    // Someone vanishes at the service area.
    let leg = p.vehicles.iter_mut().flat_map(|v| v.legs.iter_mut()).find(|l| !l.alighted.is_empty()).unwrap();
    leg.alighted[0].pax.count += 1;
    assert!(matches!(manifest::build(&s, &p, None), Err(ManifestError::Inconsistent(_))));
    let (s, mut p) = example("nujiang-zhuhai");
    p.services[0].passengers[0].count -= 1;
    assert!(matches!(manifest::build(&s, &p, None), Err(ManifestError::Inconsistent(_))));
    let (s, mut p) = example("zhuanghe-train");
    p.vehicles[0].legs[0].passengers[0].count += 1;
    assert!(matches!(manifest::build(&s, &p, None), Err(ManifestError::Inconsistent(_))));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Random small scenarios, planned: the manifest has one row per worker and every
    /// itinerary runs from the origin to the destination before the deadline.
    #[test]
    fn manifests_of_random_plans(
        seed in 0u64..10_000,
        origins in 1usize..4,
        hubs in 0usize..3,
        destinations in 1usize..4,
        types in 1usize..3,
        train: bool,
        relax: bool,
    ) {
        let mut s = generate::small(Small { origins, hubs, destinations, types, train }, seed);
        if relax {
            // Later deadlines and more buses, so that more workers ride and change at hubs.
            for d in &mut s.destinations {
                d.deadline_min += 900;
            }
            for o in &mut s.origins {
                for n in o.fleet.values_mut() {
                    *n += 3;
                }
                o.escorts = None;
            }
            s.rules.max_transfers = 2;
        }
        let opts = Options { time_limit_s: 10.0, threads: 1, ..Options::default() };
        let p = busplan_core::plan(&s, &opts).unwrap();
        let m = manifest::build(&s, &p, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
        audit(&s, &p, &m).map_err(TestCaseError::fail)?;
    }
}
