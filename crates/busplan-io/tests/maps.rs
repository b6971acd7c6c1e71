//! GeoJSON and SVG pictures of every example scenario and its plan: the GeoJSON parses back
//! with one line per leg and positions in `[lon, lat]`; the SVG is well-formed XML, not blank,
//! and carries the labels a reader needs.

use busplan_core::plan::Plan;
use busplan_core::{check, parse_scenario, plan, Options, Scenario};
use busplan_io::geojson::plan_geojson;
use busplan_io::map::{heat_svg, plan_svg, MapError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Every `examples/*.json` with its plan (default options), checked.
fn examples() -> &'static Vec<(String, Scenario, Plan)> {
    static CELL: OnceLock<Vec<(String, Scenario, Plan)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("examples folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "no examples in {}", dir.display());
        paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).expect("readable example");
                let s = parse_scenario(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let p = plan(&s, &Options::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let report = check(&s, &p);
                assert!(report.is_ok(), "{}: plan fails its check:\n{report}", path.display());
                (path.file_stem().unwrap().to_string_lossy().into_owned(), s, p)
            })
            .collect()
    })
}

fn sites(s: &Scenario) -> BTreeMap<&str, (f64, f64)> {
    s.sites().map(|(id, lat, lon)| (id, (lat, lon))).collect()
}

fn delivered(p: &Plan) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for v in &p.vehicles {
        for leg in &v.legs {
            for x in leg.passengers.iter().filter(|x| x.destination == leg.to) {
                *out.entry(leg.to.clone()).or_default() += u64::from(x.count);
            }
        }
    }
    out
}

fn prop<'a>(f: &'a geojson::Feature, key: &str) -> &'a serde_json::Value {
    f.property(key).unwrap_or_else(|| panic!("feature {:?} lacks {key}", f.id))
}

#[test]
fn geojson_has_a_point_per_site_and_a_line_per_leg() {
    for (name, s, p) in examples() {
        let text = plan_geojson(s, p).unwrap();
        let _: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        let gj: geojson::GeoJson = text.parse().unwrap_or_else(|e| panic!("{name}: not GeoJSON: {e}"));
        let geojson::GeoJson::FeatureCollection(fc) = gj else { panic!("{name}: not a FeatureCollection") };
        let kinds = |k: &str| fc.features.iter().filter(|f| prop(f, "kind") == k).collect::<Vec<_>>();
        assert_eq!(kinds("origin").len(), s.origins.len(), "{name}");
        assert_eq!(kinds("hub").len(), s.hubs.len(), "{name}");
        assert_eq!(kinds("destination").len(), s.destinations.len(), "{name}");
        let legs: usize = p.vehicles.iter().map(|v| v.legs.len()).sum();
        assert_eq!(kinds("leg").len(), legs, "{name}: one line per leg");
        assert_eq!(kinds("service").len(), p.services.len(), "{name}");
        assert_eq!(fc.features.len(), s.origins.len() + s.hubs.len() + s.destinations.len() + legs + p.services.len());
        let pos = sites(s);
        let near = |c: &[f64], site: &str| {
            let (lat, lon) = pos[site];
            (c[0] - lon).abs() < 1e-6 && (c[1] - lat).abs() < 1e-6
        };
        for f in &fc.features {
            match &f.geometry.as_ref().expect("geometry").value {
                geojson::Value::Point(c) => {
                    let id = prop(f, "id").as_str().unwrap();
                    assert!(near(c, id), "{name}: {id:?} at {c:?} is not [lon, lat]");
                }
                geojson::Value::LineString(line) => {
                    assert!(line.len() >= 2);
                    for c in line {
                        assert!((-180.0..=180.0).contains(&c[0]) && (-90.0..=90.0).contains(&c[1]), "{name}: {c:?}");
                    }
                    let (from, to) = (prop(f, "from").as_str().unwrap(), prop(f, "to").as_str().unwrap());
                    assert!(near(&line[0], from) && near(&line[line.len() - 1], to), "{name}: {:?}", f.id);
                    let colour = prop(f, "stroke").as_str().unwrap();
                    assert!(colour.len() == 7 && colour.starts_with('#'), "{colour}");
                    assert_eq!(prop(f, "color"), prop(f, "stroke"));
                    let depart = prop(f, "depart").as_str().unwrap();
                    let min = prop(f, "depart_min").as_u64().unwrap();
                    assert_eq!(depart, format!("{:02}:{:02}", min / 60, min % 60));
                }
                other => panic!("{name}: unexpected geometry {other:?}"),
            }
        }
        // Workers dropped at the drop points are the plan's deliveries.
        let dropped: u64 = kinds("destination").iter().map(|f| prop(f, "workers_dropped").as_u64().unwrap()).sum();
        assert_eq!(dropped, p.totals.workers_delivered, "{name}");
        let on_board: u64 = kinds("leg").iter().map(|f| prop(f, "passengers").as_u64().unwrap()).sum();
        let in_plan: u64 = p.vehicles.iter().flat_map(|v| &v.legs).flat_map(|l| &l.passengers).map(|x| u64::from(x.count)).sum();
        assert_eq!(on_board, in_plan, "{name}");
        // Same plan, same text.
        assert_eq!(text, plan_geojson(s, p).unwrap(), "{name}: not deterministic");
    }
}

