//! Plan extraction: from an [`Allocation`] (flows and bus counts) to individual buses with
//! timetables, passengers, hub transfer tables and totals.
//!
//! Takes: scenario, travel table, network, allocation. Gives: the vehicles, services and
//! unserved lists of a [`Plan`] (totals by [`totals`]).
//!
//! 1. Origin legs: each leg's `y_av` buses, largest first, are filled with accessible workers
//!    on accessible seats, then with the others in order of their next destination, so that
//!    workers for one district sit together. Buses leave at the origin's ready time.
//! 2. Hubs: outbound slots (`y_av` of each leg out of the hub) are matched to arriving buses of
//!    the same type that arrive in time, or to buses based at the hub. Pairs are taken
//!    greedily by how many passengers would keep their seat, each pair only if the remaining
//!    slots can still all be matched (Hall's condition, checked per threshold); the rest in
//!    order of deadline. Workers then stay in their seat where they can, and the others are
//!    placed accessible first. An outbound bus leaves once every bus or service bringing its
//!    passengers, and itself, has arrived, plus the hub's transfer minutes.
//! 3. Buses that end up carrying nobody are dropped; ids are given in a fixed order.

use crate::network::{Network, Site};
use crate::plan::{Leg, Move, Pax, ServiceLoad, Unserved, UnservedReason, Vehicle};
use crate::scenario::Scenario;
use crate::solve::Allocation;
use crate::travel::TravelTable;
use std::collections::BTreeMap;

/// Extraction failed: the allocation breaks a model constraint (a solver tolerance issue).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("the allocation cannot be turned into buses: {0}")]
pub struct ExtractError(pub String);

/// Passengers on a bus: count per (commodity, path).
type Load = BTreeMap<(usize, usize), u32>;

/// Workers waiting at a hub: where they come from, (commodity, path), count.
type Token = (Other, (usize, usize), u32);

/// The vehicle that drives an outbound slot at a hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotBus {
    /// A bus that arrived at the hub (internal index) and goes on.
    Arrived(usize),
    /// A bus based at the hub.
    Based,
}

/// Where workers moved from or to: a bus (internal index) or a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Other {
    Bus(usize),
    Service(usize),
}

#[derive(Debug, Clone)]
struct LegBuild {
    leg: usize,
    depart: u32,
    arrive: u32,
    load: Load,
    boarded: BTreeMap<(Other, usize), u32>,
    alighted: BTreeMap<(Other, usize), u32>,
    stay: Load,
}

#[derive(Debug, Clone)]
struct BusBuild {
    v: usize,
    base: Site,
    legs: Vec<LegBuild>,
}

/// The parts of a plan that describe who travels how.
pub struct Extracted {
    /// Buses.
    pub vehicles: Vec<Vehicle>,
    /// Services with loads.
    pub services: Vec<ServiceLoad>,
    /// Unserved workers.
    pub unserved: Vec<Unserved>,
}

fn total(load: &Load) -> u32 {
    load.values().sum()
}

