//! What the command prints: standard output that ends quietly when the reader goes away,
//! `--quiet`, the progress bar of long runs, and the summary tables of `busplan plan`.
//!
//! Everything meant for standard output goes through `say!` (a report line, silenced by
//! `--quiet`) or `data!` (the command's product written to standard output instead of a
//! file, never silenced). A closed standard output (`busplan plan ... | head`) ends the output
//! without an error; any other failure to write is reported once, at the end, with exit code 2.

use busplan_core::plan::{Plan, Status, UnservedReason};
use busplan_core::{Progress, Scenario};
use comfy_table::{presets, CellAlignment, Table, TableComponent};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::fmt::{self, Write as _};
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

static QUIET: AtomicBool = AtomicBool::new(false);
static CLOSED: AtomicBool = AtomicBool::new(false);
static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// A report line on standard output (a newline is added); nothing under `--quiet`.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::say(format_args!($($arg)*))
    };
}

/// The command's product on standard output, as it is (no newline added), even under `--quiet`.
macro_rules! data {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// A note on standard error that is no error or warning; nothing under `--quiet`.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::output::is_quiet() {
            eprintln!($($arg)*);
        }
    };
}

/// Sets `--quiet` for the whole run.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Writes to standard output through its lock. After a broken pipe nothing more is written;
/// another failure is kept for [`exit_code`].
pub fn write_stdout(args: fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != io::ErrorKind::BrokenPipe {
            let mut failed = FAILED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            failed.get_or_insert_with(|| e.to_string());
        }
    }
}

/// A report line (see `say!`).
pub fn say(args: fmt::Arguments<'_>) {
    if !is_quiet() {
        write_stdout(format_args!("{args}\n"));
    }
}

/// The exit code of the run: `code`, or 2 when standard output could not be written (for
/// another reason than the reader going away).
pub fn exit_code(code: u8) -> u8 {
    let failed = FAILED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match failed.as_ref() {
        Some(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            2
        }
        None => code,
    }
}

/// Whether the run shows a progress bar: standard error is a terminal and neither `--quiet`
/// nor `--json` asked for silence.
pub fn wants_progress(json: bool) -> bool {
    !json && !is_quiet() && io::stderr().is_terminal()
}

/// A progress bar on standard error for a run with this time limit: a spinner, the stage, the
/// time used of the limit as a bar and in seconds, and the detail. It ticks on its own, so
/// that it moves while the solver runs. Hidden unless `show`.
pub fn stage_bar(show: bool, time_limit_s: f64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let limit = time_limit_s.max(1e-3);
    let style = ProgressStyle::with_template("{spinner} {prefix:<9} {clock} [{timebar}] {wide_msg}")
        .expect("the progress template is valid")
        .with_key("clock", move |s: &ProgressState, w: &mut dyn fmt::Write| {
            let _ = write!(w, "{:>5.1}/{limit:.0} s", s.elapsed().as_secs_f64());
        })
        .with_key("timebar", move |s: &ProgressState, w: &mut dyn fmt::Write| {
            const WIDTH: usize = 24;
            let done = ((s.elapsed().as_secs_f64() / limit).clamp(0.0, 1.0) * WIDTH as f64).round() as usize;
            let _ = write!(w, "{}{}", "=".repeat(done), " ".repeat(WIDTH - done));
        });
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.set_prefix("start");
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A spinner on standard error with a message, for steps that report no stages. Hidden
/// unless `show`.
pub fn spinner(show: bool, message: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("the spinner template is valid"));
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Shows a stage of a planning run on `bar`.
pub fn show_stage(bar: &ProgressBar, p: &Progress) {
    bar.set_prefix(p.stage.clone());
    bar.set_message(p.detail.clone());
}

/// Hours:minutes from the plan start.
pub fn hm(min: u32) -> String {
    format!("{}:{:02}", min / 60, min % 60)
}

/// Yuan rounded to whole yuan, with thousands separators.
pub fn yuan(x: f64) -> String {
    let whole = x.round() as i64;
    let digits = whole.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if whole < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// The name of a plan's status, as in the plan file.
pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Optimal => "optimal",
        Status::Feasible => "feasible",
        Status::TimeLimit => "time_limit",
    }
}

