//! SVG pictures: a map of a plan ([`plan_svg`]) and a labour heat map of workers available
//! against employers' demand ([`heat_svg`]), drawn with plotters' SVG backend.
//!
//! Takes: a scenario (and its plan). Gives: SVG text. Text is written as SVG `<text>` elements
//! in the viewer's `sans-serif` font: no font file is read.
//!
//! Both pictures use an equirectangular projection around the middle latitude of the sites
//! (x = lon * cos(lat0), y = lat), so that distances look right near the sites, with margins
//! and a title. On the plan map:
//!
//! - bus legs are drawn once per start, end and vehicle type, in the type's colour (legend on
//!   the right), as wide as their passengers (widest = most passengers), with an arrow head;
//!   several types on the same road are drawn side by side;
//! - scheduled services (trains, flights) are dashed dark lines;
//! - departure points are green circles labelled `id (workers boarding)`, hubs purple squares
//!   (service areas) or diamonds (stations, airports), drop points red triangles labelled
//!   `id (workers dropped)`, both with `, n unserved` when workers are left behind;
//! - with a road-graph travel model whose nodes have positions, legs follow the roads, open
//!   roads are drawn in light grey and closed roads as dashed red lines.
//!
//! The heat map divides the box around the sites into square cells and colours each by the
//! workers supplied minus the workers demanded there: each departure point spreads its workers,
//! and each drop point the workers sent to it, over the cells with a Gaussian kernel (width a
//! twelfth of the box), each site's kernel scaled so that its cells add up to its workers.
//! Blue cells have workers to spare, red cells employers short of workers, on a symmetric
//! diverging scale shown by the colour bar.

use crate::geojson::{drive_points, hub_kind_name, site_loads, site_positions, SiteLoad};
use crate::roads::RoadPaths;
use busplan_core::plan::Plan;
use busplan_core::scenario::{HubKind, Scenario, TravelModel};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Errors of the pictures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MapError {
    /// The plan names a site that the scenario does not have.
    #[error("the plan names site {0:?}, which the scenario does not have: is it the plan of this scenario?")]
    UnknownSite(String),
    /// Drawing failed.
    #[error("drawing failed: {0}")]
    Draw(String),
}

/// Colours of vehicle types, by index in the scenario's list (Tableau 10).
const PALETTE: [(u8, u8, u8); 10] = [
    (0x4e, 0x79, 0xa7),
    (0xf2, 0x8e, 0x2b),
    (0xe1, 0x57, 0x59),
    (0x76, 0xb7, 0xb2),
    (0x59, 0xa1, 0x4f),
    (0xed, 0xc9, 0x48),
    (0xb0, 0x7a, 0xa1),
    (0xff, 0x9d, 0xa7),
    (0x9c, 0x75, 0x5f),
    (0xba, 0xb0, 0xac),
];

/// Colour of scheduled services.
pub(crate) const SERVICE_COLOUR: (u8, u8, u8) = (0x33, 0x33, 0x33);
const ORIGIN_COLOUR: RGBColor = RGBColor(0x1b, 0x78, 0x37);
const HUB_COLOUR: RGBColor = RGBColor(0x5e, 0x3c, 0x99);
const DEST_COLOUR: RGBColor = RGBColor(0xb2, 0x18, 0x2b);
const ROAD_COLOUR: RGBColor = RGBColor(0xd0, 0xd0, 0xd0);
const CLOSED_COLOUR: RGBColor = RGBColor(0xd7, 0x30, 0x27);
const TEXT_COLOUR: RGBColor = RGBColor(0x22, 0x22, 0x22);
const BACKGROUND: RGBColor = RGBColor(0xff, 0xff, 0xff);

/// The colour of the vehicle type with this index in the scenario's list.
pub(crate) fn type_colour(index: usize) -> (u8, u8, u8) {
    PALETTE[index % PALETTE.len()]
}

/// `#rrggbb`.
pub(crate) fn hex(c: (u8, u8, u8)) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn rgb(c: (u8, u8, u8)) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

fn draw_err<E: std::fmt::Debug>(e: E) -> MapError {
    MapError::Draw(format!("{e:?}"))
}