/// Builds vehicles, services and unserved from an allocation.
pub fn extract(s: &Scenario, travel: &TravelTable, net: &Network, alloc: &Allocation) -> Result<Extracted, ExtractError> {
    let nv = s.vehicle_types.len();
    let site_id = |site: Site| -> &str {
        match site {
            Site::Origin(i) => &s.origins[i].id,
            Site::Hub(i) => &s.hubs[i].id,
            Site::Dest(i) => &s.destinations[i].id,
        }
    };
    let minutes = |leg: usize, v: usize| -> Result<u32, ExtractError> {
        let l = &net.legs[leg];
        travel
            .minutes(site_id(l.from), site_id(l.to), s.speed_of(v))
            .ok_or_else(|| ExtractError(format!("no road from {} to {}", site_id(l.from), site_id(l.to))))
    };
    let acc_of = |k: usize| net.commodities[k].accessible;

    // Flows by first leg.
    let mut first: Vec<Load> = vec![Load::new(); net.legs.len()];
    for (p, &f) in alloc.flow.iter().enumerate() {
        if f > 0 {
            let path = &net.paths[p];
            first[path.legs[0]].insert((path.commodity, p), f);
        }
    }
    // 1. Origin legs.
    let mut buses: Vec<BusBuild> = Vec::new();
    for (a, leg) in net.legs.iter().enumerate() {
        let Site::Origin(o) = leg.from else { continue };
        let mut types: Vec<usize> = Vec::new();
        for v in 0..nv {
            for _ in 0..alloc.buses[a][v] {
                types.push(v);
            }
        }
        if types.is_empty() {
            if total(&first[a]) > 0 {
                return Err(ExtractError(format!("workers but no bus from {} to {}", site_id(leg.from), site_id(leg.to))));
            }
            continue;
        }
        types.sort_by_key(|&v| (std::cmp::Reverse(net.cap[v]), std::cmp::Reverse(net.acc_cap[v]), v));
        let caps: Vec<(u32, u32)> = types.iter().map(|&v| (net.cap[v], net.acc_cap[v])).collect();
        let mut tokens: Vec<((usize, usize), u32)> = first[a].iter().map(|(&key, &n)| (key, n)).collect();
        // Group by what happens next: the next leg, then the service.
        tokens.sort_by_key(|&((k, p), _)| (net.paths[p].legs.get(1).copied(), net.paths[p].service, k, p));
        let loads = fill(&caps, &[], &tokens, &acc_of).ok_or_else(|| {
            ExtractError(format!("buses from {} to {} are too small for their workers", site_id(leg.from), site_id(leg.to)))
        })?;
        let ready = s.origins[o].ready_min;
        for (i, &v) in types.iter().enumerate() {
            let arrive = ready + minutes(a, v)?;
            buses.push(BusBuild {
                v,
                base: leg.from,
                legs: vec![LegBuild {
                    leg: a,
                    depart: ready,
                    arrive,
                    load: loads[i].clone(),
                    boarded: BTreeMap::new(),
                    alighted: BTreeMap::new(),
                    stay: Load::new(),
                }],
            });
        }
    }

    // Services: who boards from which bus.
    let mut svc_load: Vec<Load> = vec![Load::new(); s.services.len()];
    let mut svc_boarded: Vec<BTreeMap<(usize, usize), u32>> = vec![BTreeMap::new(); s.services.len()];
    let mut svc_alighted: Vec<BTreeMap<(usize, usize), u32>> = vec![BTreeMap::new(); s.services.len()];
    for (b, bus) in buses.iter_mut().enumerate() {
        let lb = &mut bus.legs[0];
        for (&(k, p), &n) in &lb.load {
            if let Some(si) = net.paths[p].service {
                *lb.alighted.entry((Other::Service(si), k)).or_default() += n;
                *svc_load[si].entry((k, p)).or_default() += n;
                *svc_boarded[si].entry((b, k)).or_default() += n;
            }
        }
    }
    for (si, svc) in s.services.iter().enumerate() {
        if total(&svc_load[si]) > svc.seats {
            return Err(ExtractError(format!("service {} over its seats", svc.id)));
        }
    }

    // 2. Hubs.
    for h in 0..s.hubs.len() {
        let hub = &s.hubs[h];
        let transfer = hub.transfer_min;
        let incoming: Vec<usize> = (0..buses.len()).filter(|&b| net.legs[buses[b].legs[0].leg].to == Site::Hub(h)).collect();
        let outs: Vec<usize> = {
            let mut v: Vec<usize> = (0..net.legs.len()).filter(|&a| net.legs[a].from == Site::Hub(h)).collect();
            v.sort_by_key(|&a| (net.leg_time[a], a));
            v
        };
        // Workers continuing by bus on each outbound leg, by source.
        let mut waiting: BTreeMap<usize, Vec<Token>> = BTreeMap::new();
        for &b in &incoming {
            for (&(k, p), &n) in &buses[b].legs[0].load {
                let path = &net.paths[p];
                if path.service.is_none() {
                    if let Some(&a2) = path.legs.get(1) {
                        waiting.entry(a2).or_default().push((Other::Bus(b), (k, p), n));
                    }
                }
            }
        }
        for (si, svc) in s.services.iter().enumerate() {
            if svc.to != hub.id {
                continue;
            }
            for (&(k, p), &n) in &svc_load[si] {
                waiting.entry(net.paths[p].legs[1]).or_default().push((Other::Service(si), (k, p), n));
            }
        }
        // Slots per (outbound leg, type), and the matching of buses to them.
        let mut slots: Vec<(usize, usize)> = Vec::new();
        for &a in &outs {
            for v in 0..nv {
                for _ in 0..alloc.buses[a][v] {
                    slots.push((a, v));
                }
            }
        }
        let in_time = |b: usize| net.leg_time[buses[b].legs[0].leg];
        let mut based_left: Vec<u32> = (0..nv).map(|v| alloc.based[h][v]).collect();
        let mut taken: Vec<Option<SlotBus>> = vec![None; slots.len()];
        let mut used = vec![false; buses.len()];
        // Greedy by passengers who keep their seat.
        let mut pairs: Vec<(u32, usize, usize)> = Vec::new();
        for (si, &(a, v)) in slots.iter().enumerate() {
            for &b in &incoming {
                if buses[b].v != v || in_time(b) > net.leg_time[a] {
                    continue;
                }
                let stay: u32 = buses[b].legs[0].load.iter().filter(|(&(_, p), _)| net.paths[p].service.is_none() && net.paths[p].legs.get(1) == Some(&a)).map(|(_, &n)| n).sum();
                if stay > 0 {
                    pairs.push((stay, si, b));
                }
            }
        }
        pairs.sort_by_key(|&(w, si, b)| (std::cmp::Reverse(w), si, b));
        for (_, si, b) in pairs {
            if taken[si].is_some() || used[b] {
                continue;
            }
            taken[si] = Some(SlotBus::Arrived(b));
            used[b] = true;
            if !hall_ok(net, &slots, &taken, &incoming, &used, &buses, &based_left, slots[si].1) {
                taken[si] = None;
                used[b] = false;
            }
        }
        // The rest, tightest deadline first.
        for si in 0..slots.len() {
            if taken[si].is_some() {
                continue;
            }
            let (a, v) = slots[si];
            let pick = incoming.iter().copied().find(|&b| !used[b] && buses[b].v == v && in_time(b) <= net.leg_time[a]);
            if let Some(b) = pick {
                taken[si] = Some(SlotBus::Arrived(b));
                used[b] = true;
            } else if based_left[v] > 0 {
                based_left[v] -= 1;
                taken[si] = Some(SlotBus::Based);
            } else {
                return Err(ExtractError(format!("no bus of type {} for the leg from hub {}", s.vehicle_types[v].id, hub.id)));
            }
        }
        // Passengers onto the outbound buses, leg by leg.
        for &a in &outs {
            let my_slots: Vec<usize> = (0..slots.len()).filter(|&si| slots[si].0 == a).collect();
            let mut tokens = waiting.remove(&a).unwrap_or_default();
            // Earliest arrivals first: they fill the first buses, which can then leave first,
            // and each bus takes its boarders from the earliest sources.
            tokens.sort_by_key(|&(src, key, _)| {
                let at = match src {
                    Other::Bus(b) => buses[b].legs[0].arrive,
                    Other::Service(si) => s.services[si].arrival_min,
                };
                (at, src, key)
            });
            if my_slots.is_empty() {
                if !tokens.is_empty() {
                    return Err(ExtractError(format!("workers but no bus from hub {}", hub.id)));
                }
                continue;
            }
            let caps: Vec<(u32, u32)> = my_slots.iter().map(|&si| (net.cap[slots[si].1], net.acc_cap[slots[si].1])).collect();
            // Stayers first, then the others; without stayers if that fails.
            let mut stayers: Vec<Load> = vec![Load::new(); my_slots.len()];
            let mut movers: Vec<Token> = Vec::new();
            for &(src, key, n) in &tokens {
                let slot = match src {
                    Other::Bus(b) => my_slots.iter().position(|&si| taken[si] == Some(SlotBus::Arrived(b))),
                    Other::Service(_) => None,
                };
                if let Some(i) = slot {
                    *stayers[i].entry(key).or_default() += n;
                } else {
                    movers.push((src, key, n));
                }
            }
            let mover_tokens: Vec<((usize, usize), u32)> = movers.iter().map(|&(_, key, n)| (key, n)).collect();
            let placed = fill(&caps, &stayers, &mover_tokens, &acc_of).or_else(|| {
                let all: Vec<((usize, usize), u32)> = tokens.iter().map(|&(_, key, n)| (key, n)).collect();
                fill(&caps, &[], &all, &acc_of)
            });
            let Some(loads) = placed else {
                return Err(ExtractError(format!("buses from hub {} are too small for their workers", hub.id)));
            };
            // Who came from where: hand out each bus's load over the sources, stayers from
            // their own bus, others in source order.
            let mut supply: BTreeMap<(usize, usize), Vec<(Other, u32)>> = BTreeMap::new();
            for &(src, key, n) in &tokens {
                supply.entry(key).or_default().push((src, n));
            }
            // First pass: every continuing bus keeps its own passengers for this leg.
            let own_of = |si: usize| match taken[si] {
                Some(SlotBus::Arrived(b)) => Some(b),
                _ => None,
            };
            let mut kept: Vec<Load> = vec![Load::new(); my_slots.len()];
            for (i, &si) in my_slots.iter().enumerate() {
                let Some(b) = own_of(si) else { continue };
                for (&key, &n) in &loads[i] {
                    if let Some(e) = supply.get_mut(&key).and_then(|l| l.iter_mut().find(|e| e.0 == Other::Bus(b))) {
                        let m = e.1.min(n);
                        e.1 -= m;
                        if m > 0 {
                            kept[i].insert(key, m);
                        }
                    }
                }
            }
            for (i, &si) in my_slots.iter().enumerate() {
                let own = own_of(si);
                let mut lb = LegBuild {
                    leg: a,
                    depart: 0,
                    arrive: 0,
                    load: loads[i].clone(),
                    boarded: BTreeMap::new(),
                    alighted: BTreeMap::new(),
                    stay: Load::new(),
                };
                if total(&lb.load) == 0 {
                    continue;
                }
                let mut ready_at = own.map_or(0, |b| buses[b].legs[0].arrive);
                for (&key, &n) in &loads[i] {
                    let stayed = kept[i].get(&key).copied().unwrap_or(0);
                    let mut need = n - stayed;
                    let list = supply.get_mut(&key).expect("supply");
                    for entry in list.iter_mut() {
                        if need == 0 {
                            break;
                        }
                        if entry.1 == 0 || Some(entry.0) == own.map(Other::Bus) {
                            continue;
                        }
                        let m = entry.1.min(need);
                        entry.1 -= m;
                        need -= m;
                        *lb.boarded.entry((entry.0, key.0)).or_default() += m;
                        ready_at = ready_at.max(match entry.0 {
                            Other::Bus(b) => buses[b].legs[0].arrive,
                            Other::Service(s2) => s.services[s2].arrival_min,
                        });
                    }
                    if need > 0 {
                        return Err(ExtractError(format!("workers at hub {} could not be traced", hub.id)));
                    }
                }
                let v = slots[si].1;
                lb.depart = ready_at + transfer;
                lb.arrive = lb.depart + minutes(a, v)?;
                let me = own.unwrap_or_else(|| {
                    buses.push(BusBuild { v, base: Site::Hub(h), legs: Vec::new() });
                    buses.len() - 1
                });
                // Mirror the moves on the sources.
                for (&(src, k), &n) in &lb.boarded {
                    match src {
                        Other::Bus(b) => *buses[b].legs[0].alighted.entry((Other::Bus(me), k)).or_default() += n,
                        Other::Service(si2) => *svc_alighted[si2].entry((me, k)).or_default() += n,
                    }
                }
                if let Some(b) = own {
                    buses[b].legs[0].stay = kept[i].clone();
                }
                buses[me].legs.push(lb);
            }
        }
    }

    // 3. Drop empty buses, give ids in a fixed order.
    let keep: Vec<usize> = (0..buses.len()).filter(|&b| buses[b].legs.iter().any(|l| total(&l.load) > 0)).collect();
    let mut order = keep.clone();
    order.sort_by_key(|&b| (buses[b].base, buses[b].legs[0].leg, buses[b].legs.get(1).map(|l| l.leg), buses[b].v, b));
    let mut id_of: BTreeMap<usize, String> = BTreeMap::new();
    for (i, &b) in order.iter().enumerate() {
        id_of.insert(b, format!("BUS-{:03}", i + 1));
    }
    let pax = |k: usize, n: u32| -> Pax {
        let c = &net.commodities[k];
        Pax { origin: s.origins[c.origin].id.clone(), destination: s.destinations[c.dest].id.clone(), accessible: c.accessible, count: n }
    };
    let paxes = |load: &Load| -> Vec<Pax> {
        let mut by_k: BTreeMap<usize, u32> = BTreeMap::new();
        for (&(k, _), &n) in load {
            *by_k.entry(k).or_default() += n;
        }
        by_k.into_iter().filter(|&(_, n)| n > 0).map(|(k, n)| pax(k, n)).collect()
    };
    let other_id = |o: Other| -> String {
        match o {
            Other::Bus(b) => id_of.get(&b).cloned().unwrap_or_default(),
            Other::Service(si) => s.services[si].id.clone(),
        }
    };
    let moves = |m: &BTreeMap<(Other, usize), u32>| -> Vec<Move> {
        let mut out: Vec<Move> = m.iter().filter(|(_, &n)| n > 0).map(|(&(o, k), &n)| Move { with: other_id(o), pax: pax(k, n) }).collect();
        out.sort();
        out
    };
    let mut vehicles = Vec::new();
    for (i, &b) in order.iter().enumerate() {
        let bus = &buses[b];
        let legs = bus
            .legs
            .iter()
            .map(|l| {
                let nl = &net.legs[l.leg];
                Leg {
                    from: site_id(nl.from).to_string(),
                    to: site_id(nl.to).to_string(),
                    depart_min: l.depart,
                    arrive_min: l.arrive,
                    km: nl.km,
                    passengers: paxes(&l.load),
                    boarded: moves(&l.boarded),
                    alighted: moves(&l.alighted),
                    stay_on: paxes(&l.stay),
                }
            })
            .collect();
        vehicles.push(Vehicle {
            id: id_of[&b].clone(),
            vehicle_type: s.vehicle_types[bus.v].id.clone(),
            base: site_id(bus.base).to_string(),
            escort: format!("ESC-{:03}", i + 1),
            legs,
        });
    }
    let services = s
        .services
        .iter()
        .enumerate()
        .filter(|(si, _)| total(&svc_load[*si]) > 0)
        .map(|(si, svc)| {
            let conv = |m: &BTreeMap<(usize, usize), u32>| -> Vec<Move> {
                let mut out: Vec<Move> = m.iter().filter(|(_, &n)| n > 0).map(|(&(b, k), &n)| Move { with: id_of.get(&b).cloned().unwrap_or_default(), pax: pax(k, n) }).collect();
                out.sort();
                out
            };
            ServiceLoad {
                id: svc.id.clone(),
                from: svc.from.clone(),
                to: svc.to.clone(),
                departure_min: svc.departure_min,
                arrival_min: svc.arrival_min,
                seats: svc.seats,
                passengers: paxes(&svc_load[si]),
                boarded: conv(&svc_boarded[si]),
                alighted: conv(&svc_alighted[si]),
            }
        })
        .collect();
    let unserved = net
        .commodities
        .iter()
        .enumerate()
        .filter(|&(k, _)| alloc.unserved[k] > 0)
        .map(|(k, c)| Unserved {
            origin: s.origins[c.origin].id.clone(),
            destination: s.destinations[c.dest].id.clone(),
            accessible: c.accessible,
            count: alloc.unserved[k],
            reason: if net.paths_of[k].is_empty() { UnservedReason::NoFeasibleRoute } else { UnservedReason::CapacityShort },
        })
        .collect();
    Ok(Extracted { vehicles, services, unserved })
}

