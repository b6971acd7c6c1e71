//! Integration tests of `busplan replan`: the report, the files it writes, `--json`, and exit
//! codes 0 (done), 1 (done with unserved workers) and 2 (error).
//!
//! Every test plans an example of `examples/disruption/` with the real binary first, in a
//! temporary folder of its own, then re-plans that plan.

mod common;
use common::TempDir;
use busplan_core::plan::Plan;
use busplan_core::replan::Changes;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn expect(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}", self.stdout, self.stderr);
        self
    }
    fn stdout_has(&self, text: &str) -> &Self {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}:\n{}", self.stdout);
        self
    }
    fn stderr_has(&self, text: &str) -> &Self {
        assert!(self.stderr.starts_with("error:") && self.stderr.contains(text), "stderr lacks {text:?}:\n{}", self.stderr);
        self
    }
}

fn busplan(args: &[&dyn AsRef<OsStr>]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_busplan")).args(args.iter().map(AsRef::as_ref)).output().expect("run busplan");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn disruption(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/disruption").join(name)
}

/// The plan published with the Wuxi example, after `busplan check` passes it. The tests
/// re-plan that file, so that which buses are cancelled does not depend on how the planner
/// would plan the scenario today.
fn plan(_dir: &TempDir, scenario: &Path) -> PathBuf {
    let published = disruption("wuxi-snow.plan.json");
    busplan(&[&"check", &scenario, &published]).expect(0);
    published
}

#[test]
fn snow_on_x203_reports_the_changes_and_writes_a_plan_that_checks() {
    let dir = TempDir::new("snow");
    let scenario = disruption("wuxi-snow.json");
    let old = plan(&dir, &scenario);
    let new = dir.join("new.plan.json");
    let updated = dir.join("updated.json");
    busplan(&[&"replan", &scenario, &old, &"--now", &"0:15", &"--closed", &"X203", &"-o", &new, &"--scenario-out", &updated])
        .expect(0)
        .stdout_has("re-planned at 0:15 (15 min from the plan start)")
        .stdout_has("closed: X203 (n-hongchi ~ n-pass)")
        .stdout_has("cancelled: BUS-006, BUS-008")
        .stdout_has("had left (kept whatever happens): BUS-009")
        .stdout_has("shifted BUS-007")
        .stdout_has("new BUS-010")
        .stdout_has(&format!("new plan written to {}", new.display()));
    // The new plan passes the checker against the updated scenario (X203 closed there) ...
    busplan(&[&"check", &updated, &new]).expect(0).stdout_has("plan passes every check");
    // ... but not against the old one, where its detours are too long for the open road.
    assert_ne!(busplan(&[&"check", &scenario, &new]).code, 0);
    let p: Plan = serde_json::from_str(&std::fs::read_to_string(&new).unwrap()).unwrap();
    assert!(p.vehicles.iter().any(|v| v.id == "BUS-009"));
}

#[test]
fn json_prints_the_changes() {
    let dir = TempDir::new("json");
    let scenario = disruption("wuxi-snow.json");
    let old = plan(&dir, &scenario);
    let run = busplan(&[&"replan", &scenario, &old, &"--now", &"15", &"--closed", &"X203", &"--json"]);
    run.expect(0);
    let c: Changes = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(c.now_min, 15);
    assert_eq!(c.cancelled, ["BUS-006", "BUS-008"]);
    assert_eq!(c.departed, ["BUS-009"]);
    assert!(c.workers_replanned > 0);
}

#[test]
fn nothing_happened_changes_nothing() {
    let dir = TempDir::new("nothing");
    let scenario = disruption("wuxi-snow.json");
    let old = plan(&dir, &scenario);
    let new = dir.join("new.plan.json");
    busplan(&[&"replan", &scenario, &old, &"-o", &new])
        .expect(0)
        .stdout_has("9 kept as they were, 0 kept with new times, 0 cancelled, 0 new")
        .stdout_has("workers: 0 changed bus, 0 newly requested");
    let a: Plan = serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    let b: Plan = serde_json::from_str(&std::fs::read_to_string(&new).unwrap()).unwrap();
    assert_eq!(a.vehicles, b.vehicles);
}

#[test]
fn requests_beyond_the_fleet_exit_1_and_are_reported() {
    let dir = TempDir::new("requests");
    let scenario = disruption("wuxi-snow.json");
    let old = plan(&dir, &scenario);
    let requests = dir.join("requests.json");
    std::fs::write(&requests, r#"{"workers": [{"from": "tianyuan", "to": "yubei", "count": 300}]}"#).unwrap();
    busplan(&[&"replan", &scenario, &old, &"--add-requests", &requests])
        .expect(1)
        .stdout_has("300 newly requested")
        .stdout_has("WARNING");
}

#[test]
fn errors_exit_2_and_say_why() {
    let dir = TempDir::new("errors");
    let scenario = disruption("wuxi-snow.json");
    let old = plan(&dir, &scenario);
    busplan(&[&"replan", &scenario, &old, &"--closed", &"G99"]).expect(2).stderr_has("known road names: G42, G50, S201, S301, X203, X204, X205");
    busplan(&[&"replan", &scenario, &old, &"--now", &"quarter past"]).expect(2).stderr_has("hours:minutes");
    busplan(&[&"replan", &scenario, &old, &"--now", &"0:45", &"--closed", &"X203"]).expect(2).stderr_has("already left");
    let requests = dir.join("bad.json");
    std::fs::write(&requests, r#"{"workers": [{"from": "tianyuan", "to": "yubei", "count": 3, "colour": "red"}]}"#).unwrap();
    busplan(&[&"replan", &scenario, &old, &"--add-requests", &requests]).expect(2).stderr_has("colour");
}
