//! The plan as GeoJSON (RFC 7946), for desktop GIS (QGIS) and web maps (kepler.gl, geojson.io).
//!
//! Takes: a scenario and its plan. Gives: the text of one `FeatureCollection`
//! ([`plan_geojson`]), positions as `[lon, lat]` in WGS84:
//!
//! - a `Point` per site: departure points (`kind: "origin"`), hubs (`kind: "hub"`, with
//!   `hub_kind`) and drop points (`kind: "destination"`), with the workers boarding or dropped,
//!   the buses and the deadline;
//! - a `LineString` per vehicle leg (`kind: "leg"`): vehicle id and type, from, to, depart and
//!   arrive (minutes from the plan start and `HH:MM`), passengers, km, and the vehicle type's
//!   colour in `stroke` (simplestyle-spec) and `color`;
//! - a `LineString` per scheduled service that carries workers (`kind: "service"`).
//!
//! When the scenario's travel model is a road graph whose nodes have positions, legs follow the
//! shortest open road path; otherwise they are straight lines between the sites. Features come
//! in a fixed order (sites in scenario order, then legs in plan order, then services), so the
//! same plan always gives the same text.

use crate::map::{hex, type_colour, SERVICE_COLOUR};
use crate::roads::RoadPaths;
use busplan_core::plan::Plan;
use busplan_core::scenario::{HubKind, Scenario, ServiceKind};
use geojson::{Feature, FeatureCollection, Geometry, JsonObject, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// Errors of the GeoJSON export.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoJsonError {
    /// The plan names a site that the scenario does not have (a plan of another scenario?).
    #[error("the plan names site {0:?}, which the scenario does not have: is it the plan of this scenario?")]
    UnknownSite(String),
}

/// Minutes from the plan start as `HH:MM` (hours may pass 24 on the next day): the same
/// clock as the manifests.
pub use crate::import::hhmm;

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Sites by id: `(lat, lon)`.
pub(crate) fn site_positions(s: &Scenario) -> BTreeMap<&str, (f64, f64)> {
    s.sites().map(|(id, lat, lon)| (id, (lat, lon))).collect()
}

/// The `(lat, lon)` points of a drive from one site to another: along the roads when
/// possible, else straight.
pub(crate) fn drive_points(
    sites: &BTreeMap<&str, (f64, f64)>,
    roads: Option<&RoadPaths>,
    from: &str,
    to: &str,
) -> Option<Vec<(f64, f64)>> {
    let a = *sites.get(from)?;
    let b = *sites.get(to)?;
    let mut points = vec![a];
    if let Some(path) = roads.and_then(|r| r.path(from, to)) {
        points.extend(path);
    }
    points.push(b);
    points.dedup();
    if points.len() == 1 {
        points.push(b);
    }
    Some(points)
}

pub(crate) fn hub_kind_name(k: HubKind) -> &'static str {
    match k {
        HubKind::ServiceArea => "service_area",
        HubKind::Station => "station",
        HubKind::Airport => "airport",
    }
}

fn service_kind_name(k: ServiceKind) -> &'static str {
    match k {
        ServiceKind::Train => "train",
        ServiceKind::ReservedCarriage => "reserved_carriage",
        ServiceKind::Flight => "flight",
    }
}

fn line(points: &[(f64, f64)]) -> Geometry {
    Geometry::new(Value::LineString(points.iter().map(|&(lat, lon)| vec![round6(lon), round6(lat)]).collect()))
}

fn point(lat: f64, lon: f64) -> Geometry {
    Geometry::new(Value::Point(vec![round6(lon), round6(lat)]))
}

fn feature(id: String, geometry: Geometry, properties: serde_json::Value) -> Feature {
    let properties: Option<JsonObject> = match properties {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    };
    Feature {
        bbox: None,
        geometry: Some(geometry),
        id: Some(geojson::feature::Id::String(id)),
        properties,
        foreign_members: None,
    }
}

/// Per-site figures of a plan.
#[derive(Default)]
pub(crate) struct SiteLoad {
    /// Workers who board a bus here from home (origins).
    pub boarding: u64,
    /// Workers who get off here at their destination.
    pub dropped: u64,
    /// Workers who arrive here by bus or service and go on (hubs).
    pub arriving: u64,
    /// Buses that start here.
    pub based: u64,
    /// Bus legs that end here.
    pub buses_in: u64,
}

pub(crate) fn site_loads(p: &Plan) -> BTreeMap<String, SiteLoad> {
    let mut loads: BTreeMap<String, SiteLoad> = BTreeMap::new();
    for v in &p.vehicles {
        loads.entry(v.base.clone()).or_default().based += 1;
        for leg in &v.legs {
            for pax in &leg.passengers {
                if pax.origin == leg.from {
                    loads.entry(leg.from.clone()).or_default().boarding += u64::from(pax.count);
                }
                let end = loads.entry(leg.to.clone()).or_default();
                if pax.destination == leg.to {
                    end.dropped += u64::from(pax.count);
                } else {
                    end.arriving += u64::from(pax.count);
                }
            }
            loads.entry(leg.to.clone()).or_default().buses_in += 1;
        }
    }
    for svc in &p.services {
        let n: u64 = svc.passengers.iter().map(|x| u64::from(x.count)).sum();
        loads.entry(svc.to.clone()).or_default().arriving += n;
    }
    loads
}

