//! Benchmark tiers: county (Chaoyang -> Dalian), city (Cixi) and province (Yunnan) shapes, and
//! a family of province-like scenarios from 500 to 1.5 million workers for scaling studies.
//!
//! Takes: a tier (or a size) and a seed. Gives: a valid [`Scenario`]; the same seed always
//! gives the same scenario. Places are the coordinates of the operations (Chaoyang and the
//! Dalian districts, Cixi and Yuyao North, Yunnan's prefecture seats, Kunming South) with
//! jitter; demand is skewed as real labour flows are: a few large departure points and
//! employers, many small ones (log-normal sizes), and chain migration (a departure point sends
//! its workers to a few employers in one or two regions, chosen by the employers' size).
//! Costs, fleets and timetables are made up, in the ranges of `DOMAIN.md`.

use crate::apportion::apportion;
use super::Rng;
use crate::scenario::{
    Destination, Hub, HubKind, Need, Objective, Origin, Rules, Scenario, Service, ServiceKind, Travel, TravelModel,
    VehicleType, WorkerGroup,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A benchmark tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Chaoyang -> Dalian: 5-7 departure points, 1-3 service areas, 8 districts, 630 workers.
    County,
    /// Cixi: 20 source areas, special trains to 2 stations, 200 drop points, 15,000 workers.
    City,
    /// Yunnan: 2,000 departure points, 50 hubs, 1,500 drop points, 1.57 million workers.
    Province,
}

impl Tier {
    /// Every tier, smallest first.
    pub const ALL: [Tier; 3] = [Tier::County, Tier::City, Tier::Province];
    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Tier::County => "county",
            Tier::City => "city",
            Tier::Province => "province",
        }
    }
}

/// The scenario of a tier for a seed.
pub fn tier(t: Tier, seed: u64) -> Scenario {
    match t {
        Tier::County => county(seed),
        Tier::City => city(seed),
        Tier::Province => province(ProvinceSize::FULL, seed),
    }
}

fn log_normal(r: &mut Rng, sigma: f64) -> f64 {
    // Box-Muller; the mean of the result is exp(sigma^2 / 2).
    let u1 = r.float(1e-12, 1.0);
    let u2 = r.float(0.0, 1.0);
    let n = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (sigma * n).exp()
}