/// Places tokens into buses `(seats, accessible seats)` already holding `pre`: accessible
/// tokens on free accessible seats first, then the rest in order. `None` if they do not fit.
fn fill(caps: &[(u32, u32)], pre: &[Load], tokens: &[((usize, usize), u32)], acc_of: &dyn Fn(usize) -> bool) -> Option<Vec<Load>> {
    let mut loads: Vec<Load> = if pre.is_empty() { vec![Load::new(); caps.len()] } else { pre.to_vec() };
    let mut used: Vec<u32> = loads.iter().map(total).collect();
    let mut acc_used: Vec<u32> = loads.iter().map(|l| l.iter().filter(|(&(k, _), _)| acc_of(k)).map(|(_, &n)| n).sum()).collect();
    for pass_acc in [true, false] {
        for &(key, n) in tokens.iter().filter(|(key, _)| acc_of(key.0) == pass_acc) {
            let mut left = n;
            for i in 0..caps.len() {
                if left == 0 {
                    break;
                }
                let free = caps[i].0.saturating_sub(used[i]);
                let room = if pass_acc { free.min(caps[i].1.saturating_sub(acc_used[i])) } else { free };
                let m = room.min(left);
                if m > 0 {
                    *loads[i].entry(key).or_default() += m;
                    used[i] += m;
                    if pass_acc {
                        acc_used[i] += m;
                    }
                    left -= m;
                }
            }
            if left > 0 {
                return None;
            }
        }
    }
    Some(loads)
}

/// Whether the free slots of type `v` can still all get a bus: for every threshold `L`,
/// free slots with `L_a <= L` <= free arriving buses with arrival `<= L` + based buses left.
#[allow(clippy::too_many_arguments)]
fn hall_ok(
    net: &Network,
    slots: &[(usize, usize)],
    taken: &[Option<SlotBus>],
    incoming: &[usize],
    used: &[bool],
    buses: &[BusBuild],
    based_left: &[u32],
    v: usize,
) -> bool {
    let free: Vec<i64> = slots.iter().zip(taken).filter(|((_, sv), t)| *sv == v && t.is_none()).map(|((a, _), _)| net.leg_time[*a]).collect();
    let avail: Vec<i64> = incoming.iter().copied().filter(|&b| !used[b] && buses[b].v == v).map(|b| net.leg_time[buses[b].legs[0].leg]).collect();
    free.iter().all(|&limit| {
        let need = free.iter().filter(|&&l| l <= limit).count();
        let have = avail.iter().filter(|&&t| t <= limit).count() + based_left[v] as usize;
        need <= have
    })
}
