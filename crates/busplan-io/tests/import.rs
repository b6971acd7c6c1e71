//! Importing registration and shortage CSVs.

use busplan_core::scenario::Scenario;
use busplan_io::import::{self, ImportError, ImportOptions, InputFile, Placement, Template};
use busplan_io::pmedian::{haversine_km, Method};
use std::collections::BTreeMap;

fn read(path: &str) -> String {
    let p = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {p}: {e}"))
}

fn chaoyang(placement: Placement) -> import::Imported {
    let template = import::parse_template(&read("examples/chaoyang/template.json")).unwrap();
    import::import(
        &read("examples/chaoyang/workers.csv"),
        &read("examples/chaoyang/shortages.csv"),
        &read("examples/chaoyang/sites.csv"),
        &template,
        &ImportOptions { placement, ..ImportOptions::default() },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// (origin, destination, accessible) -> count.
fn groups(s: &Scenario) -> BTreeMap<(String, String, bool), u32> {
    let mut g = BTreeMap::new();
    for o in &s.origins {
        for w in &o.workers {
            *g.entry((o.id.clone(), w.to.clone(), w.accessible())).or_default() += w.count;
        }
    }
    g
}

#[test]
fn chaoyang_registrations_give_the_example_scenario() {
    let example = busplan_core::parse_scenario(&read("examples/chaoyang-dalian.json")).unwrap();
    for method in [Method::Auto, Method::Enumerate, Method::Mip] {
        let imp = chaoyang(Placement::Choose { k: 5, method });
        let s = &imp.scenario;
        busplan_core::validate(s).unwrap();
        assert_eq!(s.total_workers(), 630);
        assert_eq!(imp.assignments.len(), 630);
        assert!(imp.problems.is_empty());
        assert_eq!(imp.placement.candidates, 11);
        // The five county seats are chosen, with the example's groups, fleets and escorts.
        assert_eq!(groups(s), groups(&example), "{method}");
        for o in &example.origins {
            let got = s.origins.iter().find(|x| x.id == o.id).unwrap();
            assert_eq!((got.fleet.clone(), got.escorts), (o.fleet.clone(), o.escorts));
        }
        assert_eq!(s.vehicle_types, example.vehicle_types);
        assert_eq!(s.hubs, example.hubs);
        for d in &example.destinations {
            let got = s.destinations.iter().find(|x| x.id == d.id).unwrap();
            assert_eq!((got.lat, got.lon, got.deadline_min), (d.lat, d.lon, d.deadline_min));
            assert!(!got.employers.is_empty());
        }
        let accessible: Vec<_> = imp.assignments.iter().filter(|a| a.accessible).collect();
        assert_eq!(accessible.len(), 4);
        assert!(accessible.iter().all(|a| a.departure_point == "lingyuan" && a.district == "jinzhou"));
    }
    // Enumeration and MIP reach the same total access distance.
    let e = chaoyang(Placement::Choose { k: 5, method: Method::Enumerate });
    let m = chaoyang(Placement::Choose { k: 5, method: Method::Mip });
    assert!((e.placement.total_access_km - m.placement.total_access_km).abs() < 1e-6);
    assert_eq!(e.placement.method, "enumerate");
    assert_eq!(m.placement.method, "mip");
}

#[test]
fn nearest_sends_everyone_to_the_nearest_site() {
    let imp = chaoyang(Placement::Nearest);
    let sites = read("examples/chaoyang/sites.csv");
    let coords: BTreeMap<String, (f64, f64)> = sites
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = f.len();
            // The name may hold commas: lat and lon are the 7th and 6th fields from the end.
            (f[0].to_string(), (f[n - 7].parse().unwrap(), f[n - 6].parse().unwrap()))
        })
        .collect();
    let workers = read("examples/chaoyang/workers.csv");
    let home: BTreeMap<String, (f64, f64)> = workers
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), (f[3].parse().unwrap(), f[4].parse().unwrap()))
        })
        .collect();
    for a in &imp.assignments {
        let (la, lo) = home[&a.worker_id];
        let best = coords.values().map(|&(sa, so)| haversine_km(la, lo, sa, so)).fold(f64::INFINITY, f64::min);
        assert!((a.access_km - best).abs() < 1e-9, "{} goes {} km, nearest is {best}", a.worker_id, a.access_km);
    }
    assert_eq!(imp.placement.method, "nearest");
    assert_eq!(imp.placement.open.len(), 11);
    // The extra candidates are too far from every village: left out.
    assert_eq!(imp.scenario.origins.len(), 5);
    assert_eq!(imp.placement.unused.len(), 6);
}

const SHORTAGES: &str = "\u{feff}Employer , District, district_name, Lat, Lon, Workers_Short, Deadline\n\
大连泰和精密机械有限公司, ganjingzi, 甘井子区, 38.95, 121.53, 2, 12:00\n\
 大连华锐汽车零部件有限公司 , jinzhou, 金州区, 39.099, 121.72, 1, 690\n\
大连金石纺织服装有限公司, jinzhou,,,, 1, 11:00\n";