/// Picks an index with probability proportional to `weights`.
fn pick(r: &mut Rng, weights: &[f64]) -> usize {
    let sum: f64 = weights.iter().sum();
    let mut x = r.float(0.0, sum);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn coach(id: &str, seats: u32, load_cap: f64, acc: u32, fixed: f64, per_km: f64) -> VehicleType {
    VehicleType {
        id: id.into(),
        seats,
        load_cap,
        accessible_seats: acc,
        fixed_cost_yuan: fixed,
        cost_per_km_yuan: per_km,
        speed_kmh: None,
    }
}

fn hub(id: String, name: &str, kind: HubKind, lat: f64, lon: f64, transfer_min: u32) -> Hub {
    Hub { id, name: name.into(), kind, lat, lon, transfer_min, max_buses: None, fleet: BTreeMap::new(), escorts: None }
}

fn fleet_for(types: &[VehicleType], workers: u64, spare: f64) -> BTreeMap<String, u32> {
    // Each type can carry `0.6 + spare` of everyone on its own: together about twice what is
    // needed, while one type alone may run short.
    types
        .iter()
        .map(|t| {
            let cap = t.capped_seats().max(1) as f64;
            (t.id.clone(), (workers as f64 / cap * (0.6 + spare)).ceil() as u32 + 1)
        })
        .collect()
}

/// Worker groups of one departure point: `total` workers spread over `targets` (destination
/// index, weight), a few of them needing an accessible seat.
fn groups(r: &mut Rng, total: u64, targets: &[(usize, f64)], dests: &[Destination], acc_share: f64) -> Vec<WorkerGroup> {
    let weights: Vec<f64> = targets.iter().map(|t| t.1).collect();
    let parts = apportion(total, &weights);
    let mut out = Vec::new();
    for (&(d, _), &n) in targets.iter().zip(&parts) {
        if n == 0 {
            continue;
        }
        let acc = if n >= 20 && r.chance(acc_share * 10.0) { r.range(1, 2).min(n as u32 - 1) } else { 0 };
        let to = dests[d].id.clone();
        if acc > 0 {
            out.push(WorkerGroup { to: to.clone(), count: acc, needs: vec![Need::Accessible] });
        }
        out.push(WorkerGroup { to, count: n as u32 - acc, needs: Vec::new() });
    }
    out
}

/// Chooses `n` distinct destinations with probability proportional to their weight.
fn choose_targets(r: &mut Rng, candidates: &[usize], weights: &[f64], n: usize) -> Vec<(usize, f64)> {
    let mut left: Vec<usize> = candidates.to_vec();
    let mut w: Vec<f64> = candidates.iter().map(|&d| weights[d]).collect();
    let mut out = Vec::new();
    while out.len() < n && !left.is_empty() {
        let i = pick(r, &w);
        out.push((left[i], w[i] * log_normal(r, 0.8)));
        left.swap_remove(i);
        w.swap_remove(i);
    }
    out.sort_by_key(|t| t.0);
    out
}

/// The county tier: Chaoyang's departure points, service areas on the G25/G15 motorways, the
/// districts of Dalian, 630 workers.
pub fn county(seed: u64) -> Scenario {
    let mut r = Rng::new(seed ^ 0xC0);
    let places = [
        ("shuangta", "Shuangta district", 41.571, 120.453),
        ("longcheng", "Longcheng district", 41.60, 120.41),
        ("beipiao", "Beipiao", 41.801, 120.771),
        ("lingyuan", "Lingyuan", 41.250, 119.400),
        ("jianping", "Jianping (Yebaishou)", 41.40, 119.64),
        ("kazuo", "Kazuo", 41.133, 119.733),
        ("chaoyang-county", "Chaoyang county", 41.45, 120.20),
    ];
    let areas = [
        ("sa-jinzhou", "Service area near Jinzhou (G25/G1)", 41.10, 121.13),
        ("sa-panjin", "Service area near Panjin (G15)", 41.12, 122.07),
        ("sa-xiongyue", "Xiongyue service area (G15)", 40.18, 122.15),
    ];
    let districts = [
        ("dalian-centre", "Dalian centre", 38.921, 121.639),
        ("ganjingzi", "Ganjingzi district", 38.95, 121.53),
        ("jinzhou", "Jinzhou district", 39.099, 121.720),
        ("development-zone", "Development zone", 39.05, 121.78),
        ("lushunkou", "Lushunkou", 38.853, 121.250),
        ("pulandian", "Pulandian", 39.409, 121.967),
        ("wafangdian", "Wafangdian", 39.627, 121.980),
        ("changxing-island", "Changxing Island", 39.581, 121.388),
    ];
    let types = vec![
        coach("coach-53", 53, 0.75, 0, 2600.0, 4.5),
        coach("coach-45", 45, 0.75, 2, 2300.0, 4.2),
        coach("minibus-33", 33, 0.75, 0, 1500.0, 3.2),
    ];
    let n_origins = r.range(5, 7) as usize;
    let n_areas = r.range(1, 3) as usize;
    let destinations: Vec<Destination> = districts
        .iter()
        .map(|&(id, name, lat, lon)| Destination {
            id: id.into(),
            name: name.into(),
            lat: lat + r.float(-0.02, 0.02),
            lon: lon + r.float(-0.02, 0.02),
            deadline_min: [660, 690, 720][r.range(0, 2) as usize],
            employers: Vec::new(),
        })
        .collect();
    let d_weight: Vec<f64> = (0..destinations.len()).map(|_| log_normal(&mut r, 0.9)).collect();
    let o_weight: Vec<f64> = (0..n_origins).map(|_| log_normal(&mut r, 0.6)).collect();
    let totals = apportion(630, &o_weight);
    let all: Vec<usize> = (0..destinations.len()).collect();
    let origins: Vec<Origin> = places[..n_origins]
        .iter()
        .zip(&totals)
        .map(|(&(id, name, lat, lon), &total)| {
            let n = r.range(4, 8) as usize;
            let targets = choose_targets(&mut r, &all, &d_weight, n);
            let workers = groups(&mut r, total, &targets, &destinations, 0.01);
            Origin {
                id: id.into(),
                name: name.into(),
                lat,
                lon,
                ready_min: r.range(0, 2) * 15,
                workers,
                fleet: fleet_for(&types, total, 0.3),
                escorts: None,
            }
        })
        .collect();
    let hubs: Vec<Hub> = areas[..n_areas]
        .iter()
        .map(|&(id, name, lat, lon)| hub(id.into(), name, HubKind::ServiceArea, lat, lon, r.range(20, 40)))
        .collect();
    Scenario {
        name: format!("county-{seed}"),
        description: format!(
            "County tier, seed {seed}: Chaoyang -> Dalian shape, {n_origins} departure points, {n_areas} service areas, 8 districts, 630 workers. Generated."
        ),
        vehicle_types: types,
        origins,
        hubs,
        destinations,
        services: Vec::new(),
        travel: Travel::default(),
        objective: Objective::default(),
        rules: Rules::default(),
    }
}

/// The city tier: Cixi's returning workers. Twenty source areas in Guizhou, Sichuan, Henan,
/// Anhui, Jiangxi and neighbours; near ones send buses straight to the employers, far ones
/// feed special trains to Yuyao North or Ningbo, where the city's buses take workers on to 200
/// employer drop points. 15,000 workers.
pub fn city(seed: u64) -> Scenario {
    let mut r = Rng::new(seed ^ 0xC1);
    // (id, name, lat, lon, source station index or none)
    let sources = [
        ("guiyang", "Guiyang", 26.65, 106.63, Some(0)),
        ("bijie", "Bijie", 27.30, 105.29, Some(0)),
        ("zunyi", "Zunyi", 27.72, 106.93, Some(0)),
        ("anshun", "Anshun", 26.25, 105.93, Some(0)),
        ("yibin", "Yibin", 28.77, 104.63, Some(1)),
        ("luzhou", "Luzhou", 28.87, 105.44, Some(1)),
        ("nanchong", "Nanchong", 30.84, 106.11, Some(1)),
        ("zhaotong", "Zhaotong", 27.34, 103.72, Some(1)),
        ("zhengzhou", "Zhengzhou", 34.75, 113.62, Some(2)),
        ("shangqiu", "Shangqiu", 34.41, 115.66, Some(2)),
        ("zhoukou", "Zhoukou", 33.63, 114.65, Some(2)),
        ("xinyang", "Xinyang", 32.13, 114.07, Some(2)),
        ("wanzhou", "Wanzhou", 30.81, 108.41, Some(3)),
        ("shaoyang", "Shaoyang", 27.24, 111.47, Some(3)),
        ("fuyang", "Fuyang", 32.89, 115.81, None),
        ("anqing", "Anqing", 30.54, 117.06, None),
        ("luan", "Lu'an", 31.73, 116.52, None),
        ("shangrao", "Shangrao", 28.45, 117.94, None),
        ("jiujiang", "Jiujiang", 29.71, 116.00, None),
        ("xuancheng", "Xuancheng", 30.94, 118.76, None),
    ];
    let stations = [
        ("st-guiyang-north", "Guiyang North station", 26.62, 106.68),
        ("st-yibin-west", "Yibin West station", 28.80, 104.55),
        ("st-zhengzhou-east", "Zhengzhou East station", 34.76, 113.77),
        ("st-huaihua-south", "Huaihua South station", 27.55, 110.00),
    ];
    let types = vec![
        coach("coach-53", 53, 0.5, 0, 3000.0, 5.5),
        coach("coach-45", 45, 0.5, 2, 2600.0, 5.0),
        coach("minibus-33", 33, 0.5, 0, 1600.0, 3.6),
    ];
    let mut hubs: Vec<Hub> = stations
        .iter()
        .map(|&(id, name, lat, lon)| hub(id.into(), name, HubKind::Station, lat, lon, 40))
        .collect();
    let mut yuyao = hub("st-yuyao-north".into(), "Yuyao North station", HubKind::Station, 30.08, 121.15, 30);
    let mut ningbo = hub("st-ningbo".into(), "Ningbo station", HubKind::Station, 29.86, 121.55, 30);
    // The city's own chartered buses wait at the arrival stations (323 in the real operation).
    yuyao.fleet = [("coach-53", 120), ("coach-45", 60), ("minibus-33", 60)].iter().map(|&(t, n)| (t.to_string(), n)).collect();
    ningbo.fleet = [("coach-53", 60), ("coach-45", 30), ("minibus-33", 40)].iter().map(|&(t, n)| (t.to_string(), n)).collect();
    hubs.push(yuyao);
    hubs.push(ningbo);
    hubs.push(hub("sa-cixi".into(), "Cixi service area (G15)", HubKind::ServiceArea, 30.20, 121.30, 25));
    // 16 special trains: day 1 departures, overnight, arriving on day 2 (minutes from 00:00, day 1).
    let mut services = Vec::new();
    for i in 0..16u32 {
        let from = (i % 4) as usize;
        let to = if i % 3 == 0 { "st-ningbo" } else { "st-yuyao-north" };
        let dep = 600 + r.range(0, 10) * 60;
        let hours = [14, 17, 11, 12][from] + r.range(0, 2);
        services.push(Service {
            id: format!("Z{}", 8001 + i),
            kind: ServiceKind::Train,
            from: stations[from].0.into(),
            to: to.into(),
            departure_min: dep,
            arrival_min: dep + hours * 60,
            seats: 1000 + r.range(0, 2) * 100,
            cost_per_seat_yuan: f64::from(r.range(28, 45) * 10),
            accessible: true,
        });
    }
    let destinations: Vec<Destination> = (0..200)
        .map(|i| Destination {
            id: format!("cixi-{i:03}"),
            name: format!("Employer drop point {i}"),
            lat: 30.167 + r.float(-0.17, 0.17),
            lon: 121.233 + r.float(-0.25, 0.25),
            deadline_min: 2160 + r.range(0, 8) * 60,
            employers: Vec::new(),
        })
        .collect();
    let d_weight: Vec<f64> = (0..destinations.len()).map(|_| log_normal(&mut r, 1.0)).collect();
    let o_weight: Vec<f64> = (0..sources.len()).map(|_| log_normal(&mut r, 0.6)).collect();
    let totals = apportion(15_000, &o_weight);
    let all: Vec<usize> = (0..destinations.len()).collect();
    let origins: Vec<Origin> = sources
        .iter()
        .zip(&totals)
        .map(|(&(id, name, lat, lon, _), &total)| {
            let n = r.range(12, 40) as usize;
            let targets = choose_targets(&mut r, &all, &d_weight, n);
            let workers = groups(&mut r, total, &targets, &destinations, 0.005);
            Origin {
                id: id.into(),
                name: name.into(),
                lat,
                lon,
                ready_min: 360 + r.range(0, 4) * 30,
                workers,
                fleet: fleet_for(&types, total, 0.2),
                escorts: None,
            }
        })
        .collect();
    Scenario {
        name: format!("city-{seed}"),
        description: format!(
            "City tier, seed {seed}: Cixi shape, 20 source areas, 16 special trains to Yuyao North and Ningbo, 200 employer drop points, 15,000 workers; load cap 0.5 as in February 2020. Times in minutes from 00:00 on day 1. Generated."
        ),
        vehicle_types: types,
        origins,
        hubs,
        destinations,
        services,
        travel: Travel { model: TravelModel::GreatCircle { circuity: 1.25 }, speed_kmh: 75.0 },
        objective: Objective { worker_minute_yuan: 0.1, ..Objective::default() },
        rules: Rules::default(),
    }
}

/// Size of a province-like scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvinceSize {
    /// Departure points.
    pub origins: usize,
    /// Hubs (service areas, stations, airports, reception hubs), at most 50.
    pub hubs: usize,
    /// Employer drop points.
    pub destinations: usize,
    /// Workers.
    pub workers: u64,
}

