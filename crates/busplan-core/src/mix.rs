//! The cheapest mix of buses that carries a given load on one leg.
//!
//! `g(F, A) = min sum_i c_i n_i  s.t.  sum_i C_i n_i >= F,  sum_i A_i n_i >= A,  0 <= n_i <= m_i`
//! integer, over options `i` (a bus type from one source, with capacity `C_i`, accessible
//! seats `A_i`, cost `c_i` and availability `m_i`). A dynamic programme over covered seats
//! `(f, a)`, `f <= F`, `a <= A`, one layer per option: `O(I F A m)`. Loads above
//! [`DIRECT_LIMIT`] are first filled with whole buses of the option with the lowest cost per
//! seat, which leaves the DP a remainder of bounded size (exact whenever the best option's
//! buses are cheapest per seat for every large load, near-exact otherwise).

/// One way to add buses to a leg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixOption {
    /// Seats per bus (capped).
    pub cap: u32,
    /// Accessible seats per bus (capped).
    pub acc: u32,
    /// Cost per bus.
    pub cost: f64,
    /// Buses available.
    pub max: u32,
}

/// Loads up to this size go to the DP whole.
pub const DIRECT_LIMIT: u32 = 400;

/// Accessible loads up to this size go to the DP whole (the DP is `O(F A)` in memory).
pub const ACC_LIMIT: u32 = 64;

/// Cheapest counts per option covering `need` seats of which `need_acc` accessible, or `None`
/// if the options cannot cover it.
pub fn cheapest_mix(need: u32, need_acc: u32, opts: &[MixOption]) -> Option<(f64, Vec<u32>)> {
    let limit = |o: &MixOption| if o.cap == 0 { 0 } else { o.max };
    if need == 0 && need_acc == 0 {
        return Some((0.0, vec![0u32; opts.len()]));
    }
    // The common case, below every pre-fill and without accessible seats: the unbounded cover
    // as below, without the buffers (the rest repeats it only if the limits bind).
    if need <= DIRECT_LIMIT && need_acc == 0 {
        if let Some(found) = unbounded_cover(need, opts, |i| limit(&opts[i])) {
            return Some(found);
        }
    }
    let mut counts = vec![0u32; opts.len()];
    let mut limits: Vec<u32> = opts.iter().map(limit).collect();
    let (mut need, mut need_acc) = (need, need_acc);
    let mut pre_cost = 0.0;
    if need > DIRECT_LIMIT {
        // Pre-fill with the option of least cost per seat.
        let best = (0..opts.len())
            .filter(|&i| limits[i] > 0)
            .min_by(|&a, &b| (opts[a].cost / f64::from(opts[a].cap)).total_cmp(&(opts[b].cost / f64::from(opts[b].cap))).then(a.cmp(&b)))?;
        let n = ((need - DIRECT_LIMIT) / opts[best].cap).min(limits[best]);
        counts[best] += n;
        limits[best] -= n;
        pre_cost += f64::from(n) * opts[best].cost;
        need -= n * opts[best].cap;
        need_acc = need_acc.saturating_sub(n * opts[best].acc);
    }
    if need_acc > ACC_LIMIT {
        // Pre-fill accessible seats with the option of least cost per accessible seat.
        let best = (0..opts.len())
            .filter(|&i| limits[i] > 0 && opts[i].acc > 0)
            .min_by(|&a, &b| (opts[a].cost / f64::from(opts[a].acc)).total_cmp(&(opts[b].cost / f64::from(opts[b].acc))).then(a.cmp(&b)))?;
        let n = ((need_acc - ACC_LIMIT) / opts[best].acc).min(limits[best]);
        counts[best] += n;
        limits[best] -= n;
        pre_cost += f64::from(n) * opts[best].cost;
        need = need.saturating_sub(n * opts[best].cap);
        need_acc -= n * opts[best].acc;
    }
    if need_acc == 0 {
        // Without accessible seats the bounded problem is first solved unbounded, a covering
        // knapsack over seats in `O(F I)`; if that answer respects the limits it is optimal for
        // the bounded problem too (whose optimum can only be higher).
        if let Some((c, n)) = unbounded_cover(need, opts, |i| limits[i]) {
            for (i, k) in n.into_iter().enumerate() {
                counts[i] += k;
            }
            return Some((pre_cost + c, counts));
        }
    }
    let fa = (need as usize + 1) * (need_acc as usize + 1);
    let width = need_acc as usize + 1;
    let idx = |f: u32, a: u32| f as usize * width + a as usize;
    let mut dp = vec![f64::INFINITY; fa];
    dp[0] = 0.0;
    let mut choice: Vec<Vec<u32>> = Vec::with_capacity(opts.len());
    for (i, o) in opts.iter().enumerate() {
        let mut next = dp.clone();
        let mut pick = vec![0u32; fa];
        let useful = if o.cap == 0 { 0 } else { need.div_ceil(o.cap).max(if o.acc > 0 { need_acc.div_ceil(o.acc) } else { 0 }) };
        let m = limits[i].min(useful);
        if m > 0 {
            for f in 0..=need {
                for a in 0..=need_acc {
                    let mut best = next[idx(f, a)];
                    let mut best_c = 0;
                    for c in 1..=m {
                        let pf = f.saturating_sub(c * o.cap);
                        let pa = a.saturating_sub(c * o.acc);
                        let v = dp[idx(pf, pa)] + f64::from(c) * o.cost;
                        if v < best - 1e-9 {
                            best = v;
                            best_c = c;
                        }
                        if pf == 0 && pa == 0 {
                            break;
                        }
                    }
                    next[idx(f, a)] = best;
                    pick[idx(f, a)] = best_c;
                }
            }
        }
        choice.push(pick);
        dp = next;
    }
    let total = dp[idx(need, need_acc)];
    if !total.is_finite() {
        return None;
    }
    let (mut f, mut a) = (need, need_acc);
    for i in (0..opts.len()).rev() {
        let c = choice[i][idx(f, a)];
        counts[i] += c;
        f = f.saturating_sub(c * opts[i].cap);
        a = a.saturating_sub(c * opts[i].acc);
    }
    Some((pre_cost + total, counts))
}

