//! Loading flows into buses, whole or one move at a time.
//!
//! [`Loading::full`] is the loading of [`super::heuristic::load`]: origins first, each with its
//! own fleet, then hubs, each from the buses that arrived on its incoming origin legs. An
//! origin's buses depend only on its own legs' flows, and a hub's only on its outbound legs'
//! flows and its incoming legs' buses, unless a hub had to send for extra buses from an origin's
//! spare fleet. So a move of workers from one path to another changes the buses of at most one
//! origin and of the hubs that its paths leave from or that origin's buses arrive at:
//! [`Loading::shift`] reloads only those, in `O(legs of the origin + legs of two or three
//! hubs)` instead of `O(every leg)`.
//!
//! Its answer is [`Step::Exact`] (the full loading's buses and cost, up to rounding) unless
//! extra buses are involved: a reloaded hub that sends for them before or after the move, or a
//! reloaded origin that sends them or feeds a hub that does. The full loading then might pick
//! other extra buses (hubs take them in order), so the answer is [`Step::Approx`]: a loading
//! that respects every fleet, but not necessarily the full loading's.

use super::heuristic::Blame;
use crate::mix::{cheapest_mix, MixOption};
use crate::network::{Network, Site};
use crate::scenario::Scenario;

/// Which legs each origin and hub loads, in loading order; fleets as given.
pub(crate) struct Layout {
    nv: usize,
    /// Legs out of each origin.
    origin_legs: Vec<Vec<usize>>,
    /// Origin legs into each hub, by arrival `(L_b, b)`.
    hub_in: Vec<Vec<usize>>,
    /// Legs out of each hub, by latest feeder arrival `(L_a, a)`.
    hub_out: Vec<Vec<usize>>,
    /// Fleet per origin and type, `o * T + v`.
    fleet: Vec<u32>,
    /// Escorts per origin.
    escorts: Vec<u32>,
    /// Fleet per hub and type, `h * T + v`.
    hub_fleet: Vec<u32>,
}

impl Layout {
    pub(crate) fn new(s: &Scenario, net: &Network) -> Layout {
        let nv = s.vehicle_types.len();
        let mut origin_legs = vec![Vec::new(); s.origins.len()];
        let mut hub_in = vec![Vec::new(); s.hubs.len()];
        let mut hub_out = vec![Vec::new(); s.hubs.len()];
        for (a, leg) in net.legs.iter().enumerate() {
            match (leg.from, leg.to) {
                (Site::Origin(o), Site::Hub(h)) => {
                    hub_in[h].push(a);
                    origin_legs[o].push(a);
                }
                (Site::Origin(o), _) => origin_legs[o].push(a),
                (Site::Hub(h), _) => hub_out[h].push(a),
                _ => {}
            }
        }
        for legs in hub_in.iter_mut().chain(&mut hub_out) {
            legs.sort_by_key(|&a| (net.leg_time[a], a));
        }
        let fleet_of = |f: &std::collections::BTreeMap<String, u32>| -> Vec<u32> {
            s.vehicle_types.iter().map(|t| f.get(&t.id).copied().unwrap_or(0)).collect()
        };
        Layout {
            nv,
            origin_legs,
            hub_in,
            hub_out,
            fleet: s.origins.iter().flat_map(|o| fleet_of(&o.fleet)).collect(),
            escorts: s.origins.iter().map(|o| o.escorts.unwrap_or(u32::MAX)).collect(),
            hub_fleet: s.hubs.iter().flat_map(|h| fleet_of(&h.fleet)).collect(),
        }
    }
}

