//! Integration tests of the `busplan` binary: exit codes, stdout and stderr, and the plan
//! files it writes.
//!
//! Every test runs the real binary (`CARGO_BIN_EXE_busplan`) on the example scenarios of the
//! workspace or on small scenarios written into a temporary folder of its own.

mod common;
use common::TempDir;
use busplan_core::plan::{Plan, Status};
use serde_json::Value;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What one run of the binary did.
struct Run {
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`busplan {}` exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

impl Run {
    /// Asserts the exit code, showing the whole run when it differs.
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n{self}");
        self
    }

    /// Asserts that stdout contains `text`.
    fn stdout_has(&self, text: &str) -> &Self {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}\n{self}");
        self
    }

    /// The rows of the summary tables: every line with cells between `|`, cells trimmed.
    fn table_rows(&self) -> Vec<Vec<&str>> {
        self.stdout.lines().filter(|l| l.contains(" | ")).map(|l| l.split('|').map(str::trim).collect()).collect()
    }

    /// The first table row whose first cell is `first`.
    fn row(&self, first: &str) -> Vec<&str> {
        self.table_rows()
            .into_iter()
            .find(|r| r[0] == first)
            .unwrap_or_else(|| panic!("no table row starts with {first:?}\n{self}"))
    }

    /// Asserts that stderr contains `text`.
    fn stderr_has(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}\n{self}");
        self
    }

    /// Asserts that stderr starts with `error:` (the binary's failure convention).
    fn stderr_is_error(&self) -> &Self {
        assert!(self.stderr.starts_with("error:"), "stderr does not start with \"error:\"\n{self}");
        self
    }
}