/// `g[x]` for `x` in `0..=max`: the least cost of whole buses (any number of each type, with
/// `cap[v]` seats at `cost[v]` each) that seat `x` workers; `O(max T)`.
pub fn cover_costs(max: u32, cap: &[u32], cost: &[f64]) -> Vec<f64> {
    let mut g = vec![f64::INFINITY; max as usize + 1];
    cover_into(&mut g, cap, cost);
    g
}

/// Fills `g[x]` of [`cover_costs`] for every `x < g.len()`.
fn cover_into(g: &mut [f64], cap: &[u32], cost: &[f64]) {
    g[0] = 0.0;
    for x in 1..g.len() {
        let mut best = f64::INFINITY;
        for (v, &c) in cap.iter().enumerate() {
            if c > 0 {
                best = best.min(g[x.saturating_sub(c as usize)] + cost[v]);
            }
        }
        g[x] = best;
    }
}

/// Loads up to which [`staircase`] and the unbounded cover work in buffers on the stack (small
/// ones in smaller buffers, which are quicker to clear).
const STACK: usize = 512;
const SMALL: usize = 128;
const TINY: usize = 48;

/// The least cost of buses (any number of each type) with at least `need` seats, `g(need)` of
/// [`cover_costs`] in `O(min(need, 2 C) T)`: loads above twice the largest bus are first
/// filled with whole buses of the type cheapest per seat.
pub fn staircase(need: u32, cap: &[u32], cost: &[f64]) -> f64 {
    let types = || (0..cap.len()).filter(|&v| cap[v] > 0);
    let Some(best) = types().min_by(|&a, &b| (cost[a] / f64::from(cap[a])).total_cmp(&(cost[b] / f64::from(cap[b]))).then(a.cmp(&b))) else {
        return f64::INFINITY;
    };
    let big = types().map(|v| cap[v]).max().unwrap_or(1);
    let (mut need, mut pre) = (need, 0.0);
    if need > 2 * big {
        let n = (need - 2 * big) / cap[best];
        pre = f64::from(n) * cost[best];
        need -= n * cap[best];
    }
    if let Some(g) = cover_by_counts(need, cap, cost, best) {
        return pre + g;
    }
    let n = need as usize;
    if n < STACK {
        let mut g = [0.0; STACK];
        cover_into(&mut g[..=n], cap, cost);
        pre + g[n]
    } else {
        pre + cover_costs(need, cap, cost)[n]
    }
}