impl ProvinceSize {
    /// Yunnan, spring 2020: 2,000 departure points, 50 hubs, 1,500 drop points, 1.57 million.
    pub const FULL: ProvinceSize = ProvinceSize { origins: 2000, hubs: 50, destinations: 1500, workers: 1_567_800 };

    /// A province-like size for a number of workers: about 785 workers per departure point
    /// and 1,050 per drop point, as in the full tier, with at least 3 of each.
    pub fn for_workers(workers: u64) -> ProvinceSize {
        let scale = workers as f64 / ProvinceSize::FULL.workers as f64;
        let n = |full: usize, min: usize| ((full as f64 * scale).round() as usize).clamp(min, full);
        ProvinceSize { origins: n(2000, 3), hubs: n(50, 6).max(6), destinations: n(1500, 3), workers }
    }
}

/// Yunnan's prefecture seats (name, lat, lon, share of the province's migrant workers).
const PREFECTURES: [(&str, f64, f64, f64); 16] = [
    ("kunming", 25.04, 102.71, 0.08),
    ("qujing", 25.49, 103.80, 0.13),
    ("zhaotong", 27.34, 103.72, 0.17),
    ("dali", 25.61, 100.27, 0.06),
    ("honghe", 23.36, 103.38, 0.09),
    ("wenshan", 23.37, 104.24, 0.09),
    ("puer", 22.78, 100.97, 0.04),
    ("xishuangbanna", 22.01, 100.80, 0.02),
    ("lincang", 23.88, 100.09, 0.05),
    ("baoshan", 25.11, 99.16, 0.05),
    ("dehong", 24.43, 98.58, 0.02),
    ("lijiang", 26.86, 100.23, 0.02),
    ("diqing", 27.82, 99.70, 0.01),
    ("nujiang", 25.82, 98.86, 0.03),
    ("chuxiong", 25.03, 101.55, 0.05),
    ("yuxi", 24.35, 102.54, 0.09),
];