/// Runs the binary with `args` and collects its exit code and output.
fn busplan(args: &[&dyn AsRef<OsStr>]) -> Run {
    let args: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_busplan"))
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", env!("CARGO_BIN_EXE_busplan")));
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("`busplan {}` was killed by a signal: {:?}", args.join(" "), out.status));
    Run {
        args,
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An example scenario of the workspace (`examples/NAME.json`).
fn example(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(format!("{name}.json"));
    assert!(path.is_file(), "example scenario {} is missing", path.display());
    path
}

/// Number of workers in a scenario file, through the library's public parser.
fn workers_in(scenario: &Path) -> u64 {
    let text = std::fs::read_to_string(scenario).unwrap_or_else(|e| panic!("cannot read {}: {e}", scenario.display()));
    busplan_core::parse_scenario(&text)
        .unwrap_or_else(|e| panic!("scenario {} does not parse: {e}", scenario.display()))
        .total_workers()
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn read_plan(path: &Path) -> Plan {
    serde_json::from_str(&read_text(path)).unwrap_or_else(|e| panic!("{} is not a busplan plan: {e}", path.display()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read_text(path)).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn write_json(path: &Path, value: &Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| panic!("cannot serialise JSON: {e}"));
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Plans `scenario` into `dir/plan.json` with `extra` options, expects exit 0 and every worker
/// delivered, and returns the plan path and the run.
fn plan_ok(dir: &TempDir, scenario: &Path, extra: &[&str]) -> (PathBuf, Run) {
    let out = dir.join("plan.json");
    let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"plan", &scenario, &"-o", &out];
    for a in extra {
        args.push(a);
    }
    let run = busplan(&args);
    let n = workers_in(scenario);
    run.expect_code(0)
        .stdout_has(&format!("{n} of {n} workers delivered"))
        .stdout_has(&format!("plan written to {}", out.display()));
    assert!(out.is_file(), "no plan written to {}\n{run}", out.display());
    (out, run)
}

/// `busplan check` on `scenario` and `plan`, expecting a pass.
fn check_passes(scenario: &Path, plan: &Path) {
    busplan(&[&"check", &scenario, &plan]).expect_code(0).stdout_has("plan passes every check");
}

/// `busplan check` on `scenario` and `plan`, expecting a failure that names `code`.
fn check_fails_with(scenario: &Path, plan: &Path, code: &str) {
    let run = busplan(&[&"check", &scenario, &plan]);
    run.expect_code(1).stdout_has(code);
    assert!(!run.stdout.contains("plan passes every check"), "a broken plan passes\n{run}");
    assert!(
        run.stdout.lines().any(|l| l.starts_with(&format!("{code} "))),
        "no report line starts with {code}\n{run}"
    );
}

/// Basic sanity of a plan that delivers everyone.
fn assert_complete_plan(p: &Plan, workers: u64, strategy: &str) {
    let t = &p.totals;
    assert_eq!(t.workers, workers, "totals.workers");
    assert_eq!(t.workers_delivered, workers, "totals.workers_delivered");
    assert_eq!(t.workers_unserved, 0, "totals.workers_unserved");
    assert!(p.unserved.is_empty(), "unserved: {:?}", p.unserved);
    assert!(!p.vehicles.is_empty(), "no vehicles");
    assert_eq!(t.buses as usize, p.vehicles.len(), "totals.buses vs vehicles");
    assert_eq!(p.strategy, strategy);
    assert_eq!(p.backend, "microlp");
    assert!(matches!(p.status, Status::Optimal | Status::Feasible | Status::TimeLimit));
    assert!(t.cost > 0.0, "cost {}", t.cost);
    assert!(p.lower_bound > 0.0, "lower bound {}", p.lower_bound);
    assert!(p.lower_bound <= t.cost * (1.0 + 1e-9), "lower bound {} above cost {}", p.lower_bound, t.cost);
    assert!((0.0..1.0).contains(&p.gap), "gap {}", p.gap);
    let gap = (t.cost - p.lower_bound) / t.cost;
    assert!((p.gap - gap).abs() < 1e-6, "gap {} but (cost - bound) / cost = {gap}", p.gap);
    for v in &p.vehicles {
        assert!(matches!(v.legs.len(), 1 | 2), "{} has {} legs", v.id, v.legs.len());
    }
}

// ---------------------------------------------------------------------------------------------
// plan + check on the examples
// ---------------------------------------------------------------------------------------------

#[test]
fn chaoyang_plans_writes_a_plan_and_the_plan_checks() {
    let dir = TempDir::new("chaoyang");
    let scenario = example("chaoyang-dalian");
    let (out, run) = plan_ok(&dir, &scenario, &[]);
    run.stdout_has("630 of 630 workers delivered")
        .stdout_has("strategy fast, backend microlp")
        .stdout_has("--buses lists them");
    assert!(run.stderr.is_empty(), "unexpected stderr\n{run}");

    // The raw JSON has every top-level field of the format.
    let raw = read_json(&out);
    for key in ["scenario", "status", "strategy", "backend", "seed", "lower_bound", "gap", "totals", "vehicles", "services", "unserved"] {
        assert!(raw.get(key).is_some(), "plan JSON lacks {key:?}");
    }
    assert!(raw["vehicles"].is_array() && raw["services"].is_array() && raw["unserved"].is_array());

    // ... and parses as a plan.
    let p = read_plan(&out);
    assert_eq!(p.scenario, "chaoyang-dalian-2021-03-01");
    assert_eq!(p.seed, 0);
    assert_complete_plan(&p, 630, "fast");
    assert!(p.services.is_empty(), "chaoyang has no scheduled services");
    assert!(p.totals.direct_only_cost.is_some(), "the direct-only baseline is planned by default");
    assert!(run.stdout.contains("direct-only plan"), "no saving line\n{run}");
    assert_eq!(run.row("saving, yuan")[1].replace(',', "").parse::<f64>().ok(), p.totals.saving_vs_direct.map(f64::round));

    check_passes(&scenario, &out);
}

#[test]
fn zhuanghe_train_plans_and_checks() {
    let dir = TempDir::new("zhuanghe");
    let scenario = example("zhuanghe-train");
    let (out, run) = plan_ok(&dir, &scenario, &[]);
    let p = read_plan(&out);
    assert_complete_plan(&p, workers_in(&scenario), "fast");
    assert!(!p.services.is_empty(), "the train example uses its train");
    for svc in &p.services {
        assert_eq!(run.row(&svc.id)[1], svc.from, "services table row of {}", svc.id);
    }
    check_passes(&scenario, &out);
}

#[test]
fn nujiang_train_plans_and_checks() {
    let dir = TempDir::new("nujiang");
    let scenario = example("nujiang-zhuhai");
    let (out, run) = plan_ok(&dir, &scenario, &[]);
    let p = read_plan(&out);
    assert_complete_plan(&p, workers_in(&scenario), "fast");
    assert!(!p.services.is_empty(), "the train example uses its trains");
    for svc in &p.services {
        assert_eq!(run.row(&svc.id)[1], svc.from, "services table row of {}", svc.id);
    }
    check_passes(&scenario, &out);
}

#[test]
fn plan_without_output_writes_nothing_and_still_exits_0() {
    let run = busplan(&[&"plan", &example("chaoyang-dalian"), &"--no-direct"]);
    run.expect_code(0).stdout_has("630 of 630 workers delivered");
    assert!(!run.stdout.contains("plan written to"), "nothing should be written\n{run}");
    assert!(!run.stdout.contains("direct-only plan"), "--no-direct still reports a saving\n{run}");
}

// ---------------------------------------------------------------------------------------------
// check on hand-broken plans
// ---------------------------------------------------------------------------------------------

/// Plans chaoyang into `dir` and returns (scenario, plan JSON).
fn chaoyang_plan_json(dir: &TempDir) -> (PathBuf, Value) {
    let scenario = example("chaoyang-dalian");
    let (out, _) = plan_ok(dir, &scenario, &[]);
    (scenario, read_json(&out))
}

fn vehicles_mut(plan: &mut Value) -> &mut Vec<Value> {
    plan["vehicles"].as_array_mut().expect("plan JSON has a vehicles array")
}

fn as_u64(v: &Value, what: &str) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("{what} is not an unsigned number: {v}"))
}

#[test]
fn check_reports_overloaded_bus_as_c03() {
    let dir = TempDir::new("broken-capacity");
    let (scenario, mut plan) = chaoyang_plan_json(&dir);
    // 60 more workers on the first leg of the first bus: more than any bus type may take.
    let pax = &mut vehicles_mut(&mut plan)[0]["legs"][0]["passengers"][0]["count"];
    *pax = Value::from(as_u64(pax, "passengers[0].count") + 60);
    let broken = dir.join("broken.json");
    write_json(&broken, &plan);
    check_fails_with(&scenario, &broken, "C03");
}

#[test]
fn check_reports_impossible_drive_as_c10() {
    let dir = TempDir::new("broken-drive");
    let (scenario, mut plan) = chaoyang_plan_json(&dir);
    // The first leg of the first bus arrives one minute after it leaves.
    let leg = &mut vehicles_mut(&mut plan)[0]["legs"][0];
    let depart = as_u64(&leg["depart_min"], "depart_min");
    leg["arrive_min"] = Value::from(depart + 1);
    let broken = dir.join("broken.json");
    write_json(&broken, &plan);
    check_fails_with(&scenario, &broken, "C10");
}

#[test]
fn check_reports_second_leg_leaving_too_early_as_c10() {
    let dir = TempDir::new("broken-early");
    let (scenario, mut plan) = chaoyang_plan_json(&dir);
    let vehicles = vehicles_mut(&mut plan);
    let Some(v) = vehicles.iter_mut().find(|v| v["legs"].as_array().is_some_and(|l| l.len() == 2)) else {
        panic!("the chaoyang plan has no bus with two legs (no regrouping at a hub?)");
    };
    // Shift the second leg so that it leaves the hub the minute the bus arrives there (no time
    // to regroup), keeping its driving time.
    let arrive_hub = as_u64(&v["legs"][0]["arrive_min"], "legs[0].arrive_min");
    let leg = &mut v["legs"][1];
    let depart = as_u64(&leg["depart_min"], "legs[1].depart_min");
    let arrive = as_u64(&leg["arrive_min"], "legs[1].arrive_min");
    assert!(depart > arrive_hub, "the plan already leaves the hub without regrouping time");
    let shift = depart - arrive_hub;
    leg["depart_min"] = Value::from(depart - shift);
    leg["arrive_min"] = Value::from(arrive - shift);
    let broken = dir.join("broken.json");
    write_json(&broken, &plan);
    check_fails_with(&scenario, &broken, "C10");
}

#[test]
fn check_reports_deleted_bus_as_c01() {
    let dir = TempDir::new("broken-deleted");
    let (scenario, mut plan) = chaoyang_plan_json(&dir);
    vehicles_mut(&mut plan).remove(0);
    let broken = dir.join("broken.json");
    write_json(&broken, &plan);
    check_fails_with(&scenario, &broken, "C01");
}

#[test]
fn check_of_a_file_that_is_no_plan_exits_2() {
    let dir = TempDir::new("not-a-plan");
    let scenario = example("chaoyang-dalian");
    let not_plan = dir.write("plan.json", "{\"vehicles\": []}\n");
    busplan(&[&"check", &scenario, &not_plan])
        .expect_code(2)
        .stderr_is_error()
        .stderr_has("is not a busplan plan");
    let missing = dir.join("missing-plan.json");
    busplan(&[&"check", &scenario, &missing]).expect_code(2).stderr_is_error().stderr_has("cannot read plan");
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn plan_files_do_not_depend_on_threads() {
    for name in ["chaoyang-dalian", "zhuanghe-train", "nujiang-zhuhai"] {
        let scenario = example(name);
        let mut files = Vec::new();
        for threads in ["1", "2"] {
            let dir = TempDir::new(&format!("threads-{name}-{threads}"));
            let (out, _) = plan_ok(&dir, &scenario, &["--threads", threads]);
            let bytes = std::fs::read(&out).unwrap_or_else(|e| panic!("cannot read {}: {e}", out.display()));
            files.push((threads, bytes));
        }
        assert!(
            files[0].1 == files[1].1,
            "{name}: --threads {} and --threads {} write different plans",
            files[0].0,
            files[1].0
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Unserved workers
// ---------------------------------------------------------------------------------------------

/// 50 workers and one 20-seat minibus: at least 30 cannot go.
const TOO_SMALL: &str = r#"{
  "name": "too-small",
  "vehicle_types": [{"id": "minibus-20", "seats": 20, "fixed_cost_yuan": 1000, "cost_per_km_yuan": 3}],
  "origins": [
    {"id": "home", "lat": 41.5, "lon": 120.4, "workers": [{"to": "plant", "count": 50}], "fleet": {"minibus-20": 1}}
  ],
  "destinations": [{"id": "plant", "lat": 41.0, "lon": 121.0, "deadline_min": 600}]
}
"#;

#[test]
fn too_small_fleet_exits_1_with_unserved_line() {
    let dir = TempDir::new("too-small");
    let scenario = dir.write("scenario.json", TOO_SMALL);
    let out = dir.join("plan.json");
    let run = busplan(&[&"plan", &scenario, &"-o", &out]);
    run.expect_code(1).stdout_has("of 50 workers delivered").stdout_has("plan written to");
    assert_eq!(run.row("unserved")[1..3], ["from", "to"], "no unserved table\n{run}");
    assert!(
        run.table_rows().iter().any(|r| r.len() == 5 && r[1] == "home" && r[2] == "plant" && r[0].parse::<u32>().is_ok_and(|n| n > 0)),
        "no unserved row from home to plant\n{run}"
    );
    assert!(!run.stderr.contains("error:"), "planning with unserved workers is no error\n{run}");

    let p = read_plan(&out);
    let unserved: u64 = p.unserved.iter().map(|u| u64::from(u.count)).sum();
    assert!(unserved >= 30, "only {unserved} unserved with 20 seats for 50 workers");
    assert_eq!(unserved, p.totals.workers_unserved);
    assert_eq!(p.totals.workers_delivered + unserved, 50);
    // The plan with unserved workers is still a valid plan.
    check_passes(&scenario, &out);
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_scenario_exits_2_with_e0001_and_line() {
    let dir = TempDir::new("malformed");
    let scenario = dir.write("scenario.json", "{\n  \"name\": \"broken\",\n  \"origins\": [\n");
    for sub in ["plan", "validate"] {
        busplan(&[&sub, &scenario]).expect_code(2).stderr_is_error().stderr_has("E0001").stderr_has("line");
    }
}

#[test]
fn unknown_destination_exits_2_with_e1003_and_suggestion() {
    let dir = TempDir::new("typo");
    let text = read_text(&example("chaoyang-dalian"));
    let typo = text.replacen("\"to\": \"ganjingzi\"", "\"to\": \"ganjingzl\"", 1);
    assert_ne!(text, typo, "the chaoyang example no longer has a group for ganjingzi");
    let scenario = dir.write("scenario.json", &typo);
    for sub in ["plan", "validate"] {
        busplan(&[&sub, &scenario])
            .expect_code(2)
            .stderr_is_error()
            .stderr_has("E1003")
            .stderr_has("ganjingzl")
            .stderr_has("did you mean")
            .stderr_has("\"ganjingzi\"");
    }
}

#[test]
fn missing_scenario_file_exits_2() {
    let dir = TempDir::new("missing");
    let scenario = dir.join("no-such-scenario.json");
    for sub in ["plan", "validate"] {
        busplan(&[&sub, &scenario]).expect_code(2).stderr_is_error().stderr_has("cannot read scenario");
    }
    busplan(&[&"check", &scenario, &dir.join("no-such-plan.json")]).expect_code(2).stderr_is_error();
}

#[test]
fn negative_time_limit_exits_2() {
    let scenario = example("chaoyang-dalian");
    // `--time-limit=-1` reaches the library, which refuses it.
    busplan(&[&"plan", &scenario, &"--time-limit=-1"])
        .expect_code(2)
        .stderr_is_error()
        .stderr_has("time limit");
    // `--time-limit -1` is refused by the argument parser (it takes -1 for a flag); exit 2 too.
    busplan(&[&"plan", &scenario, &"--time-limit", &"-1"]).expect_code(2).stderr_is_error();
    busplan(&[&"plan", &scenario, &"--time-limit", &"0"]).expect_code(2).stderr_is_error().stderr_has("time limit");
}

#[test]
fn unknown_strategy_exits_2() {
    busplan(&[&"plan", &example("chaoyang-dalian"), &"--strategy", &"genetic"])
        .expect_code(2)
        .stderr_is_error()
        .stderr_has("genetic");
}

// ---------------------------------------------------------------------------------------------
// validate
// ---------------------------------------------------------------------------------------------

#[test]
fn validate_example_exits_0() {
    busplan(&[&"validate", &example("chaoyang-dalian")])
        .expect_code(0)
        .stdout_has(": valid (5 origins, 2 hubs, 8 destinations, 0 services, 630 workers)");
}

#[test]
fn validate_codes_lists_e1003() {
    let run = busplan(&[&"validate", &"--codes"]);
    run.expect_code(0);
    assert!(run.stdout.lines().any(|l| l.starts_with("E1003 ")), "no E1003 line\n{run}");
    assert!(run.stdout.lines().any(|l| l.starts_with("E0001 ")), "no E0001 line\n{run}");
}

#[test]
fn validate_without_file_or_codes_exits_2() {
    busplan(&[&"validate"]).expect_code(2).stderr_is_error().stderr_has("--codes");
}

#[test]
fn check_codes_lists_every_check() {
    let run = busplan(&[&"check", &"--codes"]);
    run.expect_code(0);
    for code in ["C01", "C05", "C10", "C13", "C14"] {
        assert!(run.stdout.lines().any(|l| l.starts_with(&format!("{code} "))), "no {code} line\n{run}");
    }
}

#[test]
fn check_without_files_exits_2() {
    busplan(&[&"check"]).expect_code(2);
}

// ---------------------------------------------------------------------------------------------
// Backends and strategies
// ---------------------------------------------------------------------------------------------

#[test]
fn highs_backend_needs_the_highs_feature() {
    let scenario = example("chaoyang-dalian");
    if cfg!(feature = "highs") {
        let dir = TempDir::new("highs");
        let out = dir.join("plan.json");
        let run = busplan(&[&"plan", &scenario, &"--backend", &"highs", &"--strategy", &"exact", &"-o", &out]);
        run.expect_code(0).stdout_has("630 of 630 workers delivered").stdout_has("backend highs");
        check_passes(&scenario, &out);
    } else {
        busplan(&[&"plan", &scenario, &"--backend", &"highs"])
            .expect_code(2)
            .stderr_is_error()
            .stderr_has("--features highs");
    }
}

#[test]
fn direct_strategy_uses_no_hub() {
    let dir = TempDir::new("direct");
    let scenario = example("chaoyang-dalian");
    let (out, run) = plan_ok(&dir, &scenario, &["--strategy", "direct"]);
    run.stdout_has("strategy direct");
    assert_eq!(run.row("worker changes")[1], "0", "worker changes under --strategy direct\n{run}");
    let p = read_plan(&out);
    assert_complete_plan(&p, 630, "direct");
    for v in &p.vehicles {
        assert_eq!(v.legs.len(), 1, "{} has {} legs under --strategy direct", v.id, v.legs.len());
    }
    assert_eq!(p.totals.transfers, 0);
    check_passes(&scenario, &out);
}

#[test]
fn buses_flag_lists_every_bus() {
    let run = busplan(&[&"plan", &example("chaoyang-dalian"), &"--buses", &"--no-direct"]);
    run.expect_code(0);
    let bus_lines: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("BUS-")).collect();
    assert!(bus_lines.first().is_some_and(|l| l.starts_with("BUS-001 ")), "first bus line is not BUS-001\n{run}");
    assert!(!run.stdout.contains("--buses lists them"), "--buses still prints the hint\n{run}");
    // The totals table says how many buses there are; one line for each.
    let n: usize = run.row("buses")[1].parse().unwrap_or_else(|e| panic!("cannot read the bus count: {e}\n{run}"));
    assert_eq!(bus_lines.len(), n, "bus lines vs bus count\n{run}");
    assert!(bus_lines.iter().all(|l| l.contains(" -> ")), "a bus line without a leg\n{run}");
}