const MAP_W: f64 = 820.0;
const PANEL_W: i32 = 270;
const TOP: i32 = 64;
const MARGIN: i32 = 24;

/// Equirectangular projection of a box of positions into the map area.
struct Projection {
    cos0: f64,
    x0: f64,
    y1: f64,
    scale: f64,
    off: (f64, f64),
    size: (i32, i32),
}

impl Projection {
    /// Fits `(lat, lon)` points into a map area about `MAP_W` wide, with a margin.
    fn fit(points: &[(f64, f64)]) -> Projection {
        let (mut lat_lo, mut lat_hi, mut lon_lo, mut lon_hi) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for &(lat, lon) in points {
            lat_lo = lat_lo.min(lat);
            lat_hi = lat_hi.max(lat);
            lon_lo = lon_lo.min(lon);
            lon_hi = lon_hi.max(lon);
        }
        if points.is_empty() {
            (lat_lo, lat_hi, lon_lo, lon_hi) = (0.0, 1.0, 0.0, 1.0);
        }
        let cos0 = f64::midpoint(lat_lo, lat_hi).to_radians().cos().max(0.05);
        // At least 0.1 degree each way, and 8 % padding on every side.
        let (mut x0, mut x1) = (lon_lo * cos0, lon_hi * cos0);
        let (mut y0, mut y1) = (lat_lo, lat_hi);
        let span = (x1 - x0).max(y1 - y0).max(0.1);
        let grow = |lo: &mut f64, hi: &mut f64| {
            let mid = f64::midpoint(*lo, *hi);
            let half = ((*hi - *lo) / 2.0).max(span * 0.25) * 1.16;
            *lo = mid - half;
            *hi = mid + half;
        };
        grow(&mut x0, &mut x1);
        grow(&mut y0, &mut y1);
        let w = MAP_W;
        let h = (w * (y1 - y0) / (x1 - x0)).clamp(380.0, 760.0);
        let scale = (w / (x1 - x0)).min(h / (y1 - y0));
        let off = ((w - scale * (x1 - x0)) / 2.0, (h - scale * (y1 - y0)) / 2.0);
        Projection { cos0, x0, y1, scale, off, size: (w as i32, h as i32) }
    }

    fn px(&self, lat: f64, lon: f64) -> (i32, i32) {
        let x = MARGIN as f64 + self.off.0 + (lon * self.cos0 - self.x0) * self.scale;
        let y = TOP as f64 + self.off.1 + (self.y1 - lat) * self.scale;
        (x.round() as i32, y.round() as i32)
    }

    fn canvas(&self) -> (u32, u32) {
        ((self.size.0 + 2 * MARGIN + PANEL_W) as u32, (self.size.1 + TOP + MARGIN).max(520) as u32)
    }
}

fn font(size: u32, colour: RGBColor, h: HPos) -> TextStyle<'static> {
    TextStyle { font: ("sans-serif", size).into_font(), color: colour.to_backend_color(), pos: Pos::new(h, VPos::Center) }
}