/// Buses for a choice of flows, with the cost of each origin's and hub's part.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Loading {
    /// Workers per leg.
    pub(crate) leg_flow: Vec<u32>,
    /// Accessible workers per leg.
    leg_acc: Vec<u32>,
    /// Workers per service.
    svc_load: Vec<u64>,
    /// Buses per leg and type, `a * T + v`.
    pub(crate) y: Vec<u32>,
    /// Buses based per hub and type, `h * T + v`.
    pub(crate) z: Vec<u32>,
    /// Fleet left per origin and type.
    fleet: Vec<u32>,
    /// Escorts left per origin.
    escorts: Vec<u32>,
    origin_cost: Vec<f64>,
    hub_cost: Vec<f64>,
    /// Bus cost.
    pub(crate) cost: f64,
    /// Extra buses each hub sent for: `(origin leg, type, buses)`.
    hub_xtra: Vec<Vec<(usize, usize, u32)>>,
    /// Extra buses each origin sent, per type, `o * T + v`.
    supplied: Vec<u32>,
    /// What changed since the last [`Loading::restore`] or [`Loading::settle`].
    dirty: Dirty,
}

/// Origins, hubs, legs and services whose entries a loading changed.
#[derive(Clone, Debug, Default, PartialEq)]
struct Dirty {
    origins: Vec<usize>,
    hubs: Vec<usize>,
    legs: Vec<usize>,
    services: Vec<usize>,
}

/// What a move did to a loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// It loads, as the full loading would.
    Exact,
    /// It loads, with extra buses the full loading might pick differently.
    Approx,
    /// It does not load (an origin's fleet or escorts, a service's seats).
    Fails,
    /// Only a full loading can tell.
    Unknown,
}

impl Loading {
    /// Loads `flow` in full.
    pub(crate) fn full(s: &Scenario, net: &Network, lay: &Layout, flow: &[u32]) -> Result<Loading, Blame> {
        let nv = lay.nv;
        let nl = net.legs.len();
        let mut ld = Loading {
            leg_flow: vec![0; nl],
            leg_acc: vec![0; nl],
            svc_load: vec![0; s.services.len()],
            y: vec![0; nl * nv],
            z: vec![0; s.hubs.len() * nv],
            fleet: lay.fleet.clone(),
            escorts: lay.escorts.clone(),
            origin_cost: vec![0.0; s.origins.len()],
            hub_cost: vec![0.0; s.hubs.len()],
            cost: 0.0,
            hub_xtra: vec![Vec::new(); s.hubs.len()],
            supplied: vec![0; s.origins.len() * nv],
            dirty: Dirty::default(),
        };
        for (p, &f) in flow.iter().enumerate() {
            if f == 0 {
                continue;
            }
            let path = &net.paths[p];
            let acc = net.commodities[path.commodity].accessible;
            for &a in &path.legs {
                ld.leg_flow[a] += f;
                if acc {
                    ld.leg_acc[a] += f;
                }
            }
            if let Some(si) = path.service {
                ld.svc_load[si] += u64::from(f);
            }
        }
        for (si, &l) in ld.svc_load.iter().enumerate() {
            if l > u64::from(s.services[si].seats) {
                return Err(Blame::Service(si));
            }
        }
        // The running total adds every mix in loading order.
        let mut cost = 0.0;
        for o in 0..s.origins.len() {
            ld.origin(s, net, lay, o, &mut cost)?;
        }
        for h in 0..s.hubs.len() {
            ld.hub(s, net, lay, h, &mut cost)?;
        }
        ld.cost = cost;
        ld.settle();
        Ok(ld)
    }