/// `g(need)` of [`cover_costs`] by trying every count `n_v <= ceil(need / C_v)` of the types
/// other than `best` and filling the rest with `best`'s buses: exact, and faster than the
/// dynamic programme when few counts are possible (`None` when there are too many).
fn cover_by_counts(need: u32, cap: &[u32], cost: &[f64], best: usize) -> Option<f64> {
    /// Seats left, cost so far, types still to count; the least total so far.
    fn go(left: u32, acc: f64, others: &[usize], types: (&[u32], &[f64], usize), min: &mut f64) {
        let (cap, cost, best) = types;
        if acc >= *min {
            return;
        }
        match others.split_first() {
            None => *min = min.min(acc + f64::from(left.div_ceil(cap[best])) * cost[best]),
            Some((&v, rest)) => {
                for n in 0..=left.div_ceil(cap[v]) {
                    go(left.saturating_sub(n * cap[v]), acc + f64::from(n) * cost[v], rest, types, min);
                }
            }
        }
    }
    const MOST: u64 = 256;
    let others: Vec<usize> = (0..cap.len()).filter(|&v| v != best && cap[v] > 0).collect();
    if others.len() > 3 || others.iter().map(|&v| u64::from(need.div_ceil(cap[v])) + 1).product::<u64>() > MOST {
        return None;
    }
    let mut min = f64::INFINITY;
    go(need, 0.0, &others, (cap, cost, best), &mut min);
    Some(min)
}

/// The cheapest counts covering `need` seats with unlimited buses of the options that have
/// any (`limits[i] > 0`), if those counts are within the limits.
fn unbounded_cover(need: u32, opts: &[MixOption], limits: impl Fn(usize) -> u32 + Copy) -> Option<(f64, Vec<u32>)> {
    let n = need as usize;
    if n < TINY {
        let (mut dp, mut pick) = ([0.0; TINY], [0usize; TINY]);
        unbounded_into(&mut dp[..=n], &mut pick[..=n], opts, limits)
    } else if n < SMALL {
        let (mut dp, mut pick) = ([0.0; SMALL], [0usize; SMALL]);
        unbounded_into(&mut dp[..=n], &mut pick[..=n], opts, limits)
    } else if n < STACK {
        let (mut dp, mut pick) = ([0.0; STACK], [0usize; STACK]);
        unbounded_into(&mut dp[..=n], &mut pick[..=n], opts, limits)
    } else {
        unbounded_into(&mut vec![0.0; n + 1], &mut vec![0; n + 1], opts, limits)
    }
}

/// An option that has buses: its index, seats and cost.
type Active = (usize, usize, f64);

