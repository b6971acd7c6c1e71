//! Road graphs: the Wuxi county example from its CSV files, closures by snow, GeoJSON
//! extracts, and the rule that closing a road never makes any journey shorter.

use busplan_core::plan::{Plan, UnservedReason};
use busplan_core::scenario::TravelModel;
use busplan_core::travel::TravelTable;
use busplan_core::{check, parse_scenario, plan, Options, Scenario};
use busplan_io::roads::{
    attach_sites, close_roads, graph_from_csv, graph_from_geojson, unlinked, RoadGraph, RoadsError,
};
use proptest::prelude::*;
use std::fmt::Write as _;

fn read(name: &str) -> String {
    let path = format!("{}/../../examples/roads/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn wuxi_graph() -> RoadGraph {
    graph_from_csv(&read("wuxi-edges.csv"), Some(&read("wuxi-nodes.csv"))).expect("the example CSVs load")
}

/// The Wuxi scenario with its road graph, roads closed by `specs`.
fn wuxi(specs: &[&str]) -> Scenario {
    let mut s = parse_scenario(&read("wuxi.json")).expect("the example scenario parses");
    let snaps = attach_sites(&mut s, wuxi_graph(), 5.0).expect("every site is near a road");
    assert_eq!(snaps.len(), 7);
    assert!(snaps.iter().all(|x| x.km < 1.5), "{snaps:?}");
    let specs: Vec<String> = specs.iter().map(|x| (*x).to_string()).collect();
    close_roads(&mut s, &specs).expect("the closures match");
    busplan_core::validate(&s).expect("valid with roads");
    s
}

fn plan_and_check(s: &Scenario) -> Plan {
    let p = plan(s, &Options::default()).expect("plans");
    let report = check(s, &p);
    assert!(report.is_ok(), "{report}");
    p
}

/// Bus km of the legs that leave a departure point.
fn km_from(p: &Plan, origin: &str) -> f64 {
    p.vehicles.iter().flat_map(|v| &v.legs).filter(|l| l.from == origin).map(|l| l.km).sum()
}

#[test]
fn snow_on_the_pass_sends_hongchi_round_the_valley() {
    let open = plan_and_check(&wuxi(&[]));
    let snow = plan_and_check(&wuxi(&["X203"]));
    assert_eq!(open.totals.workers_unserved, 0);
    assert_eq!(snow.totals.workers_unserved, 0, "the valley road still gets everyone there in time");
    // X203 is 37 km from Hongchi to the county seat, X118 round the valley 65 km.
    let (before, after) = (km_from(&open, "hongchi"), km_from(&snow, "hongchi"));
    assert!(after > before + 20.0, "Hongchi's buses drive {before} km with the pass open, {after} km with it closed");
    assert!(snow.totals.bus_km > open.totals.bus_km);
    assert!(snow.totals.cost > open.totals.cost);
}

#[test]
fn snow_on_the_only_road_leaves_shuanghe_unserved_for_want_of_a_route() {
    let s = wuxi(&["X215"]);
    let cut = unlinked(&s).unwrap();
    assert_eq!(cut.len(), 1);
    assert_eq!((cut[0].origin.as_str(), cut[0].destination.as_str(), cut[0].workers), ("shuanghe", "yubei-park", 13));
    let p = plan_and_check(&s);
    assert_eq!(p.unserved.len(), 1, "{:?}", p.unserved);
    let u = &p.unserved[0];
    assert_eq!((u.origin.as_str(), u.count, u.reason), ("shuanghe", 13, UnservedReason::NoFeasibleRoute));
    assert_eq!(p.totals.workers_delivered, p.totals.workers - 13);
}

#[test]
fn closures_by_node_pair_and_unknown_specs() {
    let mut s = wuxi(&[]);
    let closed = close_roads(&mut s, &["n-pass~n-hongchi".to_string()]).unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!((closed[0].from.as_str(), closed[0].to.as_str(), closed[0].km), ("n-hongchi", "n-pass", 13.0));
    let before = s.clone();
    let err = close_roads(&mut s, &["X203".to_string(), "G99".to_string(), "a~b".to_string()]).unwrap_err();
    assert!(matches!(&err, RoadsError::NoMatch { unmatched, .. } if unmatched == &["G99", "a~b"]), "{err}");
    assert!(err.to_string().contains("X203"), "the hint lists the road names: {err}");
    assert_eq!(s, before, "nothing is closed when a spec matches nothing");
    let mut plain = parse_scenario(&read("wuxi.json")).unwrap();
    assert!(matches!(close_roads(&mut plain, &["X203".to_string()]), Err(RoadsError::NotRoads("great_circle"))));
}

#[test]
fn sites_far_from_every_road_are_refused() {
    let mut s = parse_scenario(&read("wuxi.json")).unwrap();
    let before = s.clone();
    let err = attach_sites(&mut s, wuxi_graph(), 0.6).unwrap_err();
    let text = err.to_string();
    for site in ["hongchi", "shuanghe", "wanzhou-zone", "jiulongpo-park"] {
        assert!(text.contains(&format!("  {site}: the nearest road node")), "{text}");
    }
    assert!(!text.contains("wuxi-chengxiang"), "{text}");
    assert_eq!(s, before);
    // Without positions, sites attach only to nodes named like them.
    let bare = graph_from_csv(&read("wuxi-edges.csv"), None).unwrap();
    assert!(bare.nodes.iter().all(|n| n.lat == 0.0 && n.lon == 0.0));
    let err = attach_sites(&mut s, bare, 5.0).unwrap_err();
    assert!(err.to_string().contains("give a nodes CSV"), "{err}");
}

/// The example's roads as an OSM-style GeoJSON extract, each section a line with a bend.
fn wuxi_extract() -> String {
    let g = wuxi_graph();
    let pos = |id: &str| g.nodes.iter().find(|n| n.id == id).map(|n| (n.lon, n.lat)).unwrap();
    let mut features = Vec::new();
    for e in &g.edges {
        let (a, b) = (pos(&e.from), pos(&e.to));
        let mid = (f64::midpoint(a.0, b.0) + 0.01, f64::midpoint(a.1, b.1));
        let mut f = String::new();
        let _ = write!(
            f,
            r#"{{"type":"Feature","properties":{{"highway":"primary","ref":"{}"}},"geometry":{{"type":"LineString","coordinates":[[{},{}],[{},{}],[{},{}]]}}}}"#,
            e.name.as_deref().unwrap_or(""),
            a.0,
            a.1,
            mid.0,
            mid.1,
            b.0,
            b.1
        );
        features.push(f);
    }
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
}

#[test]
fn a_geojson_extract_gives_the_same_network() {
    let g = graph_from_geojson(&wuxi_extract()).unwrap();
    assert_eq!(g.nodes.len(), 13, "bends are not nodes, junctions are");
    assert_eq!(g.edges.len(), 13);
    let mut s = parse_scenario(&read("wuxi.json")).unwrap();
    attach_sites(&mut s, g, 5.0).unwrap();
    close_roads(&mut s, &["X203".to_string()]).unwrap();
    let TravelModel::Roads { edges, .. } = &s.travel.model else { panic!() };
    assert_eq!(edges.iter().filter(|e| e.closed).count(), 2);
    let p = plan_and_check(&s);
    assert_eq!(p.totals.workers_unserved, 0);
}

#[test]
fn road_maps_follow_the_roads_and_show_closures() {
    let s = wuxi(&["X203"]);
    let p = plan_and_check(&s);
    let svg = busplan_io::map::plan_svg(&s, &p).unwrap();
    assert!(svg.contains("closed road"));
    assert!(svg.contains("#D73027") || svg.contains("#d73027"), "closed roads in red");
    let fc: geojson::FeatureCollection = busplan_io::geojson::plan_geojson(&s, &p).unwrap().parse().unwrap();
    let long = fc
        .features
        .iter()
        .filter(|f| f.property("kind").and_then(|k| k.as_str()) == Some("leg"))
        .filter(|f| f.property("to").and_then(|k| k.as_str()) == Some("jiulongpo-park"))
        .map(|f| match &f.geometry.as_ref().unwrap().value {
            geojson::Value::LineString(l) => l.len(),
            _ => 0,
        })
        .max()
        .unwrap();
    assert!(long >= 8, "the leg to Jiulongpo follows the roads ({long} points)");
}

/// A small random road graph with two origins and two destinations on its nodes.
fn random_scenario(nodes: usize, edges: &[(usize, usize, f64)], sites: &[usize; 4]) -> Scenario {
    let node = |i: usize| format!("n{i}");
    let json = serde_json::json!({
        "name": "random roads",
        "vehicle_types": [{"id": "bus", "seats": 40, "fixed_cost_yuan": 1000, "cost_per_km_yuan": 4}],
        "origins": [
            {"id": "o1", "lat": 30.0, "lon": 108.0, "workers": [{"to": "d1", "count": 5}]},
            {"id": "o2", "lat": 30.1, "lon": 108.1, "workers": [{"to": "d2", "count": 5}]}
        ],
        "destinations": [
            {"id": "d1", "lat": 30.2, "lon": 108.2, "deadline_min": 600},
            {"id": "d2", "lat": 30.3, "lon": 108.3, "deadline_min": 600}
        ],
        "travel": {"model": {
            "kind": "roads",
            "nodes": (0..nodes).map(|i| serde_json::json!({"id": node(i)})).collect::<Vec<_>>(),
            "edges": edges.iter().map(|&(a, b, km)| serde_json::json!({"from": node(a), "to": node(b), "km": km})).collect::<Vec<_>>(),
            "sites": {"o1": node(sites[0]), "o2": node(sites[1]), "d1": node(sites[2]), "d2": node(sites[3])}
        }}
    });
    serde_json::from_value(json).expect("a well-formed scenario")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn closing_a_road_never_shortens_a_journey(
        nodes in 3usize..8,
        raw in prop::collection::vec((0usize..8, 0usize..8, 1.0f64..100.0), 2..14),
        sites in [0usize..8, 0usize..8, 0usize..8, 0usize..8],
        pick in 0usize..14,
    ) {
        let edges: Vec<(usize, usize, f64)> = raw.into_iter().map(|(a, b, km)| (a % nodes, b % nodes, km)).filter(|e| e.0 != e.1).collect();
        prop_assume!(!edges.is_empty());
        let sites = sites.map(|x| x % nodes);
        let mut s = random_scenario(nodes, &edges, &sites);
        let before = TravelTable::new(&s).unwrap();
        let (a, b, _) = edges[pick % edges.len()];
        let closed = close_roads(&mut s, &[format!("n{a}~n{b}")]).unwrap();
        prop_assert!(!closed.is_empty());
        let after = TravelTable::new(&s).unwrap();
        let ids = ["o1", "o2", "d1", "d2"];
        for from in ids {
            for to in ids {
                match (before.km(from, to), after.km(from, to)) {
                    (Some(x), Some(y)) => prop_assert!(y + 1e-9 >= x, "{from}->{to}: {x} km before, {y} km after"),
                    (None, Some(y)) => prop_assert!(false, "{from}->{to}: unlinked before, {y} km after"),
                    _ => {}
                }
            }
        }
    }
}