    /// Loads origin `o`'s legs, largest load first, from its fleet less the extra buses it
    /// sent to hubs (none in a full loading, which loads origins first).
    fn origin(&mut self, s: &Scenario, net: &Network, lay: &Layout, o: usize, total: &mut f64) -> Result<(), Blame> {
        let nv = lay.nv;
        self.dirty.origins.push(o);
        let sent = &self.supplied[o * nv..(o + 1) * nv];
        for ((left, &all), &gone) in self.fleet[o * nv..(o + 1) * nv].iter_mut().zip(&lay.fleet[o * nv..(o + 1) * nv]).zip(sent) {
            *left = all - gone;
        }
        self.escorts[o] = lay.escorts[o].saturating_sub(sent.iter().sum());
        let mut legs: Vec<usize> = Vec::with_capacity(lay.origin_legs[o].len());
        for &a in &lay.origin_legs[o] {
            self.y[a * nv..(a + 1) * nv].fill(0);
            if let Site::Hub(h) = net.legs[a].to {
                for &(b, v, n) in &self.hub_xtra[h] {
                    if b == a {
                        self.y[a * nv + v] += n;
                    }
                }
            }
            if self.leg_flow[a] > 0 {
                legs.push(a);
            }
        }
        legs.sort_by_key(|&a| (std::cmp::Reverse(self.leg_flow[a]), a));
        let mut sum = 0.0;
        let mut opts = Vec::with_capacity(nv);
        for a in legs {
            opts.clear();
            opts.extend((0..nv).map(|v| MixOption { cap: net.cap[v], acc: net.acc_cap[v], cost: net.leg_cost(s, a, v), max: self.fleet[o * nv + v] }));
            let (c, n) = cheapest_mix(self.leg_flow[a], self.leg_acc[a], &opts).ok_or(Blame::Origin(o))?;
            let used: u32 = n.iter().sum();
            if used > self.escorts[o] {
                return Err(Blame::Origin(o));
            }
            self.escorts[o] -= used;
            for (v, &k) in n.iter().enumerate() {
                self.fleet[o * nv + v] -= k;
                self.y[a * nv + v] += k;
            }
            *total += c;
            sum += c;
        }
        self.origin_cost[o] = sum;
        Ok(())
    }

