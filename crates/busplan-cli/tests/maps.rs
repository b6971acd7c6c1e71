//! The `geojson`, `map`, `heatmap` and `roads` commands of the real binary: files written,
//! exit codes, and messages for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("busplan-maps-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn busplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_busplan")).args(args).current_dir(root()).output().expect("the binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn show(o: &Output) -> String {
    format!("exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}", code(o), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn geojson_map_and_heatmap_of_a_planned_example() {
    let dir = scratch("chaoyang");
    let plan = dir.join("plan.json");
    let o = busplan(&["plan", "examples/chaoyang-dalian.json", "-o", s(&plan)]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let gj = dir.join("plan.geojson");
    let o = busplan(&["geojson", "examples/chaoyang-dalian.json", s(&plan), "-o", s(&gj)]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let fc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&gj).unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert!(fc["features"].as_array().unwrap().len() > 20);
    for (cmd, out) in [("map", dir.join("map.svg")), ("heatmap", dir.join("heat.svg"))] {
        let mut args = vec![cmd, "examples/chaoyang-dalian.json"];
        if cmd == "map" {
            args.push(s(&plan));
        }
        args.extend(["-o", s(&out)]);
        let o = busplan(&args);
        assert_eq!(code(&o), 0, "{}", show(&o));
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{cmd}");
        assert!(svg.contains("ganjingzi"), "{cmd}");
    }
    // Without -o the SVG goes to standard output.
    let o = busplan(&["heatmap", "examples/chaoyang-dalian.json"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("<svg"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_plan_of_another_scenario_is_an_error() {
    let dir = scratch("mismatch");
    let plan = dir.join("plan.json");
    assert_eq!(code(&busplan(&["plan", "examples/zhuanghe-train.json", "-o", s(&plan)])), 0);
    let o = busplan(&["map", "examples/chaoyang-dalian.json", s(&plan), "-o", s(&dir.join("m.svg"))]);
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error: "), "{}", show(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn roads_from_csv_with_snow_closures() {
    let dir = scratch("roads");
    let out = dir.join("wuxi-snow.json");
    let base = [
        "roads",
        "examples/roads/wuxi.json",
        "--edges",
        "examples/roads/wuxi-edges.csv",
        "--nodes",
        "examples/roads/wuxi-nodes.csv",
    ];
    let mut args = base.to_vec();
    args.extend(["--closed", "X203", "-o", s(&out)]);
    let o = busplan(&args);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("site hongchi -> road node n-hongchi (0.73 km)"), "{}", show(&o));
    assert!(text.contains("closed X203 n-hongchi ~ n-pass (13 km)"), "{}", show(&o));
    let o = busplan(&["plan", s(&out)]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    // The only road to Shuanghe closed: written, but exit 1 with a warning, and the plan
    // leaves those workers unserved.
    let mut args = base.to_vec();
    args.extend(["--closed", "X215", "-o", s(&out)]);
    let o = busplan(&args);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no open road from shuanghe to yubei-park (13 workers)"));
    let o = busplan(&["plan", s(&out)]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    // A row of the unserved table: count | from | to | accessible | reason.
    let stdout = String::from_utf8_lossy(&o.stdout);
    let unserved_row = |l: &str| l.split('|').map(str::trim).take(3).eq(["13", "shuanghe", "yubei-park"]);
    assert!(stdout.lines().any(unserved_row), "{}", show(&o));
    // Closing more roads on a scenario that already has them.
    let o = busplan(&["roads", s(&out), "--closed", "n-wuxi~n-wushan"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn roads_errors_name_the_problem() {
    let dir = scratch("roads-errors");
    let edges = dir.join("edges.csv");
    std::fs::write(&edges, "from,to,km\nn-wuxi,n-pass,24\nn-pass,n-hongchi,lots\n").unwrap();
    let o = busplan(&["roads", "examples/roads/wuxi.json", "--edges", s(&edges), "--nodes", "examples/roads/wuxi-nodes.csv"]);
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("3: km \"lots\" is not a number"), "{}", show(&o));
    let o = busplan(&[
        "roads",
        "examples/roads/wuxi.json",
        "--edges",
        "examples/roads/wuxi-edges.csv",
        "--nodes",
        "examples/roads/wuxi-nodes.csv",
        "--closed",
        "G99",
    ]);
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no road section matches \"G99\""), "{}", show(&o));
    let o = busplan(&["roads", "examples/roads/wuxi.json", "--edges", "examples/roads/wuxi-edges.csv", "--nodes", "examples/roads/wuxi-nodes.csv", "--max-snap-km", "0.5"]);
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("more than the limit of 0.5 km"), "{}", show(&o));
    let o = busplan(&["roads", "examples/roads/wuxi.json"]);
    assert_eq!(code(&o), 2, "{}", show(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
