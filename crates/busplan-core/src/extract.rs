//! Plan extraction: from an [`Allocation`] (flows and bus counts) to individual buses with
//! timetables, passengers, hub transfer tables and totals.
//!
//! Takes: scenario, travel table, network, allocation. Gives: the vehicles, services and
//! unserved lists of a [`Plan`](crate::plan::Plan) (totals by [`totals`](crate::plan::totals)).
//!
//! 1. Origin legs: each leg's `y_av` buses, largest first, are filled with accessible workers
//!    on accessible seats, then with the others in order of their next destination, so that
//!    workers for one district sit together. Buses leave at the origin's ready time.
//! 2. Hubs: outbound slots (`y_av` of each leg out of the hub) are matched to arriving buses of
//!    the same type that arrive in time, or to buses based at the hub, so that the most
//!    passengers keep their seat: exactly, as a transportation LP (`match_slots`); should
//!    that fail, greedily, each pair only while the remaining slots can still all be matched
//!    (Hall's condition, checked per threshold), the rest in order of deadline. Workers then stay in their seat where they can, and the others are
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
        let stays = |b: usize, a: usize| -> u32 {
            buses[b].legs[0]
                .load
                .iter()
                .filter(|(&(_, p), _)| net.paths[p].service.is_none() && net.paths[p].legs.get(1) == Some(&a))
                .map(|(_, &n)| n)
                .sum()
        };
        if let Some(exact) = match_slots(net, &slots, &incoming, &buses, &based_left, &stays) {
            for (si, bus) in exact.into_iter().enumerate() {
                match bus {
                    SlotBus::Arrived(b) => used[b] = true,
                    SlotBus::Based => based_left[slots[si].1] -= 1,
                }
                taken[si] = Some(bus);
            }
        }
        // Fallback (the exact matching is an LP that should not fail): greedy by passengers
        // who keep their seat, each pair only while the other slots can still be matched.
        let mut pairs: Vec<(u32, usize, usize)> = Vec::new();
        for (si, &(a, v)) in slots.iter().enumerate() {
            if taken[si].is_some() {
                continue;
            }
            for &b in &incoming {
                if buses[b].v != v || in_time(b) > net.leg_time[a] {
                    continue;
                }
                let stay = stays(b, a);
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
            // The earliest arrival among the buses that may take the leg, so that its workers
            // wait least; slots go tightest first and each later slot accepts every bus an
            // earlier one did, so any choice keeps the rest matchable.
            let pick = incoming
                .iter()
                .copied()
                .filter(|&b| !used[b] && buses[b].v == v && in_time(b) <= net.leg_time[a])
                .min_by_key(|&b| (buses[b].legs[0].arrive, b));
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
            // Buses are filled in order of their own arrival (a based bus is ready at once)
            // and the movers come earliest first, so that early workers fill early buses.
            let own_of = |si: usize| match taken[si] {
                Some(SlotBus::Arrived(b)) => Some(b),
                _ => None,
            };
            let mut ready: Vec<usize> = (0..my_slots.len()).collect();
            ready.sort_by_key(|&i| (own_of(my_slots[i]).map_or(0, |b| buses[b].legs[0].arrive), i));
            let caps_r: Vec<(u32, u32)> = ready.iter().map(|&i| caps[i]).collect();
            let stayers_r: Vec<Load> = ready.iter().map(|&i| stayers[i].clone()).collect();
            let placed = fill(&caps_r, &stayers_r, &mover_tokens, &acc_of).or_else(|| {
                let all: Vec<((usize, usize), u32)> = tokens.iter().map(|&(_, key, n)| (key, n)).collect();
                fill(&caps_r, &[], &all, &acc_of)
            });
            let Some(placed) = placed else {
                return Err(ExtractError(format!("buses from hub {} are too small for their workers", hub.id)));
            };
            let mut loads: Vec<Load> = vec![Load::new(); my_slots.len()];
            for (load, &i) in placed.into_iter().zip(&ready) {
                loads[i] = load;
            }
            // Who came from where: hand out each bus's load over the sources, stayers from
            // their own bus, others in source order.
            let mut supply: BTreeMap<(usize, usize), Vec<(Other, u32)>> = BTreeMap::new();
            for &(src, key, n) in &tokens {
                supply.entry(key).or_default().push((src, n));
            }
            // First pass: every continuing bus keeps its own passengers for this leg.
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
            // Boarders are handed out bus by bus in the same order (the bus that is ready first
            // takes the earliest arrivals), so that early workers do not wait for a late bus.
            for &i in &ready {
                let si = my_slots[i];
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
    // Seats on the buses each departure point has left (all, accessible), within its escorts.
    let nv = s.vehicle_types.len();
    let mut used = vec![vec![0u32; nv]; s.origins.len()];
    for (a, leg) in net.legs.iter().enumerate() {
        if let Site::Origin(o) = leg.from {
            for (u, &n) in used[o].iter_mut().zip(&alloc.buses[a]) {
                *u += n;
            }
        }
    }
    let spare_seats = |o: usize, accessible: bool| -> u32 {
        let origin = &s.origins[o];
        let mut escorts = origin.escorts.map_or(u32::MAX, |e| e.saturating_sub(used[o].iter().sum()));
        let mut seats = 0u32;
        // Largest buses first: the seats that the escorts left can take out.
        let mut types: Vec<usize> = (0..nv).collect();
        types.sort_by_key(|&v| std::cmp::Reverse(if accessible { net.acc_cap[v] } else { net.cap[v] }));
        for v in types {
            let per = if accessible { net.acc_cap[v] } else { net.cap[v] };
            let left = origin.fleet.get(&s.vehicle_types[v].id).copied().unwrap_or(0).saturating_sub(used[o][v]).min(escorts);
            escorts -= left;
            seats = seats.saturating_add(left.saturating_mul(per));
        }
        seats
    };
    let unserved = net
        .commodities
        .iter()
        .enumerate()
        .filter(|&(k, _)| alloc.unserved[k] > 0)
        .map(|(k, c)| {
            let direct = net.paths_of[k].iter().any(|&p| net.paths[p].legs.len() == 1 && net.paths[p].service.is_none());
            let reason = if net.paths_of[k].is_empty() {
                UnservedReason::NoFeasibleRoute
            } else if direct && spare_seats(c.origin, c.accessible) >= alloc.unserved[k] {
                UnservedReason::CostlierThanPenalty
            } else {
                UnservedReason::CapacityShort
            };
            Unserved {
                origin: s.origins[c.origin].id.clone(),
                destination: s.destinations[c.dest].id.clone(),
                accessible: c.accessible,
                count: alloc.unserved[k],
                reason,
            }
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

/// The matching of buses to outbound slots at a hub that keeps the most passengers in their
/// seat, exactly (up to [`MATCH_LP_PAIRS`] candidate pairs): a transportation problem (slots grouped by leg and type, each arriving bus
/// used at most once, buses based at the hub within their number), whose LP has integral
/// vertices because its matrix is totally unimodular. Weights are the passengers who stay,
/// plus a small bonus for reusing an arriving bus rather than a based one. `None` if the LP
/// fails or its answer is not integral (the caller then falls back to a greedy matching).
/// Candidate pairs above which a hub's buses are matched greedily rather than by the LP.
pub const MATCH_LP_PAIRS: usize = 4_000;

fn match_slots(
    net: &Network,
    slots: &[(usize, usize)],
    incoming: &[usize],
    buses: &[BusBuild],
    based: &[u32],
    stays: &dyn Fn(usize, usize) -> u32,
) -> Option<Vec<SlotBus>> {
    use good_lp::{variable, Expression, ProblemVariables, Solution, SolverModel};
    if slots.is_empty() {
        return Some(Vec::new());
    }
    let mut groups: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for &g in slots {
        *groups.entry(g).or_default() += 1;
    }
    let groups: Vec<((usize, usize), u32)> = groups.into_iter().collect();
    // Large hubs go to the greedy matching: the LP has a variable per (slot group, arriving
    // bus) pair.
    let n_pairs: usize = groups
        .iter()
        .map(|&((a, v), _)| incoming.iter().filter(|&&b| buses[b].v == v && net.leg_time[buses[b].legs[0].leg] <= net.leg_time[a]).count())
        .sum();
    if n_pairs > MATCH_LP_PAIRS {
        return None;
    }
    let mut vars = ProblemVariables::new();
    let mut pairs = Vec::new();
    let mut objective = Expression::default();
    for (g, &((a, v), _)) in groups.iter().enumerate() {
        for &b in incoming {
            if buses[b].v == v && net.leg_time[buses[b].legs[0].leg] <= net.leg_time[a] {
                let var = vars.add(variable().min(0).max(1));
                objective.add_mul(f64::from(stays(b, a)) + 1e-3, var);
                pairs.push((b, g, var));
            }
        }
    }
    let based_var: Vec<Option<good_lp::Variable>> = groups
        .iter()
        .map(|&((_, v), c)| (based[v] > 0).then(|| vars.add(variable().min(0).max(c.min(based[v])))))
        .collect();
    let mut problem = vars.maximise(objective).using(good_lp::microlp);
    // Every slot gets a bus: sum_b m_bg + based_g = c_g.
    for (g, &(_, c)) in groups.iter().enumerate() {
        let mut e = Expression::default();
        for &(_, pg, var) in &pairs {
            if pg == g {
                e.add_mul(1.0, var);
            }
        }
        if let Some(bv) = based_var[g] {
            e.add_mul(1.0, bv);
        }
        problem.add_constraint(e.eq(f64::from(c)));
    }
    // Every arriving bus goes on at most once: sum_g m_bg <= 1.
    for &b in incoming {
        let mut e = Expression::default();
        let mut any = false;
        for &(pb, _, var) in &pairs {
            if pb == b {
                e.add_mul(1.0, var);
                any = true;
            }
        }
        if any {
            problem.add_constraint(e.leq(1.0));
        }
    }
    // Based buses within their number: sum_{g of type v} based_g <= z_hv.
    for (v, &z) in based.iter().enumerate() {
        let mut e = Expression::default();
        let mut any = false;
        for (g, &((_, gv), _)) in groups.iter().enumerate() {
            if let (true, Some(bv)) = (gv == v, based_var[g]) {
                e.add_mul(1.0, bv);
                any = true;
            }
        }
        if any {
            problem.add_constraint(e.leq(f64::from(z)));
        }
    }
    let sol = problem.solve().ok()?;
    let integral = |x: f64| (x - x.round()).abs() < 1e-6;
    let mut per_group: Vec<Vec<SlotBus>> = vec![Vec::new(); groups.len()];
    for &(b, g, var) in &pairs {
        let x = sol.value(var);
        if !integral(x) {
            return None;
        }
        if x.round() >= 1.0 {
            per_group[g].push(SlotBus::Arrived(b));
        }
    }
    for (g, bv) in based_var.iter().enumerate() {
        if let Some(bv) = bv {
            let x = sol.value(*bv);
            if !integral(x) {
                return None;
            }
            per_group[g].extend(std::iter::repeat_n(SlotBus::Based, x.round() as usize));
        }
    }
    // Hand each group's buses to its slots, in slot order.
    let index: BTreeMap<(usize, usize), usize> = groups.iter().enumerate().map(|(g, &(key, _))| (key, g)).collect();
    let mut next = vec![0usize; groups.len()];
    let mut out = Vec::with_capacity(slots.len());
    for key in slots {
        let g = index[key];
        out.push(*per_group[g].get(next[g])?);
        next[g] += 1;
    }
    (next.iter().zip(&per_group).all(|(&n, list)| n == list.len())).then_some(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn two_origins_one_hub() -> (Scenario, Network) {
        crate::network::from_json(
            r#"{"name": "m", "vehicle_types": [{"id": "bus", "seats": 30, "fixed_cost_yuan": 1000, "cost_per_km_yuan": 4}],
            "origins": [
              {"id": "a", "lat": 41.8, "lon": 120.7, "fleet": {"bus": 2}, "workers": [{"to": "d1", "count": 10}, {"to": "d2", "count": 9}]},
              {"id": "b", "lat": 41.1, "lon": 119.7, "fleet": {"bus": 2}, "workers": [{"to": "d1", "count": 10}]}],
            "hubs": [{"id": "h", "kind": "service_area", "lat": 41.1, "lon": 121.1}],
            "destinations": [{"id": "d1", "lat": 39.0, "lon": 121.6, "deadline_min": 900},
                             {"id": "d2", "lat": 39.4, "lon": 122.0, "deadline_min": 900}]}"#,
        )
    }

    /// The leg between two sites; out of a hub, its latest departure class, which every
    /// arriving bus may take.
    fn leg(net: &Network, from: Site, to: Site) -> usize {
        net.legs.iter().rposition(|l| l.from == from && l.to == to).unwrap()
    }

    /// An empty bus of type 0 from origin `o` to the hub.
    fn bus_to_hub(net: &Network, o: usize) -> BusBuild {
        BusBuild {
            v: 0,
            base: Site::Origin(o),
            legs: vec![LegBuild {
                leg: leg(net, Site::Origin(o), Site::Hub(0)),
                depart: 0,
                arrive: 0,
                load: Load::new(),
                boarded: BTreeMap::new(),
                alighted: BTreeMap::new(),
                stay: Load::new(),
            }],
        }
    }

    #[test]
    fn matching_keeps_the_most_passengers_seated_where_greedy_does_not() {
        let (_, net) = two_origins_one_hub();
        let buses = vec![bus_to_hub(&net, 0), bus_to_hub(&net, 1)];
        let to_d1 = leg(&net, Site::Hub(0), Site::Dest(0));
        let to_d2 = leg(&net, Site::Hub(0), Site::Dest(1));
        // Bus 0 carries 10 for d1 and 9 for d2; bus 1 carries 10 for d1. Taking the heaviest
        // pair first (bus 0 to d1) keeps 10 seated; the best matching keeps 19.
        let stays = |b: usize, a: usize| match (b, a == to_d1) {
            (0 | 1, true) => 10,
            (0, false) => 9,
            _ => 0,
        };
        let slots = vec![(to_d1, 0), (to_d2, 0)];
        let got = match_slots(&net, &slots, &[0, 1], &buses, &[0], &stays).unwrap();
        assert_eq!(got, vec![SlotBus::Arrived(1), SlotBus::Arrived(0)]);
    }

    #[test]
    fn matching_uses_based_buses_only_when_needed() {
        let (_, net) = two_origins_one_hub();
        let buses = vec![bus_to_hub(&net, 0)];
        let to_d1 = leg(&net, Site::Hub(0), Site::Dest(0));
        let to_d2 = leg(&net, Site::Hub(0), Site::Dest(1));
        let stays = |_: usize, a: usize| if a == to_d2 { 5 } else { 0 };
        let got = match_slots(&net, &[(to_d1, 0), (to_d2, 0)], &[0], &buses, &[3], &stays).unwrap();
        assert_eq!(got, vec![SlotBus::Based, SlotBus::Arrived(0)]);
        // Too few buses: no matching.
        assert!(match_slots(&net, &[(to_d1, 0), (to_d2, 0)], &[0], &buses, &[0], &stays).is_none());
    }
}