    /// Loads hub `h`'s outbound legs, in order of their latest feeder arrival `L_a`, from
    /// (i) incoming buses that have arrived by `L_a` and are not yet used, (ii) buses based
    /// at the hub, (iii) only if those cannot cover it, extra buses sent empty from an origin
    /// that reaches the hub by `L_a`. Incoming legs are swept in order of arrival, so a hub
    /// costs `O(in + out)` mixes. The extra buses it sent for before are given back first.
    fn hub(&mut self, s: &Scenario, net: &Network, lay: &Layout, h: usize, total: &mut f64) -> Result<(), Blame> {
        let nv = lay.nv;
        self.dirty.hubs.push(h);
        for (b, v, n) in std::mem::take(&mut self.hub_xtra[h]) {
            let Site::Origin(o) = net.legs[b].from else { unreachable!("extra buses come from an origin") };
            self.dirty.origins.push(o);
            self.y[b * nv + v] -= n;
            self.fleet[o * nv + v] += n;
            self.escorts[o] = self.escorts[o].saturating_add(n);
            self.supplied[o * nv + v] -= n;
        }
        let hub = &s.hubs[h];
        let ins = &lay.hub_in[h];
        let mut used_in = vec![0u32; nv];
        let mut based = vec![0u32; nv];
        let mut hub_escorts = hub.escorts.unwrap_or(u32::MAX);
        let hub_fleet = &lay.hub_fleet[h * nv..(h + 1) * nv];
        let mut swept = 0;
        let mut arrived = vec![0u32; nv];
        let mut opts = Vec::with_capacity(3 * nv);
        let mut extra_from: Vec<Option<(usize, usize)>> = vec![None; nv];
        let mut sum = 0.0;
        for &a in &lay.hub_out[h] {
            self.y[a * nv..(a + 1) * nv].fill(0);
            if self.leg_flow[a] == 0 {
                continue;
            }
            let limit = net.leg_time[a];
            let km = net.legs[a].km;
            while swept < ins.len() && net.leg_time[ins[swept]] <= limit {
                for (got, &k) in arrived.iter_mut().zip(&self.y[ins[swept] * nv..(ins[swept] + 1) * nv]) {
                    *got += k;
                }
                swept += 1;
            }
            opts.clear();
            for v in 0..nv {
                let t = &s.vehicle_types[v];
                let avail = arrived[v].saturating_sub(used_in[v]);
                opts.push(MixOption { cap: net.cap[v], acc: net.acc_cap[v], cost: t.cost_per_km_yuan * km, max: avail });
                opts.push(MixOption {
                    cap: net.cap[v],
                    acc: net.acc_cap[v],
                    cost: t.fixed_cost_yuan + t.cost_per_km_yuan * km,
                    max: (hub_fleet[v] - based[v]).min(hub_escorts),
                });
                opts.push(MixOption { cap: 0, acc: 0, cost: 0.0, max: 0 });
            }
            extra_from.fill(None);
            let mut mix = cheapest_mix(self.leg_flow[a], self.leg_acc[a], &opts);
            if mix.is_none() {
                // Only then: extra buses sent empty, of each type from the cheapest origin that
                // has one to spare and reaches the hub in time.
                for v in 0..nv {
                    let t = &s.vehicle_types[v];
                    let extra = ins[..swept]
                        .iter()
                        .copied()
                        .filter_map(|b| {
                            let Site::Origin(o) = net.legs[b].from else { return None };
                            let spare = self.fleet[o * nv + v].min(self.escorts[o]);
                            (spare > 0).then(|| (net.leg_cost(s, b, v), b, o, spare))
                        })
                        .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                    if let Some((c, b, o, spare)) = extra {
                        opts[3 * v + 2] = MixOption { cap: net.cap[v], acc: net.acc_cap[v], cost: c + t.cost_per_km_yuan * km, max: spare };
                        extra_from[v] = Some((b, o));
                    }
                }
                mix = cheapest_mix(self.leg_flow[a], self.leg_acc[a], &opts);
            }
            let (c, n) = mix.ok_or(Blame::Hub(h))?;
            let based_now: u32 = (0..nv).map(|v| n[3 * v + 1]).sum();
            if based_now > hub_escorts {
                return Err(Blame::Hub(h));
            }
            hub_escorts -= based_now;
            // Extra buses of several types may come from one origin: their escorts are shared.
            let mut extra_by_origin: std::collections::BTreeMap<usize, u32> = std::collections::BTreeMap::new();
            for v in 0..nv {
                if let Some((_, o)) = extra_from[v] {
                    *extra_by_origin.entry(o).or_default() += n[3 * v + 2];
                }
            }
            if extra_by_origin.iter().any(|(&o, &k)| k > self.escorts[o]) {
                return Err(Blame::Hub(h));
            }
            for v in 0..nv {
                let (n_in, n_based, n_extra) = (n[3 * v], n[3 * v + 1], n[3 * v + 2]);
                used_in[v] += n_in;
                based[v] += n_based;
                self.y[a * nv + v] += n_in + n_based + n_extra;
                if n_extra > 0 {
                    let (b, o) = extra_from[v].expect("extra buses come from an origin");
                    self.hub_xtra[h].push((b, v, n_extra));
                    self.dirty.origins.push(o);
                    self.supplied[o * nv + v] += n_extra;
                    self.y[b * nv + v] += n_extra;
                    // `b` has been swept (it arrives in time): its new buses have arrived too.
                    arrived[v] += n_extra;
                    self.fleet[o * nv + v] -= n_extra;
                    self.escorts[o] -= n_extra;
                    // The extra buses count as incoming buses already used.
                    used_in[v] += n_extra;
                }
            }
            *total += c;
            sum += c;
        }
        self.z[h * nv..(h + 1) * nv].copy_from_slice(&based);
        self.hub_cost[h] = sum;
        if let Some(max) = hub.max_buses {
            let arriving: u32 = ins.iter().map(|&b| self.y[b * nv..(b + 1) * nv].iter().sum::<u32>()).sum::<u32>() + based.iter().sum::<u32>();
            if arriving > max {
                return Err(Blame::Hub(h));
            }
        }
        Ok(())
    }