/// Destination regions (name, lat, lon, share of jobs, reception hub kind).
const REGIONS: [(&str, f64, f64, f64); 12] = [
    ("guangzhou", 23.13, 113.26, 0.12),
    ("shenzhen", 22.54, 114.06, 0.12),
    ("dongguan", 23.02, 113.75, 0.12),
    ("foshan", 23.02, 113.12, 0.08),
    ("zhuhai", 22.27, 113.58, 0.05),
    ("ningbo", 29.87, 121.54, 0.07),
    ("hangzhou", 30.27, 120.15, 0.06),
    ("shanghai", 31.23, 121.47, 0.08),
    ("suzhou", 31.30, 120.59, 0.07),
    ("xiamen", 24.48, 118.09, 0.06),
    ("fuzhou", 26.07, 119.30, 0.04),
    ("kunming-industry", 24.95, 102.80, 0.13),
];

/// A province-like scenario: workers leave Yunnan's townships for employers in the Pearl River
/// delta, the Yangtze delta, Fujian and Kunming's industrial parks; buses go direct, regroup at
/// service areas, or feed special trains from Yunnan's stations and charter flights from
/// Kunming Changshui to reception hubs, whose buses take workers on.
pub fn province(size: ProvinceSize, seed: u64) -> Scenario {
    let mut r = Rng::new(seed ^ 0xC2);
    let types = vec![
        coach("coach-53", 53, 1.0, 0, 3000.0, 6.0),
        coach("coach-45", 45, 1.0, 2, 2600.0, 5.4),
        coach("minibus-33", 33, 1.0, 0, 1700.0, 4.0),
    ];
    let n_hubs = size.hubs.clamp(6, 50);
    // Hubs: reception hubs in the destination regions (a station each; two airports), then
    // Yunnan's stations and Kunming's airport, then service areas near the prefecture seats.
    let mut hubs: Vec<Hub> = Vec::new();
    let n_recv = (n_hubs / 4).clamp(2, REGIONS.len());
    let recv_regions: Vec<usize> = {
        let mut idx: Vec<usize> = (0..REGIONS.len()).collect();
        idx.sort_by(|&a, &b| REGIONS[b].3.total_cmp(&REGIONS[a].3).then(a.cmp(&b)));
        let mut v: Vec<usize> = idx.into_iter().take(n_recv).collect();
        v.sort_unstable();
        v
    };
    for &g in &recv_regions {
        let (name, lat, lon, _) = REGIONS[g];
        let mut h = hub(format!("recv-{name}"), &format!("Reception hub, {name}"), HubKind::Station, lat + 0.05, lon - 0.05, 40);
        h.fleet = BTreeMap::new();
        hubs.push(h);
    }
    let n_yn_stations = ((n_hubs - n_recv) / 4).clamp(1, 8);
    let station_prefs: Vec<usize> = vec![0, 2, 1, 4, 3, 14, 15, 5];
    for &p in station_prefs.iter().take(n_yn_stations) {
        let (name, lat, lon, _) = PREFECTURES[p];
        let label = if p == 0 { "Kunming South station".to_string() } else { format!("{name} station") };
        let lat = if p == 0 { 24.87 } else { lat + 0.03 };
        let lon = if p == 0 { 102.87 } else { lon + 0.03 };
        hubs.push(hub(format!("st-{name}"), &label, HubKind::Station, lat, lon, 45));
    }
    let airport = n_hubs - n_recv - n_yn_stations >= 3;
    if airport {
        hubs.push(hub("ap-kunming".into(), "Kunming Changshui airport", HubKind::Airport, 25.10, 102.93, 90));
    }
    let mut k = 0;
    while hubs.len() < n_hubs {
        let p = k % PREFECTURES.len();
        let (name, lat, lon, _) = PREFECTURES[p];
        let round = k / PREFECTURES.len();
        hubs.push(hub(
            format!("sa-{name}-{round}"),
            &format!("Service area near {name}"),
            HubKind::ServiceArea,
            lat + r.float(-0.4, 0.4),
            lon + r.float(-0.4, 0.4),
            r.range(20, 35),
        ));
        k += 1;
    }
    // Destinations: employers' drop points around the region centres.
    let region_w: Vec<f64> = REGIONS.iter().map(|g| g.3).collect();
    let mut dest_region = Vec::new();
    let destinations: Vec<Destination> = (0..size.destinations)
        .map(|i| {
            let g = pick(&mut r, &region_w);
            dest_region.push(g);
            let (name, lat, lon, _) = REGIONS[g];
            // Yunnan's own employers expect workers by the night of day 1; the others on day 2
            // or 3 (minutes from 00:00 on day 1).
            // Far employers leave time for a bus from the farthest prefecture (Dehong) at 60 km/h.
            let far_km = crate::travel::great_circle_km(24.43, 98.58, lat, lon) * 1.3;
            let deadline = if name == "kunming-industry" {
                1440 + r.range(0, 6) * 60
            } else {
                900 + (far_km / 60.0 * 60.0) as u32 + r.range(0, 12) * 60
            };
            Destination {
                id: format!("emp-{i:04}"),
                name: format!("Employer drop point {i}, {name}"),
                lat: lat + r.float(-0.3, 0.3),
                lon: lon + r.float(-0.3, 0.3),
                deadline_min: deadline,
                employers: Vec::new(),
            }
        })
        .collect();
    let d_weight: Vec<f64> = (0..destinations.len()).map(|_| log_normal(&mut r, 1.0)).collect();
    let by_region: Vec<Vec<usize>> =
        (0..REGIONS.len()).map(|g| (0..destinations.len()).filter(|&d| dest_region[d] == g).collect()).collect();
    // Departure points: townships around the prefecture seats, sized log-normally.
    let pref_w: Vec<f64> = PREFECTURES.iter().map(|p| p.3).collect();
    let placed: Vec<(usize, f64, f64)> = (0..size.origins)
        .map(|_| {
            let p = pick(&mut r, &pref_w);
            (p, PREFECTURES[p].1 + r.float(-0.6, 0.6), PREFECTURES[p].2 + r.float(-0.6, 0.6))
        })
        .collect();
    let o_weight: Vec<f64> = (0..size.origins).map(|_| log_normal(&mut r, 0.9)).collect();
    let totals = apportion(size.workers, &o_weight);
    let mut origins = Vec::with_capacity(size.origins);
    for (i, (&(p, lat, lon), &total)) in placed.iter().zip(&totals).enumerate() {
        // Chain migration: one or two regions, a few employers there.
        let mut targets = Vec::new();
        let n_regions = if r.chance(0.3) { 2 } else { 1 };
        let mut seen = Vec::new();
        for _ in 0..n_regions {
            let g = pick(&mut r, &region_w);
            if seen.contains(&g) || by_region[g].is_empty() {
                continue;
            }
            seen.push(g);
            let n = (r.range(2, 8) as usize).min(by_region[g].len());
            targets.extend(choose_targets(&mut r, &by_region[g], &d_weight, n));
        }
        if targets.is_empty() {
            let d = (i * 7 + p) % destinations.len();
            targets.push((d, 1.0));
        }
        targets.sort_by_key(|t| t.0);
        targets.dedup_by_key(|t| t.0);
        let workers = groups(&mut r, total, &targets, &destinations, 0.003);
        origins.push(Origin {
            id: format!("tw-{i:04}"),
            name: format!("Township {i}, {}", PREFECTURES[p].0),
            lat,
            lon,
            ready_min: 360 + r.range(0, 6) * 30,
            workers,
            fleet: fleet_for(&types, total, 0.15),
            escorts: None,
        });
    }
    // Services: special trains from Yunnan's stations and flights from Kunming to the
    // reception hubs, sized to carry about a third of the workers bound outside Yunnan.
    let local: std::collections::BTreeSet<&str> = destinations
        .iter()
        .zip(&dest_region)
        .filter(|&(_, &g)| REGIONS[g].0 == "kunming-industry")
        .map(|(d, _)| d.id.as_str())
        .collect();
    let outside: u64 =
        origins.iter().flat_map(|o| &o.workers).filter(|g| !local.contains(g.to.as_str())).map(|g| u64::from(g.count)).sum();
    let stations: Vec<usize> = (0..hubs.len()).filter(|&h| hubs[h].kind == HubKind::Station && hubs[h].id.starts_with("st-")).collect();
    let receptions: Vec<usize> = (0..n_recv).filter(|&h| !hubs[h].id.ends_with("kunming-industry")).collect();
    let mut services = Vec::new();
    if !stations.is_empty() && !receptions.is_empty() {
        let n_trains = ((outside as f64 / 3.0 / 1100.0).round() as usize).clamp(1, 72);
        for i in 0..n_trains {
            let from = stations[i % stations.len()];
            let to = receptions[(i / stations.len() + i) % receptions.len()];
            let km = crate::travel::great_circle_km(hubs[from].lat, hubs[from].lon, hubs[to].lat, hubs[to].lon);
            let dep = 720 + r.range(0, 16) * 30;
            let hours = (km * 1.2 / 160.0).ceil() as u32 + 1;
            services.push(Service {
                id: format!("Z{}", 7001 + i),
                kind: ServiceKind::Train,
                from: hubs[from].id.clone(),
                to: hubs[to].id.clone(),
                departure_min: dep,
                arrival_min: dep + hours * 60,
                seats: 1000 + r.range(0, 2) * 100,
                cost_per_seat_yuan: (km * 0.3).round(),
                accessible: true,
            });
        }
        if airport {
            let ap = hubs.iter().position(|h| h.id == "ap-kunming").expect("airport");
            let n_flights = ((outside as f64 / 200.0 / 160.0).round() as usize).clamp(1, 28);
            for i in 0..n_flights {
                let to = receptions[i % receptions.len()];
                let dep = 600 + r.range(0, 20) * 30;
                services.push(Service {
                    id: format!("CF{}", 901 + i),
                    kind: ServiceKind::Flight,
                    from: hubs[ap].id.clone(),
                    to: hubs[to].id.clone(),
                    departure_min: dep,
                    arrival_min: dep + 180,
                    seats: 160 + r.range(0, 2) * 10,
                    cost_per_seat_yuan: 700.0,
                    accessible: true,
                });
            }
        }
    }
    // Reception hubs keep local buses for the workers that trains and flights bring.
    let mut arriving: BTreeMap<String, u64> = BTreeMap::new();
    for s in &services {
        *arriving.entry(s.to.clone()).or_default() += u64::from(s.seats);
    }
    for h in &mut hubs {
        if let Some(&n) = arriving.get(&h.id) {
            h.fleet = fleet_for(&types, n, 0.1);
        }
    }
    Scenario {
        name: format!("province-{}-{seed}", size.workers),
        description: format!(
            "Province tier, seed {seed}: Yunnan shape, {} departure points, {} hubs, {} employer drop points, {} workers, {} trains and flights. Times in minutes from 00:00 on day 1. Generated.",
            size.origins,
            hubs.len(),
            size.destinations,
            size.workers,
            services.len()
        ),
        vehicle_types: types,
        origins,
        hubs,
        destinations,
        services,
        travel: Travel { model: TravelModel::GreatCircle { circuity: 1.3 }, speed_kmh: 70.0 },
        objective: Objective { worker_minute_yuan: 0.1, ..Objective::default() },
        rules: Rules::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_are_valid_deterministic_and_sized() {
        for t in [Tier::County, Tier::City] {
            let a = tier(t, 3);
            assert_eq!(a, tier(t, 3));
            crate::validate::validate(&a).unwrap();
        }
        assert_eq!(county(1).total_workers(), 630);
        assert_eq!(city(1).total_workers(), 15_000);
        assert_eq!(city(1).destinations.len(), 200);
    }

    #[test]
    fn province_like_sizes_are_valid() {
        for workers in [500, 5_000, 50_000] {
            let s = province(ProvinceSize::for_workers(workers), 2);
            crate::validate::validate(&s).unwrap();
            assert_eq!(s.total_workers(), workers);
        }
    }
}
