//! The Chaoyang chain through the real binary: `busplan import` -> `busplan plan` ->
//! `busplan manifest`, in a temporary folder of its own.

mod common;
use common::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/chaoyang")
}

fn busplan(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, String, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_busplan")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn chaoyang_import_plan_manifest() {
    let dir = TempDir::new("chain");
    let e = examples();
    let (scenario, assignments) = (dir.join("chaoyang.json"), dir.join("assignments.csv"));
    let (code, out, err) = busplan(&[
        &"import",
        &"--workers",
        &e.join("workers.csv"),
        &"--shortages",
        &e.join("shortages.csv"),
        &"--sites",
        &e.join("sites.csv"),
        &"--template",
        &e.join("template.json"),
        &"--k",
        &"5",
        &"-o",
        &scenario,
        &"--assignments",
        &assignments,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("630 workers, 5 departure points (of 11 sites"), "{out}");
    assert_eq!(std::fs::read_to_string(&assignments).unwrap().lines().count(), 631);

    let plan = dir.join("chaoyang.plan.json");
    let (code, out, err) = busplan(&[&"plan", &scenario, &"-o", &plan]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("630 of 630 workers delivered"), "{out}");

    let (csv, html, txt) = (dir.join("manifest.csv"), dir.join("sheets.html"), dir.join("sheets.txt"));
    let (code, out, err) =
        busplan(&[&"manifest", &scenario, &plan, &"--roster", &assignments, &"-o", &csv, &"--sheets", &html, &"--text", &txt]);
    assert_eq!(code, 0, "{out}\n{err}");
    let p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let buses = p["vehicles"].as_array().unwrap().len();
    assert!(out.contains(&format!("630 workers on {buses} buses")), "{out}");
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv.lines().count(), 631);
    assert!(csv.lines().skip(1).all(|l| l.contains(",BUS-")), "every worker rides");
    let html = std::fs::read_to_string(&html).unwrap();
    assert_eq!(html.matches("<section class=\"sheet\">").count(), buses);
    let first = csv.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert!(html.contains(first), "the sheets name {first}");
    assert!(std::fs::read_to_string(&txt).unwrap().contains(first));

    // Without a roster: synthetic ids.
    let plain = dir.join("plain.csv");
    let (code, out, err) = busplan(&[&"manifest", &scenario, &plan, &"-o", &plain]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(std::fs::read_to_string(&plain).unwrap().contains("\nchaoyang-city/changxing-island/001,"));
}

#[test]
fn bad_rows_fail_the_import_with_every_line() {
    let dir = TempDir::new("bad");
    let e = examples();
    let mut workers = std::fs::read_to_string(e.join("workers.csv")).unwrap();
    workers = workers.replacen(",41.6561,120.4667,", ",141.6561,120.4667,", 1); // line 2
    workers.push_str("CY0001,重复,某村,41.5,120.4,大连泰和精密机械有限公司,ganjingzi,\n"); // line 632
    let path = dir.join("workers.csv");
    std::fs::write(&path, workers).unwrap();
    let scenario = dir.join("s.json");
    let args: [&dyn AsRef<std::ffi::OsStr>; 11] = [
        &"import",
        &"--workers",
        &path,
        &"--shortages",
        &e.join("shortages.csv"),
        &"--sites",
        &e.join("sites.csv"),
        &"--template",
        &e.join("template.json"),
        &"-o",
        &scenario,
    ];
    let (code, out, err) = busplan(&args);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(&format!("{}:2: latitude 141.6561 is out of range", path.display())), "{err}");
    assert!(err.contains(&format!("{}:632: duplicate worker id CY0001 (first on line 2)", path.display())), "{err}");
    // The employer of line 2 is now one short.
    assert!(err.contains("is short 38 workers but 37 are registered"), "{err}");
    assert!(!scenario.exists(), "nothing is written");

    // Left out instead: listed on stderr, the rest imported.
    let mut lenient: Vec<&dyn AsRef<std::ffi::OsStr>> = args.to_vec();
    lenient.push(&"--exclude-bad-rows");
    let (code, out, err) = busplan(&lenient);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("excluded: ") && err.contains(":632: duplicate worker id"), "{err}");
    assert!(err.contains("warning: ") && err.contains("but 37 are registered"), "{err}");
    assert!(out.contains("629 workers") && out.contains("2 bad rows left out"), "{out}");
}

#[test]
fn manifest_refuses_a_plan_that_fails_its_check() {
    let dir = TempDir::new("broken");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tests/golden/chaoyang-dalian.plan.json")).unwrap()).unwrap();
    p["vehicles"][0]["legs"][0]["passengers"][0]["count"] = serde_json::json!(1000);
    let plan = dir.join("broken.plan.json");
    std::fs::write(&plan, serde_json::to_string(&p).unwrap()).unwrap();
    let (code, out, err) = busplan(&[&"manifest", &root.join("examples/chaoyang-dalian.json"), &plan, &"-o", &dir.join("m.csv")]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("does not pass its check"), "{err}");
    assert!(!dir.join("m.csv").exists());
}