    /// Moves `m` workers of an `accessible` (or not) commodity from path `from` to path `to`
    /// (`None`: the unserved pool) and reloads the origin and hubs they touch. Unless the
    /// answer is [`Step::Exact`] or [`Step::Approx`], the loading is left half done: rebuild
    /// it in full (or drop it).
    pub(crate) fn shift(&mut self, s: &Scenario, net: &Network, lay: &Layout, accessible: bool, (from, to, m): (Option<usize>, Option<usize>, u32)) -> Step {
        let nv = lay.nv;
        let m = i64::from(m);
        let mut origins: Vec<usize> = Vec::new();
        let mut hubs: Vec<usize> = Vec::new();
        let mut seats_ok = true;
        for (path, sign) in [(from, -m), (to, m)] {
            let Some(p) = path else { continue };
            for &a in &net.paths[p].legs {
                self.dirty.legs.push(a);
                self.leg_flow[a] = (i64::from(self.leg_flow[a]) + sign) as u32;
                if accessible {
                    self.leg_acc[a] = (i64::from(self.leg_acc[a]) + sign) as u32;
                }
                match net.legs[a].from {
                    Site::Origin(o) if !origins.contains(&o) => origins.push(o),
                    Site::Hub(h) if !hubs.contains(&h) => hubs.push(h),
                    _ => {}
                }
            }
            if let Some(si) = net.paths[p].service {
                self.dirty.services.push(si);
                self.svc_load[si] = self.svc_load[si].wrapping_add_signed(sign);
                seats_ok &= self.svc_load[si] <= u64::from(s.services[si].seats);
            }
        }
        if !seats_ok {
            return Step::Fails;
        }
        let mut exact = true;
        let mut total = 0.0;
        for &o in &origins {
            // An origin that sent extra buses, or feeds a hub that sent for some: the full
            // loading's extra buses may change with its fleet.
            let sends = self.supplied[o * nv..(o + 1) * nv].iter().any(|&n| n > 0);
            let feeds = lay.origin_legs[o].iter().any(|&a| matches!(net.legs[a].to, Site::Hub(h) if !self.hub_xtra[h].is_empty()));
            exact &= !sends && !feeds;
            let before: Vec<u32> = lay.origin_legs[o].iter().flat_map(|&a| self.y[a * nv..(a + 1) * nv].iter().copied()).collect();
            let old = self.origin_cost[o];
            if self.origin(s, net, lay, o, &mut total).is_err() {
                // With its own fleet only, the origin is short; if extra buses took some of
                // it, the full loading may still fit.
                return if sends { Step::Unknown } else { Step::Fails };
            }
            self.cost += self.origin_cost[o] - old;
            // Hubs whose incoming buses changed.
            for (i, &a) in lay.origin_legs[o].iter().enumerate() {
                if let Site::Hub(h) = net.legs[a].to {
                    if self.y[a * nv..(a + 1) * nv] != before[i * nv..(i + 1) * nv] && !hubs.contains(&h) {
                        hubs.push(h);
                    }
                }
            }
        }
        hubs.sort_unstable();
        for &h in &hubs {
            exact &= self.hub_xtra[h].is_empty();
            let old = self.hub_cost[h];
            if self.hub(s, net, lay, h, &mut total).is_err() {
                return Step::Unknown;
            }
            exact &= self.hub_xtra[h].is_empty();
            self.cost += self.hub_cost[h] - old;
        }
        if exact {
            Step::Exact
        } else {
            Step::Approx
        }
    }

    /// Forgets what changed: the loading is the new base for [`Loading::restore`].
    pub(crate) fn settle(&mut self) {
        self.dirty = Dirty::default();
    }