/// Rough pixel width of a label (SVG text is measured by the viewer; this only spaces labels).
fn text_width(text: &str, size: u32) -> i32 {
    // plotters writes font-size = size / 1.24; a sans-serif character is about 0.55 em wide.
    (text.chars().count() as f64 * f64::from(size) / 1.24 * 0.56).ceil() as i32 + 2
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Box2 = (i32, i32, i32, i32);

fn overlaps(a: Box2, b: Box2) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Places labels next to their markers without overlapping each other or the markers where
/// possible: eight directions at growing distances, with a leader line when far.
struct Labels {
    taken: Vec<Box2>,
    bounds: Box2,
}

impl Labels {
    /// Labels inside `bounds` that keep clear of the markers.
    fn around(bounds: Box2, markers: &[((i32, i32), Shape, RGBColor, String)]) -> Labels {
        let taken = markers.iter().map(|((x, y), ..)| (x - 8, y - 8, x + 8, y + 8)).collect();
        Labels { taken, bounds }
    }

    fn place(&mut self, area: &Area, anchor: (i32, i32), text: &str, size: u32, colour: RGBColor) -> Result<(), MapError> {
        let w = text_width(text, size);
        let h = i32::try_from(size).unwrap_or(12) + 2;
        // The first free place inside the frame; failing that, the place inside the frame
        // that overlaps the fewest labels and markers.
        let mut best: Option<(usize, Box2, i32)> = None;
        'search: for dist in [9, 24, 42, 64, 90, 120] {
            for (dx, dy) in [(1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (1, 1), (-1, -1), (-1, 1)] {
                let x = anchor.0 + dx * dist + match dx { ..0 => -w, 0 => -w / 2, _ => 0 };
                let y = anchor.1 + dy * dist - h / 2;
                let b = (x, y, x + w, y + h);
                let inside = b.0 >= self.bounds.0 && b.1 >= self.bounds.1 && b.2 <= self.bounds.2 && b.3 <= self.bounds.3;
                if !inside {
                    continue;
                }
                let clashes = self.taken.iter().filter(|t| overlaps(**t, b)).count();
                if best.is_none_or(|(c, ..)| clashes < c) {
                    best = Some((clashes, b, dist));
                }
                if clashes == 0 {
                    break 'search;
                }
            }
        }
        let (b, dist) = best.map_or_else(
            || {
                let x = (anchor.0 + 9).min(self.bounds.2 - w).max(self.bounds.0);
                ((x, anchor.1 - h / 2, x + w, anchor.1 - h / 2 + h), 9)
            },
            |(_, b, d)| (b, d),
        );
        // A leader line when the label sits away from its marker.
        let gap = (b.0 - anchor.0).max(anchor.0 - b.2).max(0).max((b.1 - anchor.1).max(anchor.1 - b.3).max(0));
        if dist > 9 || gap > 12 {
            let end = ((b.0 + b.2) / 2, (b.1 + b.3) / 2);
            area.draw(&PathElement::new(vec![anchor, end], RGBColor(0x88, 0x88, 0x88).stroke_width(1))).map_err(draw_err)?;
        }
        // A white halo behind the text keeps it readable over the lines.
        area.draw(&Rectangle::new([(b.0 - 1, b.1), (b.2 + 1, b.3)], BACKGROUND.mix(0.8).filled())).map_err(draw_err)?;
        area.draw(&Text::new(text.to_string(), (b.0, (b.1 + b.3) / 2), font(size, colour, HPos::Left))).map_err(draw_err)?;
        self.taken.push(b);
        Ok(())
    }
}

fn marker(area: &Area, at: (i32, i32), shape: Shape, colour: RGBColor) -> Result<(), MapError> {
    let (x, y) = at;
    let style = colour.filled();
    let edge = BACKGROUND.stroke_width(1);
    match shape {
        Shape::Circle => {
            area.draw(&Circle::new(at, 6, style)).map_err(draw_err)?;
            area.draw(&Circle::new(at, 6, edge)).map_err(draw_err)?;
        }
        Shape::Square => {
            area.draw(&Rectangle::new([(x - 6, y - 6), (x + 6, y + 6)], style)).map_err(draw_err)?;
            area.draw(&Rectangle::new([(x - 6, y - 6), (x + 6, y + 6)], edge)).map_err(draw_err)?;
        }
        Shape::Diamond => {
            area.draw(&Polygon::new(vec![(x, y - 8), (x + 8, y), (x, y + 8), (x - 8, y)], style)).map_err(draw_err)?;
        }
        Shape::Triangle => {
            area.draw(&Polygon::new(vec![(x, y - 8), (x + 7, y + 6), (x - 7, y + 6)], style)).map_err(draw_err)?;
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Shape {
    Circle,
    Square,
    Diamond,
    Triangle,
}

fn hub_shape(k: HubKind) -> Shape {
    match k {
        HubKind::ServiceArea => Shape::Square,
        HubKind::Station | HubKind::Airport => Shape::Diamond,
    }
}

fn title(area: &Area, main: &str, sub: &str) -> Result<(), MapError> {
    area.draw(&Text::new(main.to_string(), (MARGIN, 22), font(22, TEXT_COLOUR, HPos::Left))).map_err(draw_err)?;
    area.draw(&Text::new(sub.to_string(), (MARGIN, 46), font(15, RGBColor(0x55, 0x55, 0x55), HPos::Left))).map_err(draw_err)
}

/// Road sections with positions at both ends: `(points, closed)`.
fn road_lines(s: &Scenario) -> Vec<([(f64, f64); 2], bool)> {
    let TravelModel::Roads { nodes, edges, .. } = &s.travel.model else { return Vec::new() };
    let pos: BTreeMap<&str, (f64, f64)> =
        nodes.iter().filter(|n| !(n.lat == 0.0 && n.lon == 0.0)).map(|n| (n.id.as_str(), (n.lat, n.lon))).collect();
    edges
        .iter()
        .filter_map(|e| Some(([*pos.get(e.from.as_str())?, *pos.get(e.to.as_str())?], e.closed)))
        .collect()
}

/// A point `frac` of the way along a pixel polyline and the direction there.
fn along(points: &[(i32, i32)], frac: f64) -> Option<((f64, f64), (f64, f64))> {
    let seg = |a: (i32, i32), b: (i32, i32)| f64::from(b.0 - a.0).hypot(f64::from(b.1 - a.1));
    let total: f64 = points.windows(2).map(|w| seg(w[0], w[1])).sum();
    if total < 1.0 {
        return None;
    }
    let mut left = total * frac;
    for w in points.windows(2) {
        let l = seg(w[0], w[1]);
        if l > 0.0 && left <= l {
            let d = (f64::from(w[1].0 - w[0].0) / l, f64::from(w[1].1 - w[0].1) / l);
            return Some(((f64::from(w[0].0) + d.0 * left, f64::from(w[0].1) + d.1 * left), d));
        }
        left -= l;
    }
    None
}

/// Bus legs drawn as one line: buses, passengers, `(lat, lon)` points.
struct Group {
    buses: u32,
    passengers: u32,
    points: Vec<(f64, f64)>,
}

/// The map of a plan as SVG text. See the module documentation for what is drawn.
pub fn plan_svg(s: &Scenario, p: &Plan) -> Result<String, MapError> {
    let sites = site_positions(s);
    let roads = RoadPaths::new(s);
    let loads = site_loads(p);
    let none = SiteLoad::default();
    let load = |id: &str| loads.get(id).unwrap_or(&none);

    // Bus legs, once per (from, to, type).
    let mut groups: BTreeMap<(String, String, String), Group> = BTreeMap::new();
    for v in &p.vehicles {
        for leg in &v.legs {
            let key = (leg.from.clone(), leg.to.clone(), v.vehicle_type.clone());
            if !groups.contains_key(&key) {
                let points = drive_points(&sites, roads.as_ref(), &leg.from, &leg.to).ok_or_else(|| {
                    MapError::UnknownSite(if sites.contains_key(leg.from.as_str()) { leg.to.clone() } else { leg.from.clone() })
                })?;
                groups.insert(key.clone(), Group { buses: 0, passengers: 0, points });
            }
            let g = groups.get_mut(&key).expect("inserted above");
            g.buses += 1;
            g.passengers += leg.passengers.iter().map(|x| x.count).sum::<u32>();
        }
    }
    for svc in &p.services {
        for id in [&svc.from, &svc.to] {
            if !sites.contains_key(id.as_str()) {
                return Err(MapError::UnknownSite(id.clone()));
            }
        }
    }
    let roads_drawn = road_lines(s);
    let mut all: Vec<(f64, f64)> = sites.values().copied().collect();
    all.extend(groups.values().flat_map(|g| g.points.iter().copied()));
    let proj = Projection::fit(&all);
    let (w, h) = proj.canvas();
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        area.fill(&BACKGROUND).map_err(draw_err)?;
        let t = &p.totals;
        let mut sub = format!(
            "{} of {} workers delivered, {} buses, {:.0} bus-km, {} services",
            t.workers_delivered,
            t.workers,
            t.buses,
            t.bus_km,
            p.services.len()
        );
        if t.workers_unserved > 0 {
            let _ = write!(sub, ", {} UNSERVED", t.workers_unserved);
        }
        title(&area, &format!("Plan: {}", s.name), &sub)?;
        // Frame of the map.
        let frame = (MARGIN, TOP, MARGIN + proj.size.0, TOP + proj.size.1);
        area.draw(&Rectangle::new([(frame.0, frame.1), (frame.2, frame.3)], RGBColor(0xbb, 0xbb, 0xbb).stroke_width(1)))
            .map_err(draw_err)?;
        for (pts, closed) in &roads_drawn {
            let a = proj.px(pts[0].0, pts[0].1);
            let b = proj.px(pts[1].0, pts[1].1);
            if *closed {
                area.draw(&DashedPathElement::new(vec![a, b], 6, 4, CLOSED_COLOUR.stroke_width(3))).map_err(draw_err)?;
            } else {
                area.draw(&PathElement::new(vec![a, b], ROAD_COLOUR.stroke_width(2))).map_err(draw_err)?;
            }
        }
        // Services first, under the buses.
        let mut service_labels = Vec::new();
        for svc in &p.services {
            let (a, b) = (sites[svc.from.as_str()], sites[svc.to.as_str()]);
            let pts = vec![proj.px(a.0, a.1), proj.px(b.0, b.1)];
            area.draw(&DashedPathElement::new(pts.clone(), 10, 6, rgb(SERVICE_COLOUR).stroke_width(3))).map_err(draw_err)?;
            let n: u32 = svc.passengers.iter().map(|x| x.count).sum();
            // Services between the same hubs get their labels at different places.
            let same = p.services.iter().take_while(|x| x.id != svc.id).filter(|x| x.from == svc.from && x.to == svc.to).count();
            if let Some(((x, y), _)) = along(&pts, 0.5 + 0.12 * same as f64) {
                service_labels.push(((x as i32, y as i32), format!("{} ({n})", svc.id)));
            }
        }
        // Bus legs: side by side when several types share a road.
        let max_pax = groups.values().map(|g| g.passengers).max().unwrap_or(1).max(1);
        let mut per_pair: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for (from, to, vt) in groups.keys() {
            let pair = if from <= to { (from.clone(), to.clone()) } else { (to.clone(), from.clone()) };
            per_pair.entry(pair).or_default().push(format!("{from}>{to}>{vt}"));
        }
        // Widest first, so that thinner lines on the same road stay visible on top.
        let mut order: Vec<(&(String, String, String), &Group)> = groups.iter().collect();
        order.sort_by_key(|(_, g)| std::cmp::Reverse(g.passengers));
        for ((from, to, vt), g) in order {
            let pair = if from <= to { (from.clone(), to.clone()) } else { (to.clone(), from.clone()) };
            let mates = &per_pair[&pair];
            let me = mates.iter().position(|m| *m == format!("{from}>{to}>{vt}")).unwrap_or(0);
            let shift = (me as f64 - (mates.len() as f64 - 1.0) / 2.0) * 5.0;
            let mut pts: Vec<(i32, i32)> = g.points.iter().map(|&(lat, lon)| proj.px(lat, lon)).collect();
            let (first, last) = (pts[0], pts[pts.len() - 1]);
            let len = f64::from(last.0 - first.0).hypot(f64::from(last.1 - first.1)).max(1.0);
            // Shift perpendicular to the pair's direction taken in a fixed order, so that
            // both directions of a pair agree on which side is which.
            let sign = if *from <= *to { 1.0 } else { -1.0 };
            let (nx, ny) = (-f64::from(last.1 - first.1) / len * sign, f64::from(last.0 - first.0) / len * sign);
            for q in &mut pts {
                *q = (q.0 + (nx * shift).round() as i32, q.1 + (ny * shift).round() as i32);
            }
            let colour = rgb(type_colour(s.vehicle_type_index(vt).unwrap_or(0)));
            let width = 2 + (6.0 * f64::from(g.passengers) / f64::from(max_pax)).round() as u32;
            area.draw(&PathElement::new(pts.clone(), colour.mix(0.85).stroke_width(width))).map_err(draw_err)?;
            if let Some(((x, y), (dx, dy))) = along(&pts, 0.6) {
                let size = 6.0 + f64::from(width);
                let tip = ((x + dx * size) as i32, (y + dy * size) as i32);
                let l = ((x - dy * size * 0.6) as i32, (y + dx * size * 0.6) as i32);
                let r = ((x + dy * size * 0.6) as i32, (y - dx * size * 0.6) as i32);
                area.draw(&Polygon::new(vec![tip, l, r], colour.filled())).map_err(draw_err)?;
            }
        }
        // Markers, then labels around them.
        // Labels go around the markers, and the markers on top.
        let mut markers: Vec<((i32, i32), Shape, RGBColor, String)> = Vec::new();
        let mut unserved: BTreeMap<&str, u32> = BTreeMap::new();
        for u in &p.unserved {
            *unserved.entry(u.origin.as_str()).or_default() += u.count;
            *unserved.entry(u.destination.as_str()).or_default() += u.count;
        }
        let count = |id: &str, n: u64| match unserved.get(id) {
            Some(u) => format!("{id} ({n}, {u} unserved)"),
            None => format!("{id} ({n})"),
        };
        for o in &s.origins {
            markers.push((proj.px(o.lat, o.lon), Shape::Circle, ORIGIN_COLOUR, count(&o.id, load(&o.id).boarding)));
        }
        for hb in &s.hubs {
            markers.push((proj.px(hb.lat, hb.lon), hub_shape(hb.kind), HUB_COLOUR, hb.id.clone()));
        }
        for d in &s.destinations {
            markers.push((proj.px(d.lat, d.lon), Shape::Triangle, DEST_COLOUR, count(&d.id, load(&d.id).dropped)));
        }
        let mut labels = Labels::around(frame, &markers);
        for (at, _, colour, text) in &markers {
            labels.place(&area, *at, text, 13, *colour)?;
        }
        for (at, text) in &service_labels {
            labels.place(&area, *at, text, 13, rgb(SERVICE_COLOUR))?;
        }
        for (at, shape, colour, _) in &markers {
            marker(&area, *at, *shape, *colour)?;
        }
        // Legend.
        let x = MARGIN + proj.size.0 + 20;
        let mut y = TOP + 10;
        let legend_text = |area: &Area, y: i32, text: String| {
            area.draw(&Text::new(text, (x + 34, y), font(14, TEXT_COLOUR, HPos::Left))).map_err(draw_err)
        };
        area.draw(&Text::new("Buses by type", (x, y), font(15, TEXT_COLOUR, HPos::Left))).map_err(draw_err)?;
        y += 24;
        for (i, vt) in s.vehicle_types.iter().enumerate() {
            let n = t.buses_by_type.get(&vt.id).copied().unwrap_or(0);
            let colour = rgb(type_colour(i));
            area.draw(&PathElement::new(vec![(x, y), (x + 26, y)], colour.stroke_width(5))).map_err(draw_err)?;
            legend_text(&area, y, format!("{}: {n} buses", vt.id))?;
            y += 22;
        }
        if !s.services.is_empty() {
            area.draw(&DashedPathElement::new(vec![(x, y), (x + 26, y)], 8, 4, rgb(SERVICE_COLOUR).stroke_width(3)))
                .map_err(draw_err)?;
            legend_text(&area, y, "train / flight (workers)".to_string())?;
            y += 22;
        }
        if roads_drawn.iter().any(|r| r.1) {
            area.draw(&DashedPathElement::new(vec![(x, y), (x + 26, y)], 6, 4, CLOSED_COLOUR.stroke_width(3)))
                .map_err(draw_err)?;
            legend_text(&area, y, "closed road".to_string())?;
            y += 22;
        }
        if roads_drawn.iter().any(|r| !r.1) {
            area.draw(&PathElement::new(vec![(x, y), (x + 26, y)], ROAD_COLOUR.stroke_width(2))).map_err(draw_err)?;
            legend_text(&area, y, "open road".to_string())?;
            y += 22;
        }
        legend_text(&area, y, "line width: passengers".to_string())?;
        y += 34;
        area.draw(&Text::new("Sites", (x, y), font(15, TEXT_COLOUR, HPos::Left))).map_err(draw_err)?;
        y += 24;
        marker(&area, (x + 13, y), Shape::Circle, ORIGIN_COLOUR)?;
        legend_text(&area, y, "departure point (boarding)".to_string())?;
        y += 24;
        let mut kinds: Vec<HubKind> = s.hubs.iter().map(|h| h.kind).collect();
        kinds.sort_by_key(|k| hub_kind_name(*k));
        kinds.dedup();
        for k in kinds {
            marker(&area, (x + 13, y), hub_shape(k), HUB_COLOUR)?;
            legend_text(&area, y, format!("hub: {}", hub_kind_name(k).replace('_', " ")))?;
            y += 24;
        }
        marker(&area, (x + 13, y), Shape::Triangle, DEST_COLOUR)?;
        legend_text(&area, y, "drop point (dropped)".to_string())?;
        area.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// Seven-class diverging palette (ColorBrewer red-blue), red (short) to blue (to spare).
const DIVERGING: [(u8, u8, u8); 7] = [
    (0xb2, 0x18, 0x2b),
    (0xef, 0x8a, 0x62),
    (0xfd, 0xdb, 0xc7),
    (0xf7, 0xf7, 0xf7),
    (0xd1, 0xe5, 0xf0),
    (0x67, 0xa9, 0xcf),
    (0x21, 0x66, 0xac),
];

/// The colour of `t` in [-1, 1] on the diverging palette, interpolated.
fn diverging(t: f64) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let pos = f64::midpoint(t, 1.0) * (DIVERGING.len() - 1) as f64;
    let i = (pos.floor() as usize).min(DIVERGING.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (DIVERGING[i], DIVERGING[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Workers supplied by each origin and demanded at each destination: `(lat, lon, +/- workers)`.
fn labour(s: &Scenario) -> Vec<(f64, f64, f64)> {
    let mut demand: BTreeMap<&str, u64> = BTreeMap::new();
    let mut out = Vec::new();
    for o in &s.origins {
        let n: u64 = o.workers.iter().map(|w| u64::from(w.count)).sum();
        out.push((o.lat, o.lon, n as f64));
        for w in &o.workers {
            *demand.entry(w.to.as_str()).or_default() += u64::from(w.count);
        }
    }
    for d in &s.destinations {
        out.push((d.lat, d.lon, -(demand.get(d.id.as_str()).copied().unwrap_or(0) as f64)));
    }
    out
}

/// The labour heat map of a scenario as SVG text: workers supplied minus workers demanded,
/// smoothed over grid cells. See the module documentation.
pub fn heat_svg(s: &Scenario) -> Result<String, MapError> {
    let sites = labour(s);
    let positions: Vec<(f64, f64)> = sites.iter().map(|x| (x.0, x.1)).collect();
    let proj = Projection::fit(&positions);
    let (w, h) = proj.canvas();
    let cell = (f64::from(proj.size.0.max(proj.size.1)) / 48.0).max(8.0).round() as i32;
    let (nx, ny) = ((proj.size.0 + cell - 1) / cell, (proj.size.1 + cell - 1) / cell);
    let sigma = f64::from(proj.size.0.max(proj.size.1)) / 12.0;
    let mut grid = vec![0.0f64; (nx * ny) as usize];
    for &(lat, lon, n) in &sites {
        if n == 0.0 {
            continue;
        }
        let (sx, sy) = proj.px(lat, lon);
        let mut weights = vec![0.0f64; grid.len()];
        for j in 0..ny {
            for i in 0..nx {
                let cx = f64::from(MARGIN + i * cell) + f64::from(cell) / 2.0;
                let cy = f64::from(TOP + j * cell) + f64::from(cell) / 2.0;
                let d2 = (cx - f64::from(sx)).powi(2) + (cy - f64::from(sy)).powi(2);
                weights[(j * nx + i) as usize] = (-d2 / (2.0 * sigma * sigma)).exp();
            }
        }
        let total: f64 = weights.iter().sum();
        if total > 0.0 {
            for (g, wt) in grid.iter_mut().zip(&weights) {
                *g += n * wt / total;
            }
        }
    }
    let peak = grid.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-9);
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        area.fill(&BACKGROUND).map_err(draw_err)?;
        let supply: f64 = sites.iter().filter(|x| x.2 > 0.0).map(|x| x.2).sum();
        title(
            &area,
            &format!("Labour: {}", s.name),
            &format!(
                "workers available (blue) against workers demanded (red): {supply:.0} workers, {} departure points, {} drop points",
                s.origins.len(),
                s.destinations.len()
            ),
        )?;
        for j in 0..ny {
            for i in 0..nx {
                let v = grid[(j * nx + i) as usize];
                let x0 = MARGIN + i * cell;
                let y0 = TOP + j * cell;
                let x1 = (x0 + cell).min(MARGIN + proj.size.0);
                let y1 = (y0 + cell).min(TOP + proj.size.1);
                area.draw(&Rectangle::new([(x0, y0), (x1, y1)], diverging(v / peak).filled())).map_err(draw_err)?;
            }
        }
        let frame = (MARGIN, TOP, MARGIN + proj.size.0, TOP + proj.size.1);
        area.draw(&Rectangle::new([(frame.0, frame.1), (frame.2, frame.3)], RGBColor(0x99, 0x99, 0x99).stroke_width(1)))
            .map_err(draw_err)?;
        // Sites with their workers.
        let mut markers: Vec<((i32, i32), Shape, RGBColor, String)> = Vec::new();
        for (o, &(lat, lon, n)) in s.origins.iter().zip(&sites) {
            markers.push((proj.px(lat, lon), Shape::Circle, ORIGIN_COLOUR, format!("{} +{n:.0}", o.id)));
        }
        for (d, &(lat, lon, n)) in s.destinations.iter().zip(&sites[s.origins.len()..]) {
            markers.push((proj.px(lat, lon), Shape::Triangle, DEST_COLOUR, format!("{} -{:.0}", d.id, -n)));
        }
        let mut labels = Labels::around(frame, &markers);
        for (at, _, colour, text) in &markers {
            labels.place(&area, *at, text, 13, *colour)?;
        }
        for (at, shape, colour, _) in &markers {
            marker(&area, *at, *shape, *colour)?;
        }
        // Colour bar.
        let x = MARGIN + proj.size.0 + 30;
        let (top, bottom) = (TOP + 40, TOP + 40 + 260);
        area.draw(&Text::new("workers per cell", (x, TOP + 14), font(15, TEXT_COLOUR, HPos::Left))).map_err(draw_err)?;
        let steps = 26;
        for k in 0..steps {
            let y0 = top + (bottom - top) * k / steps;
            let y1 = top + (bottom - top) * (k + 1) / steps;
            let t = 1.0 - 2.0 * (f64::from(k) + 0.5) / f64::from(steps);
            area.draw(&Rectangle::new([(x, y0), (x + 24, y1)], diverging(t).filled())).map_err(draw_err)?;
        }
        area.draw(&Rectangle::new([(x, top), (x + 24, bottom)], RGBColor(0x66, 0x66, 0x66).stroke_width(1))).map_err(draw_err)?;
        let ticks = [(top, format!("+{peak:.1} to spare")), ((top + bottom) / 2, "0 balanced".to_string()), (bottom, format!("-{peak:.1} short"))];
        for (y, text) in ticks {
            area.draw(&PathElement::new(vec![(x + 24, y), (x + 30, y)], TEXT_COLOUR.stroke_width(1))).map_err(draw_err)?;
            area.draw(&Text::new(text, (x + 34, y), font(13, TEXT_COLOUR, HPos::Left))).map_err(draw_err)?;
        }
        let mut y = bottom + 40;
        marker(&area, (x + 12, y), Shape::Circle, ORIGIN_COLOUR)?;
        area.draw(&Text::new("departure point (+workers)", (x + 30, y), font(14, TEXT_COLOUR, HPos::Left))).map_err(draw_err)?;
        y += 26;
        marker(&area, (x + 12, y), Shape::Triangle, DEST_COLOUR)?;
        area.draw(&Text::new("drop point (-workers sent)", (x + 30, y), font(14, TEXT_COLOUR, HPos::Left))).map_err(draw_err)?;
        y += 26;
        // One degree of latitude is about 111.2 km.
        let km = f64::from(cell) / proj.scale * 111.2;
        area.draw(&Text::new(format!("cell about {km:.0} km across"), (x, y), font(13, TEXT_COLOUR, HPos::Left))).map_err(draw_err)?;
        area.present().map_err(draw_err)?;
    }
    Ok(svg)
}