#[test]
fn geojson_positions_are_lon_lat() {
    let (_, s, p) = examples().iter().find(|(n, ..)| n == "chaoyang-dalian").expect("the Chaoyang example");
    let fc: geojson::FeatureCollection = plan_geojson(s, p).unwrap().parse().unwrap();
    let origin = fc.features.iter().find(|f| prop(f, "kind") == "origin").unwrap();
    let geojson::Value::Point(c) = &origin.geometry.as_ref().unwrap().value else { panic!() };
    // Chaoyang lies near lon 120, lat 41.
    assert!((119.0..122.0).contains(&c[0]) && (40.5..42.5).contains(&c[1]), "{c:?}");
}

/// Well-formed SVG: the document, its size, and every element's colours.
struct Svg {
    width: f64,
    height: f64,
    drawn: usize,
    colours: BTreeSet<String>,
    texts: Vec<String>,
}

fn parse_svg(name: &str, svg: &str) -> Svg {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{name}: not XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{name}");
    let view: Vec<f64> = root.attribute("viewBox").expect("viewBox").split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(view.len(), 4, "{name}");
    let width: f64 = root.attribute("width").expect("width").parse().unwrap();
    let height: f64 = root.attribute("height").expect("height").parse().unwrap();
    assert!(view[2] > 0.0 && view[3] > 0.0 && (view[2] - width).abs() < 1e-9 && (view[3] - height).abs() < 1e-9);
    let mut drawn = 0;
    let mut colours = BTreeSet::new();
    let mut texts = Vec::new();
    for n in doc.descendants().filter(roxmltree::Node::is_element) {
        match n.tag_name().name() {
            "polyline" | "line" | "circle" | "rect" | "polygon" | "path" => drawn += 1,
            "text" => texts.push(n.text().unwrap_or_default().trim().to_string()),
            _ => {}
        }
        for a in ["fill", "stroke"] {
            if let Some(c) = n.attribute(a) {
                let c = c.to_uppercase();
                if c != "NONE" && c != "#FFFFFF" {
                    colours.insert(c);
                }
            }
        }
    }
    Svg { width, height, drawn, colours, texts }
}

#[test]
fn plan_maps_are_well_formed_and_labelled() {
    for (name, s, p) in examples() {
        let svg = plan_svg(s, p).unwrap();
        let doc = parse_svg(name, &svg);
        assert!(doc.width >= 600.0 && doc.height >= 400.0, "{name}: {}x{}", doc.width, doc.height);
        assert!(doc.drawn >= 30, "{name}: only {} drawn elements", doc.drawn);
        assert!(doc.colours.len() >= 5, "{name}: colours {:?}", doc.colours);
        assert!(doc.texts.iter().any(|t| t.contains(&s.name)), "{name}: no title");
        let counts = delivered(p);
        for d in &s.destinations {
            let label = format!("{} ({})", d.id, counts.get(&d.id).copied().unwrap_or(0));
            assert!(doc.texts.iter().any(|t| t.starts_with(&label)), "{name}: no label {label:?} in {:?}", doc.texts);
        }
        for vt in p.totals.buses_by_type.keys() {
            assert!(doc.texts.iter().any(|t| t.starts_with(&format!("{vt}: "))), "{name}: legend lacks {vt}");
        }
        for svc in &p.services {
            assert!(doc.texts.iter().any(|t| t.starts_with(&svc.id)), "{name}: no label for {}", svc.id);
        }
        assert_eq!(svg, plan_svg(s, p).unwrap(), "{name}: not deterministic");
    }
}

#[test]
fn heat_maps_are_well_formed_and_coloured() {
    for (name, s, _) in examples() {
        let svg = heat_svg(s).unwrap();
        let doc = parse_svg(name, &svg);
        // Many grid cells, both ends of the diverging scale.
        assert!(doc.drawn >= 300, "{name}: only {} drawn elements", doc.drawn);
        assert!(doc.colours.len() >= 20, "{name}: {} colours", doc.colours.len());
        let rgb = |c: &str| (1..7).step_by(2).map(|i| i64::from_str_radix(&c[i..i + 2], 16).unwrap_or(0)).collect::<Vec<_>>();
        let close = |c: &String, to: [i64; 3]| c.len() == 7 && rgb(c).iter().zip(to).all(|(a, b)| (a - b).abs() <= 24);
        assert!(doc.colours.iter().any(|c| close(c, [0xb2, 0x18, 0x2b])), "{name}: no deep red (short)");
        assert!(doc.colours.iter().any(|c| close(c, [0x21, 0x66, 0xac])), "{name}: no deep blue (to spare)");
        for o in &s.origins {
            let n: u32 = o.workers.iter().map(|w| w.count).sum();
            let label = format!("{} +{n}", o.id);
            assert!(doc.texts.contains(&label), "{name}: no label {label:?}");
        }
        for d in &s.destinations {
            let n: u32 = s.origins.iter().flat_map(|o| &o.workers).filter(|w| w.to == d.id).map(|w| w.count).sum();
            let label = format!("{} -{n}", d.id);
            assert!(doc.texts.contains(&label), "{name}: no label {label:?}");
        }
    }
}

#[test]
fn a_plan_of_another_scenario_is_refused() {
    let all = examples();
    let (a, b) = (&all[0], &all[1]);
    assert!(matches!(plan_svg(&b.1, &a.2), Err(MapError::UnknownSite(_))));
    assert!(plan_geojson(&b.1, &a.2).is_err());
}