    /// Puts back, from `base` (of which this loading was a copy), everything changed since:
    /// the cost of a move is then `O(what it touched)`, not a copy of the whole loading.
    pub(crate) fn restore(&mut self, base: &Loading, lay: &Layout) {
        let nv = lay.nv;
        let d = std::mem::take(&mut self.dirty);
        let row = |y: &mut Vec<u32>, a: usize| y[a * nv..(a + 1) * nv].copy_from_slice(&base.y[a * nv..(a + 1) * nv]);
        for &a in &d.legs {
            self.leg_flow[a] = base.leg_flow[a];
            self.leg_acc[a] = base.leg_acc[a];
        }
        for &si in &d.services {
            self.svc_load[si] = base.svc_load[si];
        }
        for &o in &d.origins {
            self.fleet[o * nv..(o + 1) * nv].copy_from_slice(&base.fleet[o * nv..(o + 1) * nv]);
            self.supplied[o * nv..(o + 1) * nv].copy_from_slice(&base.supplied[o * nv..(o + 1) * nv]);
            self.escorts[o] = base.escorts[o];
            self.origin_cost[o] = base.origin_cost[o];
            for &a in &lay.origin_legs[o] {
                row(&mut self.y, a);
            }
        }
        for &h in &d.hubs {
            self.z[h * nv..(h + 1) * nv].copy_from_slice(&base.z[h * nv..(h + 1) * nv]);
            self.hub_cost[h] = base.hub_cost[h];
            self.hub_xtra[h].clone_from(&base.hub_xtra[h]);
            for &a in lay.hub_out[h].iter().chain(&lay.hub_in[h]) {
                row(&mut self.y, a);
            }
        }
        self.cost = base.cost;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{small, Rng, Small};
    use crate::solve::heuristic;

    /// A random walk of moves on a small scenario with a hub and a train: every exact answer
    /// of `shift` is the full loading's, every failure is the full loading's too, and
    /// `restore` puts the loading back exactly. Gives the number of exact answers and failures.
    fn walk(seed: u64) -> usize {
        let s = small(Small { origins: 4, hubs: 2, destinations: 4, types: 2, train: true }, seed);
        let net = crate::network::network_of(&s);
        let lay = Layout::new(&s, &net);
        let mut st = heuristic::construct(&net, heuristic::PathFilter::All);
        heuristic::repair(&s, &net, &mut st);
        let mut r = Rng::new(seed ^ 0x9e37);
        let (mut exact, mut fails) = (0, 0);
        for _ in 0..40 {
            let base = Loading::full(&s, &net, &lay, &st.flow).expect("the state loads");
            let k = r.range(0, net.commodities.len() as u32 - 1) as usize;
            let ps = &net.paths_of[k];
            let mut sources: Vec<Option<usize>> = ps.iter().copied().filter(|&p| st.flow[p] > 0).map(Some).collect();
            if st.unserved[k] > 0 {
                sources.push(None);
            }
            let targets: Vec<Option<usize>> = ps.iter().copied().map(Some).chain([None]).collect();
            let from = sources[r.range(0, sources.len() as u32 - 1) as usize];
            let to = targets[r.range(0, targets.len() as u32 - 1) as usize];
            let have = from.map_or(st.unserved[k], |p| st.flow[p]);
            if from == to || have == 0 {
                continue;
            }
            let m = r.range(1, have);
            let mut l = base.clone();
            let step = l.shift(&s, &net, &lay, net.commodities[k].accessible, (from, to, m));
            let mut trial = st.clone();
            trial.shift(k, from, to, m);
            let full = Loading::full(&s, &net, &lay, &trial.flow);
            match step {
                Step::Exact => {
                    let f = full.as_ref().expect("an exact move loads");
                    assert!((l.cost - f.cost).abs() <= 1e-6 * f.cost.max(1.0), "{} {}", l.cost, f.cost);
                    assert_eq!((&l.y, &l.z), (&f.y, &f.z));
                    exact += 1;
                }
                Step::Fails => {
                    assert!(full.is_err(), "a failed move loads in full");
                    fails += 1;
                }
                Step::Approx | Step::Unknown => {}
            }
            l.restore(&base, &lay);
            assert!(l == base, "restore puts the loading back");
            if full.is_ok() {
                st = trial;
            }
        }
        exact + fails
    }

    #[test]
    fn walks_exercise_exact_answers() {
        // Hubs that send for extra buses make answers approximate; most walks still get exact
        // ones.
        let exact: usize = (0..16).map(walk).sum();
        assert!(exact > 16 * 10, "{exact}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn reloading_a_move_is_loading_in_full(seed in 0u64..1_000_000) {
            walk(seed);
        }
    }
}