/// [`unbounded_cover`] of `need = dp.len() - 1` in the buffers `dp` and `pick`.
fn unbounded_into(dp: &mut [f64], pick: &mut [usize], opts: &[MixOption], limits: impl Fn(usize) -> u32) -> Option<(f64, Vec<u32>)> {
    let n = dp.len() - 1;
    dp[0] = 0.0;
    // The options that have buses, in their order (ties go to the first); on the stack when
    // there are few options (three sources per type at a hub).
    let has = opts.iter().enumerate().filter(|&(i, o)| limits(i) > 0 && o.cap > 0).map(|(i, o)| (i, o.cap as usize, o.cost));
    let (mut few, many): ([Active; 16], Vec<Active>);
    let all: &[Active] = if opts.len() <= 16 {
        few = [(0, 0, 0.0); 16];
        let mut na = 0;
        for entry in has {
            few[na] = entry;
            na += 1;
        }
        &few[..na]
    } else {
        many = has.collect();
        &many
    };
    for f in 1..=n {
        let (mut best, mut best_i) = (f64::INFINITY, usize::MAX);
        for &(i, cap, cost) in all {
            let c = dp[f.saturating_sub(cap)] + cost;
            if c < best - 1e-9 {
                best = c;
                best_i = i;
            }
        }
        dp[f] = best;
        pick[f] = best_i;
    }
    if !dp[n].is_finite() {
        return None;
    }
    let mut counts = vec![0u32; opts.len()];
    let mut f = n;
    while f > 0 {
        let i = pick[f];
        counts[i] += 1;
        f = f.saturating_sub(opts[i].cap as usize);
    }
    counts.iter().enumerate().all(|(i, &c)| c <= limits(i)).then_some((dp[n], counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(cap: u32, acc: u32, cost: f64, max: u32) -> MixOption {
        MixOption { cap, acc, cost, max }
    }

    fn brute(need: u32, need_acc: u32, opts: &[MixOption]) -> Option<f64> {
        fn rec(i: usize, need: u32, acc: u32, opts: &[MixOption]) -> Option<f64> {
            if i == opts.len() {
                return (need == 0 && acc == 0).then_some(0.0);
            }
            let mut best: Option<f64> = None;
            for c in 0..=opts[i].max.min(30) {
                let r = rec(i + 1, need.saturating_sub(c * opts[i].cap), acc.saturating_sub(c * opts[i].acc), opts)
                    .map(|v| v + f64::from(c) * opts[i].cost);
                if let Some(v) = r {
                    best = Some(best.map_or(v, |b: f64| b.min(v)));
                }
            }
            best
        }
        rec(0, need, need_acc, opts)
    }

    #[test]
    fn mix_matches_brute_force() {
        let opts = [opt(39, 0, 3000.0, 4), opt(33, 2, 2700.0, 3), opt(24, 0, 1800.0, 5)];
        for need in [0, 1, 24, 25, 33, 39, 40, 66, 72, 100, 150, 200] {
            for need_acc in [0, 1, 3] {
                let got = cheapest_mix(need, need_acc, &opts).map(|(c, n)| {
                    let seats: u32 = n.iter().zip(&opts).map(|(n, o)| n * o.cap).sum();
                    let acc: u32 = n.iter().zip(&opts).map(|(n, o)| n * o.acc).sum();
                    assert!(seats >= need && acc >= need_acc);
                    c
                });
                assert_eq!(got, brute(need, need_acc, &opts), "need {need} acc {need_acc}");
            }
        }
    }

    #[test]
    fn large_loads_are_covered() {
        let opts = [opt(39, 0, 3000.0, 1000), opt(24, 0, 1800.0, 1000)];
        let (_, n) = cheapest_mix(15_000, 0, &opts).unwrap();
        assert!(n[0] * 39 + n[1] * 24 >= 15_000);
    }

    #[test]
    fn large_accessible_loads_are_covered() {
        let opts = [opt(39, 0, 3000.0, 1000), opt(24, 4, 2400.0, 1000)];
        let (_, n) = cheapest_mix(5_000, 900, &opts).unwrap();
        assert!(n[0] * 39 + n[1] * 24 >= 5_000);
        assert!(n[1] * 4 >= 900);
    }

    #[test]
    fn staircase_is_the_cheapest_cover() {
        let cap = [39, 24];
        let cost = [3000.0, 1800.0];
        assert!(staircase(0, &cap, &cost).abs() < 1e-9);
        assert!((staircase(1, &cap, &cost) - 1800.0).abs() < 1e-9);
        assert!((staircase(25, &cap, &cost) - 3000.0).abs() < 1e-9);
        assert!((staircase(40, &cap, &cost) - 3600.0).abs() < 1e-9);
        assert!((staircase(48, &cap, &cost) - 3600.0).abs() < 1e-9);
        // Brute force over counts.
        for need in 0..300u32 {
            let mut best = f64::INFINITY;
            for a in 0..=10u32 {
                for b in 0..=15u32 {
                    if a * 39 + b * 24 >= need {
                        best = best.min(f64::from(a) * 3000.0 + f64::from(b) * 1800.0);
                    }
                }
            }
            assert!((staircase(need, &cap, &cost) - best).abs() < 1e-6, "need {need}");
        }
    }

    proptest::proptest! {
        /// Trying counts gives the dynamic programme's cover, for any sizes and costs.
        #[test]
        fn counting_is_the_dynamic_programme(
            cap in proptest::collection::vec(1u32..60, 1..4),
            cost in proptest::collection::vec(0.0f64..5000.0, 3),
            need in 0u32..300,
        ) {
            let cost = &cost[..cap.len()];
            let best = (0..cap.len()).min_by(|&a, &b| (cost[a] / f64::from(cap[a])).total_cmp(&(cost[b] / f64::from(cap[b]))).then(a.cmp(&b))).unwrap();
            let dp = cover_costs(need, &cap, cost)[need as usize];
            if let Some(g) = cover_by_counts(need, &cap, cost, best) {
                proptest::prop_assert!((g - dp).abs() <= 1e-6 * dp.max(1.0), "{} {}", g, dp);
            }
        }
    }

    #[test]
    fn uncoverable_is_none() {
        assert!(cheapest_mix(100, 0, &[opt(39, 0, 1.0, 2)]).is_none());
        assert!(cheapest_mix(10, 1, &[opt(39, 0, 1.0, 2)]).is_none());
    }
}