/// Why workers are unserved, in words.
pub fn reason_text(r: UnservedReason) -> &'static str {
    match r {
        UnservedReason::NoFeasibleRoute => "no route reaches the destination in time (at the slowest speed of the fleet) within the rules",
        UnservedReason::CapacityShort => "buses, escorts, seats or hub space ran short",
        UnservedReason::CostlierThanPenalty => "a bus would cost more than the unserved penalty",
    }
}

/// A plain table: no outer border, `|` between columns, a line under the header; the first
/// column starts at the left margin. Columns listed in `right` are right-aligned.
pub fn table(header: &[&str], right: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::ASCII_NO_BORDERS);
    t.remove_style(TableComponent::HorizontalLines);
    t.remove_style(TableComponent::MiddleIntersections);
    t.remove_style(TableComponent::LeftBorderIntersections);
    t.remove_style(TableComponent::RightBorderIntersections);
    t.set_header(header.to_vec());
    for (i, col) in t.column_iter_mut().enumerate() {
        if i == 0 {
            col.set_padding((0, 1));
        }
        if right.contains(&i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// Prints a table, trailing spaces trimmed, followed by an empty line.
fn print_table(t: &Table) {
    for line in t.lines() {
        say!("{}", line.trim_end());
    }
    say!("");
}

/// The summary of `busplan plan` as tables: totals, cost breakdown, buses by type, services,
/// unserved groups and, with `buses`, every bus.
pub fn print_plan(s: &Scenario, p: &Plan, secs: f64, buses: bool) {
    let t = &p.totals;
    say!("{}: {} of {} workers delivered", s.name, t.workers_delivered, t.workers);
    say!("status {}, strategy {}, backend {}, {secs:.2} s", status_name(p.status).replace('_', " "), p.strategy, p.backend);
    say!("");

    let mut totals = table(&["totals", "value"], &[1]);
    totals.add_row(vec!["cost, yuan".to_string(), yuan(t.cost)]);
    totals.add_row(vec!["lower bound, yuan".to_string(), yuan(p.lower_bound)]);
    totals.add_row(vec!["gap".to_string(), format!("{:.2} %", p.gap * 100.0)]);
    totals.add_row(vec!["buses".to_string(), t.buses.to_string()]);
    totals.add_row(vec!["bus-km".to_string(), yuan(t.bus_km)]);
    totals.add_row(vec!["seat use".to_string(), format!("{:.0} %", t.seat_utilisation * 100.0)]);
    totals.add_row(vec!["worker changes".to_string(), t.transfers.to_string()]);
    totals.add_row(vec!["cost per worker, yuan".to_string(), format!("{:.1}", t.cost_per_worker)]);
    totals.add_row(vec!["individual fares, yuan".to_string(), yuan(t.individual_fares)]);
    if let (Some(d), Some(sv)) = (t.direct_only_cost, t.saving_vs_direct) {
        totals.add_row(vec!["direct-only plan, yuan".to_string(), yuan(d)]);
        totals.add_row(vec!["saving, yuan".to_string(), yuan(sv)]);
    }
    print_table(&totals);

    let b = &t.cost_breakdown;
    let mut cost = table(&["cost", "yuan", "share"], &[1, 2]);
    let share = |x: f64| if t.cost > 0.0 { format!("{:.1} %", x / t.cost * 100.0) } else { "-".to_string() };
    for (what, x) in [
        ("bus fixed", b.bus_fixed),
        ("bus distance", b.bus_distance),
        ("worker time", b.worker_time),
        ("hub stops", b.transfers),
        ("service seats", b.service_seats),
        ("unserved penalty", b.unserved_penalty),
    ] {
        cost.add_row(vec![what.to_string(), yuan(x), share(x)]);
    }
    cost.add_row(vec!["total".to_string(), yuan(t.cost), share(t.cost)]);
    print_table(&cost);

    if !t.buses_by_type.is_empty() {
        let mut types = table(&["bus type", "buses"], &[1]);
        for (k, n) in &t.buses_by_type {
            types.add_row(vec![k.clone(), n.to_string()]);
        }
        print_table(&types);
    }

    if !p.services.is_empty() {
        let mut services = table(&["service", "from", "departs", "to", "arrives", "workers", "seats"], &[2, 4, 5, 6]);
        for svc in &p.services {
            let n: u32 = svc.passengers.iter().map(|x| x.count).sum();
            services.add_row(vec![
                svc.id.clone(),
                svc.from.clone(),
                hm(svc.departure_min),
                svc.to.clone(),
                hm(svc.arrival_min),
                n.to_string(),
                svc.seats.to_string(),
            ]);
        }
        print_table(&services);
    }

    if !p.unserved.is_empty() {
        let mut unserved = table(&["unserved", "from", "to", "accessible", "reason"], &[0]);
        for u in &p.unserved {
            unserved.add_row(vec![
                u.count.to_string(),
                u.origin.clone(),
                u.destination.clone(),
                if u.accessible { "yes" } else { "no" }.to_string(),
                reason_text(u.reason).to_string(),
            ]);
        }
        print_table(&unserved);
    }

    if buses {
        print_buses(p);
    } else {
        say!("({} {}; --buses lists them)", p.vehicles.len(), if p.vehicles.len() == 1 { "bus" } else { "buses" });
    }
}

/// One row per bus: id, type, escort and its legs (times hours:minutes from the plan start,
/// passengers in brackets).
fn print_buses(p: &Plan) {
    let mut t = table(&["bus", "type", "escort", "legs (hours:minutes from the plan start, workers)"], &[]);
    for v in &p.vehicles {
        let mut legs = String::new();
        for (i, l) in v.legs.iter().enumerate() {
            let n: u32 = l.passengers.iter().map(|x| x.count).sum();
            if i > 0 {
                legs.push_str(" | ");
            }
            let _ = write!(legs, "{} {} -> {} {} ({n})", hm(l.depart_min), l.from, l.to, hm(l.arrive_min));
        }
        t.add_row(vec![v.id.clone(), v.vehicle_type.clone(), v.escort.clone(), legs]);
    }
    print_table(&t);
}

/// The summary of `busplan plan --json`: one document, field names documented in docs/cli.md.
pub fn plan_json(s: &Scenario, p: &Plan, secs: f64, output: Option<&Path>) -> serde_json::Value {
    let t = &p.totals;
    let b = &t.cost_breakdown;
    serde_json::json!({
        "scenario": s.name,
        "status": status_name(p.status),
        "cost": t.cost,
        "lower_bound": p.lower_bound,
        "gap": p.gap,
        "strategy": p.strategy,
        "backend": p.backend,
        "seed": p.seed,
        "seconds": secs,
        "workers": t.workers,
        "delivered": t.workers_delivered,
        "unserved_workers": t.workers_unserved,
        "buses": t.buses,
        "buses_by_type": t.buses_by_type,
        "bus_km": t.bus_km,
        "seat_utilisation": t.seat_utilisation,
        "transfers": t.transfers,
        "cost_per_worker": t.cost_per_worker,
        "individual_fares": t.individual_fares,
        "direct_only_cost": t.direct_only_cost,
        "saving_vs_direct": t.saving_vs_direct,
        "cost_breakdown": {
            "bus_fixed": b.bus_fixed,
            "bus_distance": b.bus_distance,
            "worker_time": b.worker_time,
            "transfers": b.transfers,
            "service_seats": b.service_seats,
            "unserved_penalty": b.unserved_penalty,
        },
        "services": p.services.iter().map(|svc| serde_json::json!({
            "id": svc.id,
            "from": svc.from,
            "to": svc.to,
            "departure_min": svc.departure_min,
            "arrival_min": svc.arrival_min,
            "seats": svc.seats,
            "workers": svc.passengers.iter().map(|x| u64::from(x.count)).sum::<u64>(),
        })).collect::<Vec<_>>(),
        "unserved": p.unserved.iter().map(|u| serde_json::json!({
            "origin": u.origin,
            "destination": u.destination,
            "accessible": u.accessible,
            "count": u.count,
            "reason": u.reason,
        })).collect::<Vec<_>>(),
        "output": output.map(|o| o.display().to_string()),
    })
}
