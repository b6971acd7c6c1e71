//! What `busplan` prints: `--json`, `--quiet`, the summary tables, and a reader that closes
//! standard output early. Every test runs the real binary.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(format!("{name}.json"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("busplan-output-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("cannot create a scratch folder");
    dir
}

fn busplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_busplan")).args(args).output().expect("cannot run busplan")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn text(p: &Path) -> &str {
    p.to_str().expect("paths of the tests are UTF-8")
}

#[test]
fn json_summary_is_one_document_with_the_plan_figures() {
    let dir = scratch("json");
    let out = dir.join("plan.json");
    let o = busplan(&["plan", text(&example("chaoyang-dalian")), "--json", "-o", text(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(o.stderr.is_empty(), "--json prints nothing on stderr\n{}", show(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("stdout is not one JSON document: {e}\n{}", show(&o)));
    for key in [
        "scenario",
        "status",
        "cost",
        "lower_bound",
        "gap",
        "strategy",
        "backend",
        "seed",
        "seconds",
        "workers",
        "delivered",
        "unserved_workers",
        "buses",
        "buses_by_type",
        "bus_km",
        "seat_utilisation",
        "transfers",
        "cost_per_worker",
        "individual_fares",
        "direct_only_cost",
        "saving_vs_direct",
        "cost_breakdown",
        "services",
        "unserved",
        "output",
    ] {
        assert!(doc.get(key).is_some(), "the JSON summary lacks {key:?}\n{doc:#}");
    }
    assert_eq!(doc["scenario"], "chaoyang-dalian-2021-03-01");
    assert_eq!(doc["workers"], 630);
    assert_eq!(doc["delivered"], 630);
    assert_eq!(doc["unserved_workers"], 0);
    assert_eq!(doc["unserved"], Value::Array(vec![]));
    assert_eq!(doc["strategy"], "fast");
    assert_eq!(doc["backend"], "microlp");
    assert_eq!(doc["output"], text(&out));

    // The figures are the plan's.
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("the plan is written")).expect("the plan is JSON");
    let t = &plan["totals"];
    assert_eq!(doc["status"], plan["status"]);
    assert_eq!(doc["cost"], t["cost"]);
    assert_eq!(doc["lower_bound"], plan["lower_bound"]);
    assert_eq!(doc["gap"], plan["gap"]);
    assert_eq!(doc["buses"], t["buses"]);
    assert_eq!(doc["buses_by_type"], t["buses_by_type"]);
    assert_eq!(doc["cost_breakdown"], t["cost_breakdown"]);
    assert_eq!(doc["saving_vs_direct"], t["saving_vs_direct"]);
    let by_type: u64 = doc["buses_by_type"].as_object().expect("buses_by_type is an object").values().filter_map(Value::as_u64).sum();
    assert_eq!(Some(by_type), doc["buses"].as_u64());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn json_summary_lists_services_and_unserved_groups() {
    let o = busplan(&["plan", text(&example("zhuanghe-train")), "--json", "--no-direct"]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}\n{}", show(&o)));
    let services = doc["services"].as_array().expect("services is an array");
    assert!(!services.is_empty(), "the train example uses its train\n{doc:#}");
    let carried: u64 = services.iter().filter_map(|s| s["workers"].as_u64()).sum();
    assert!(carried > 0, "{doc:#}");
    assert_eq!(doc["direct_only_cost"], Value::Null, "--no-direct plans no baseline");
    assert_eq!(doc["output"], Value::Null);
}

#[test]
fn quiet_prints_nothing_but_still_writes_the_plan() {
    let dir = scratch("quiet");
    let out = dir.join("plan.json");
    for args in [
        vec!["plan", text(&example("chaoyang-dalian")), "--quiet", "-o", text(&out)],
        vec!["-q", "plan", text(&example("chaoyang-dalian")), "--buses", "-o", text(&out)],
        vec!["plan", text(&example("chaoyang-dalian")), "-q", "--json"],
        vec!["validate", text(&example("chaoyang-dalian")), "-q"],
        vec!["check", text(&example("chaoyang-dalian")), text(&out), "--quiet"],
        vec!["gen", "--tier", "county", "-o", text(&dir.join("county.json")), "-q"],
    ] {
        let o = busplan(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}\n{}", show(&o));
        assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{args:?} is not quiet\n{}", show(&o));
        assert!(out.is_file(), "the plan is written under --quiet");
    }
    // Errors are still printed, with the usual code.
    let o = busplan(&["plan", text(&dir.join("no-such-scenario.json")), "--quiet"]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error:"), "{}", show(&o));
    std::fs::remove_dir_all(&dir).ok();
}

/// The cells of the table row of stdout whose first cell is `first`.
fn row<'a>(stdout: &'a str, first: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .filter(|l| l.contains(" | "))
        .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>())
        .find(|r| r[0] == first)
        .unwrap_or_else(|| panic!("no row {first:?} in\n{stdout}"))
}

fn yuan(x: f64) -> String {
    let digits = (x.round() as i64).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn tables_show_the_key_figures() {
    let o = busplan(&["plan", text(&example("chaoyang-dalian")), "--json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}\n{}", show(&o)));
    let o = busplan(&["plan", text(&example("chaoyang-dalian")), "--buses"]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.stderr.is_empty(), "no progress bar when stderr is no terminal\n{}", show(&o));
    assert!(out.starts_with("chaoyang-dalian-2021-03-01: 630 of 630 workers delivered\n"), "{out}");
    let f = |k: &str| doc[k].as_f64().unwrap_or_else(|| panic!("{k} is no number"));
    assert_eq!(row(&out, "cost, yuan")[1], yuan(f("cost")));
    assert_eq!(row(&out, "lower bound, yuan")[1], yuan(f("lower_bound")));
    assert_eq!(row(&out, "gap")[1], format!("{:.2} %", f("gap") * 100.0));
    assert_eq!(row(&out, "buses")[1], doc["buses"].to_string());
    assert_eq!(row(&out, "worker changes")[1], doc["transfers"].to_string());
    assert_eq!(row(&out, "saving, yuan")[1], yuan(f("saving_vs_direct")));
    assert_eq!(row(&out, "total")[1], yuan(f("cost")), "the cost breakdown ends with the total");
    for (kind, n) in doc["buses_by_type"].as_object().expect("buses_by_type") {
        assert_eq!(row(&out, kind)[1], n.to_string(), "buses of type {kind}");
    }
    // One row per bus: id, type, escort, legs.
    let first = row(&out, "BUS-001");
    assert!(first.len() >= 4, "{first:?}");
    assert!(first[2].starts_with("ESC-") && first[3].contains(" -> "), "{first:?}");
    let bus_rows = out.lines().filter(|l| l.starts_with("BUS-")).count();
    assert_eq!(Some(bus_rows as u64), doc["buses"].as_u64());
    assert!(!out.contains('\u{1b}'), "no escape codes when stdout is no terminal");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    // Both outputs are longer than a pipe's buffer (64 KiB) and the read below (8 KiB), so the
    // writes after the reader has gone fail.
    let dir = scratch("pipe");
    let city = dir.join("city.json");
    let o = busplan(&["gen", "--tier", "city", "-o", text(&city)]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    for args in [
        vec!["plan", text(&city), "--buses", "--no-direct", "--time-limit", "10"],
        vec!["gen", "--tier", "province", "--workers", "100000"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_busplan"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot run busplan");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        reader.read_line(&mut line).expect("cannot read the first line");
        assert!(!line.is_empty(), "{args:?} printed nothing");
        drop(reader);
        let o = child.wait_with_output().expect("cannot wait for busplan");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked on a closed stdout\n{stderr}");
        assert!(stderr.is_empty(), "{args:?} complains of a closed stdout\n{stderr}");
        assert_eq!(o.status.code(), Some(0), "{args:?} exit status on a closed stdout\n{stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