/// The plan as a GeoJSON `FeatureCollection` (pretty-printed text). See the module
/// documentation for the features and their properties.
pub fn plan_geojson(s: &Scenario, p: &Plan) -> Result<String, GeoJsonError> {
    let sites = site_positions(s);
    let roads = RoadPaths::new(s);
    let loads = site_loads(p);
    let none = SiteLoad::default();
    let load = |id: &str| loads.get(id).unwrap_or(&none);
    let mut features = Vec::new();
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for o in &s.origins {
        for w in &o.workers {
            *expected.entry(w.to.as_str()).or_default() += u64::from(w.count);
        }
    }
    let mut unserved: BTreeMap<&str, u64> = BTreeMap::new();
    for u in &p.unserved {
        *unserved.entry(u.origin.as_str()).or_default() += u64::from(u.count);
        *unserved.entry(u.destination.as_str()).or_default() += u64::from(u.count);
    }
    for o in &s.origins {
        let l = load(&o.id);
        features.push(feature(
            format!("origin:{}", o.id),
            point(o.lat, o.lon),
            json!({
                "kind": "origin",
                "id": o.id,
                "name": o.name,
                "workers": o.workers.iter().map(|w| u64::from(w.count)).sum::<u64>(),
                "workers_boarding": l.boarding,
                "workers_unserved": unserved.get(o.id.as_str()).copied().unwrap_or(0),
                "buses": l.based,
                "ready_min": o.ready_min,
                "ready": hhmm(o.ready_min),
                "marker-color": "#1b7837",
                "marker-symbol": "bus",
            }),
        ));
    }
    for h in &s.hubs {
        let l = load(&h.id);
        features.push(feature(
            format!("hub:{}", h.id),
            point(h.lat, h.lon),
            json!({
                "kind": "hub",
                "id": h.id,
                "name": h.name,
                "hub_kind": hub_kind_name(h.kind),
                "transfer_min": h.transfer_min,
                "workers_arriving": l.arriving,
                "buses": l.buses_in,
                "buses_based": l.based,
                "marker-color": "#5e3c99",
                "marker-symbol": match h.kind {
                    HubKind::ServiceArea => "fuel",
                    HubKind::Station => "rail",
                    HubKind::Airport => "airport",
                },
            }),
        ));
    }
    for d in &s.destinations {
        let l = load(&d.id);
        features.push(feature(
            format!("destination:{}", d.id),
            point(d.lat, d.lon),
            json!({
                "kind": "destination",
                "id": d.id,
                "name": d.name,
                "workers_expected": expected.get(d.id.as_str()).copied().unwrap_or(0),
                "workers_dropped": l.dropped,
                "workers_unserved": unserved.get(d.id.as_str()).copied().unwrap_or(0),
                "buses": l.buses_in,
                "deadline_min": d.deadline_min,
                "deadline": hhmm(d.deadline_min),
                "employers": d.employers.join("; "),
                "marker-color": "#b2182b",
                "marker-symbol": "industry",
            }),
        ));
    }
    for v in &p.vehicles {
        let ti = s.vehicle_type_index(&v.vehicle_type);
        let colour = ti.map_or_else(|| hex(SERVICE_COLOUR), |i| hex(type_colour(i)));
        let seats = ti.map_or(0, |i| s.vehicle_types[i].capped_seats());
        for (n, leg) in v.legs.iter().enumerate() {
            let points = drive_points(&sites, roads.as_ref(), &leg.from, &leg.to).ok_or_else(|| {
                GeoJsonError::UnknownSite(if sites.contains_key(leg.from.as_str()) { leg.to.clone() } else { leg.from.clone() })
            })?;
            let on: u32 = leg.passengers.iter().map(|x| x.count).sum();
            let width = if seats > 0 { 1.0 + 4.0 * f64::from(on) / f64::from(seats) } else { 2.0 };
            features.push(feature(
                format!("{}/{}", v.id, n + 1),
                line(&points),
                json!({
                    "kind": "leg",
                    "vehicle": v.id,
                    "vehicle_type": v.vehicle_type,
                    "escort": v.escort,
                    "leg": n + 1,
                    "from": leg.from,
                    "to": leg.to,
                    "depart_min": leg.depart_min,
                    "arrive_min": leg.arrive_min,
                    "depart": hhmm(leg.depart_min),
                    "arrive": hhmm(leg.arrive_min),
                    "passengers": on,
                    "seats": seats,
                    "km": leg.km,
                    "stroke": colour,
                    "color": colour,
                    "stroke-width": (width * 10.0).round() / 10.0,
                    "stroke-opacity": 0.85,
                }),
            ));
        }
    }
    let colour = hex(SERVICE_COLOUR);
    for svc in &p.services {
        let (Some(a), Some(b)) = (sites.get(svc.from.as_str()), sites.get(svc.to.as_str())) else {
            return Err(GeoJsonError::UnknownSite(format!("{} or {}", svc.from, svc.to)));
        };
        let on: u32 = svc.passengers.iter().map(|x| x.count).sum();
        let kind = s.services.iter().find(|x| x.id == svc.id).map_or("service", |x| service_kind_name(x.kind));
        features.push(feature(
            format!("service:{}", svc.id),
            line(&[*a, *b]),
            json!({
                "kind": "service",
                "service": svc.id,
                "service_kind": kind,
                "from": svc.from,
                "to": svc.to,
                "depart_min": svc.departure_min,
                "arrive_min": svc.arrival_min,
                "depart": hhmm(svc.departure_min),
                "arrive": hhmm(svc.arrival_min),
                "passengers": on,
                "seats": svc.seats,
                "stroke": colour,
                "color": colour,
                "stroke-width": 3,
                "stroke-opacity": 0.85,
            }),
        ));
    }
    let mut foreign = JsonObject::new();
    foreign.insert("name".to_string(), json!(s.name));
    let fc = FeatureCollection { bbox: None, features, foreign_members: Some(foreign) };
    Ok(serde_json::to_string_pretty(&fc).expect("GeoJSON values always serialise") + "\n")
}