const SITES: &str = "id,name,lat,lon,ready,fleet_coach-45,escorts\n\
lingyuan,凌源市,41.25,119.4,0:30,3,\n\
jianping,建平县,41.4,119.64,,,2\n";

fn good_workers() -> String {
    "worker_id,name,village,lat,lon,employer,district,needs\n\
     LY001, 王伟 ,红山街道,41.26,119.41,大连泰和精密机械有限公司,ganjingzi,\n\
     LY002,李娜,红山街道,41.26,119.41,大连泰和精密机械有限公司,甘井子区,\n\
     JP001,张强,叶柏寿街道,41.41,119.65,大连华锐汽车零部件有限公司,jinzhou,轮椅\n\
     JP002,刘敏,叶柏寿街道,41.41,119.65,大连金石纺织服装有限公司,jinzhou,none\n"
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_small_import_with_bom_spaces_chinese_and_defaults() {
    let imp = import::import(&good_workers(), SHORTAGES, SITES, &Template::default(), &ImportOptions::default()).unwrap();
    let s = &imp.scenario;
    assert_eq!(s.name, "imported");
    assert_eq!(s.destinations.len(), 2);
    let jz = &s.destinations[1];
    assert_eq!(jz.id, "jinzhou");
    // The earliest deadline of a drop point's employers; coordinates from its first row.
    assert_eq!(jz.deadline_min, 660);
    assert_eq!((jz.lat, jz.lon), (39.099, 121.72));
    assert_eq!(jz.employers, ["大连华锐汽车零部件有限公司", "大连金石纺织服装有限公司"]);
    assert_eq!(s.destinations[0].name, "甘井子区");
    let ly = &s.origins[0];
    assert_eq!((ly.id.as_str(), ly.ready_min, ly.escorts), ("lingyuan", 30, None));
    assert_eq!(ly.fleet["coach-45"], 3);
    assert_eq!(ly.workers.len(), 1);
    assert_eq!(ly.workers[0].count, 2);
    let jp = &s.origins[1];
    // No fleet anywhere: enough coach-45s for its workers.
    assert_eq!(jp.fleet["coach-45"], 1);
    assert_eq!(jp.escorts, Some(2));
    assert_eq!(jp.workers.len(), 2);
    assert!(jp.workers.iter().any(|g| g.accessible() && g.count == 1));
    assert_eq!(imp.assignments[0].name, "王伟");
    let csv = import::assignments_csv(&imp.assignments);
    assert!(csv.starts_with("worker_id,name,village,employer,district,accessible,departure_point,departure_name,access_km\n"));
    assert!(csv.contains("JP001,张强,叶柏寿街道,大连华锐汽车零部件有限公司,jinzhou,yes,jianping,建平县,"));
}

#[test]
fn every_bad_row_is_reported_with_its_line() {
    let mut workers = good_workers();
    workers.push_str(
        "\nBAD1,赵六,村,41.2,,大连泰和精密机械有限公司,ganjingzi,\n\
         BAD2,钱七,村,abc,119.4,大连泰和精密机械有限公司,ganjingzi,\n\
         BAD3,孙八,村,95,119.4,大连泰和精密机械有限公司,ganjingzi,\n\
         BAD4,周九,村,41.2,119.4,不存在的公司,ganjingzi,\n\
         BAD5,吴十,村,41.2,119.4,大连泰和精密机械有限公司,nowhere,\n\
         LY001,郑一,村,41.2,119.4,大连泰和精密机械有限公司,ganjingzi,\n\
         BAD7,冯二,村,41.2,119.4,大连泰和精密机械有限公司,ganjingzi,guide dog\n\
         BAD8,陈三\n",
    );
    let err = import::import(&workers, SHORTAGES, SITES, &Template::default(), &ImportOptions::default()).unwrap_err();
    let ImportError::BadRows(rows) = err else { panic!("{err}") };
    let lines: Vec<(InputFile, usize)> = rows.iter().map(|r| (r.file, r.line)).collect();
    let text: Vec<String> = rows.iter().map(ToString::to_string).collect();
    for (line, what) in [
        (6, "missing longitude"),
        (7, "latitude \"abc\" is not a number"),
        (8, "latitude 95 is out of range"),
        (9, "unknown employer \"不存在的公司\""),
        (10, "unknown district \"nowhere\""),
        (11, "duplicate worker id LY001 (first on line 2)"),
        (12, "unknown need \"guide\""),
        (13, "missing village"),
    ] {
        assert!(
            rows.iter().any(|r| r.file == InputFile::Workers && r.line == line && r.reason.contains(what)),
            "no \"{what}\" on workers line {line}: {text:#?}"
        );
    }
    // Six bad rows name ganjingzi's employer but never count: still 2 registered, as short.
    assert!(!lines.contains(&(InputFile::Shortages, 2)), "{text:#?}");
    assert_eq!(rows.len(), 8, "{text:#?}");

    // Left out instead: the same list, and a scenario of the good rows.
    let opts = ImportOptions { exclude_bad_rows: true, ..ImportOptions::default() };
    let imp = import::import(&workers, SHORTAGES, SITES, &Template::default(), &opts).unwrap();
    assert_eq!(imp.problems, rows);
    assert_eq!(imp.excluded_rows, 8);
    assert_eq!(imp.scenario.total_workers(), 4);
}

#[test]
fn count_mismatches_and_bad_shortage_and_site_rows() {
    let shortages = format!("{SHORTAGES}大连泰和精密机械有限公司, ganjingzi,, 38.95, 121.53, 2, 12:00\nX,far,,38.9,121.0,3,noon\nY,jinzhou,,40.5,121.72,0,12:00\n");
    let sites = format!("{SITES}lingyuan,again,41.2,119.4,,,\nkazuo,喀左,41.1,119.7,,two,\n");
    let err = import::import(&good_workers(), &shortages, &sites, &Template::default(), &ImportOptions::default()).unwrap_err();
    let ImportError::BadRows(rows) = err else { panic!("{err}") };
    let text: Vec<String> = rows.iter().map(ToString::to_string).collect();
    for (file, line, what) in [
        (InputFile::Shortages, 5, "listed twice (first on line 2)"),
        (InputFile::Shortages, 6, "deadline \"noon\""),
        (InputFile::Shortages, 7, "drop point jinzhou is at 39.0990, 121.7200 on line 3"),
        (InputFile::Sites, 4, "site id lingyuan is used twice"),
        (InputFile::Sites, 5, "fleet of coach-45 \"two\""),
    ] {
        assert!(rows.iter().any(|r| r.file == file && r.line == line && r.reason.contains(what)), "no \"{what}\": {text:#?}");
    }
    // A shortage that the registrations do not fill.
    let shortages = SHORTAGES.replace("121.53, 2,", "121.53, 5,");
    let err = import::import(&good_workers(), &shortages, SITES, &Template::default(), &ImportOptions::default()).unwrap_err();
    let ImportError::BadRows(rows) = err else { panic!("{err}") };
    assert_eq!(rows.len(), 1);
    // Workers of an employer whose only shortage row is bad are told so.
    let bad_shortage = SHORTAGES.replace("39.099, 121.72, 1, 690", "39.099, 121.72, one, 690");
    let opts = ImportOptions { exclude_bad_rows: true, ..ImportOptions::default() };
    let imp = import::import(&good_workers(), &bad_shortage, SITES, &Template::default(), &opts).unwrap();
    let text: Vec<String> = imp.problems.iter().map(ToString::to_string).collect();
    assert!(text.contains(&"workers line 4: employer \"大连华锐汽车零部件有限公司\" has only a bad shortage row (line 3)".to_string()), "{text:#?}");
    // The drop point's first row was that bad one, so the next row lacks its coordinates too.
    assert!(text.iter().any(|t| t.starts_with("shortages line 4: missing latitude")), "{text:#?}");
    assert_eq!(imp.scenario.total_workers(), 2);
    assert!(rows[0].warning && rows[0].line == 2 && rows[0].reason.contains("short 5 workers but 2 are registered"), "{}", rows[0]);
    // Only a warning when bad rows may be left out: nothing is left out for it.
    let opts = ImportOptions { exclude_bad_rows: true, ..ImportOptions::default() };
    let imp = import::import(&good_workers(), &shortages, SITES, &Template::default(), &opts).unwrap();
    assert_eq!((imp.excluded_rows, imp.problems.len(), imp.scenario.total_workers()), (0, 1, 4));
}

#[test]
fn missing_columns_are_fatal_even_when_excluding() {
    let workers = good_workers().replace("employer,", "company_name,");
    let opts = ImportOptions { exclude_bad_rows: true, ..ImportOptions::default() };
    let err = import::import(&workers, SHORTAGES, SITES, &Template::default(), &opts).unwrap_err();
    let ImportError::BadRows(rows) = err else { panic!("{err}") };
    assert!(rows.iter().any(|r| r.fatal && r.line == 1 && r.reason.contains("no column \"employer\"")));
    let sites = SITES.replace("fleet_coach-45", "fleet_coach-99");
    let err = import::import(&good_workers(), SHORTAGES, &sites, &Template::default(), &opts).unwrap_err();
    assert!(err.to_string().contains("no vehicle type \"coach_99\""), "{err}");
}

#[test]
fn chinese_headers_are_understood() {
    let workers = good_workers().replacen(
        "worker_id,name,village,lat,lon,employer,district,needs",
        "工号,姓名,乡镇,纬度,经度,用工企业,接送点,特殊需求",
        1,
    );
    let imp = import::import(&workers, SHORTAGES, SITES, &Template::default(), &ImportOptions::default()).unwrap();
    assert_eq!(imp.scenario.total_workers(), 4);
}

#[test]
fn p_median_with_too_large_k_fails_cleanly() {
    let opts = ImportOptions { placement: Placement::Choose { k: 3, method: Method::Auto }, ..ImportOptions::default() };
    let err = import::import(&good_workers(), SHORTAGES, SITES, &Template::default(), &opts).unwrap_err();
    assert!(err.to_string().contains("cannot open 3 of 2 candidate sites"), "{err}");
}
