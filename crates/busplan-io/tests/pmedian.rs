//! The p-median MIP and the enumeration of every subset agree.

use busplan_io::pmedian::{self, haversine_km, Method};
use proptest::prelude::*;

/// Clients (weight, lat, lon), sites (lat, lon) and k.
type Case = (Vec<(u8, f64, f64)>, Vec<(f64, f64)>, usize);

/// Clients and sites around Chaoyang, and a k.
fn case() -> impl Strategy<Value = Case> {
    (1usize..=7).prop_flat_map(|n| {
        (
            prop::collection::vec((0u8..6, 41.0f64..41.9, 119.3f64..120.9), 1..=14),
            prop::collection::vec((41.0f64..41.9, 119.3f64..120.9), n),
            1..=n,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn mip_and_enumeration_agree((clients, sites, k) in case()) {
        let weights: Vec<f64> = clients.iter().map(|c| f64::from(c.0)).collect();
        let dist: Vec<Vec<f64>> = clients
            .iter()
            .map(|&(_, la, lo)| sites.iter().map(|&(sa, so)| haversine_km(la, lo, sa, so)).collect())
            .collect();
        let e = pmedian::solve(&weights, &dist, k, Method::Enumerate).unwrap();
        let m = pmedian::solve(&weights, &dist, k, Method::Mip).unwrap();
        for s in [&e, &m] {
            prop_assert_eq!(s.open.len(), k);
            prop_assert!(s.open.windows(2).all(|w| w[0] < w[1]));
            // Every client goes to its nearest open site, and the cost is what that costs.
            let mut cost = 0.0;
            for (i, row) in dist.iter().enumerate() {
                let best = s.open.iter().map(|&j| row[j]).fold(f64::INFINITY, f64::min);
                prop_assert!(s.open.contains(&s.assign[i]));
                prop_assert!((row[s.assign[i]] - best).abs() < 1e-12);
                cost += weights[i] * best;
            }
            prop_assert!((cost - s.cost).abs() <= 1e-9 * cost.max(1.0));
        }
        prop_assert!((e.cost - m.cost).abs() <= 1e-6 * e.cost.max(1.0), "enumeration {} vs MIP {}", e.cost, m.cost);
        // Auto picks enumeration for these sizes.
        prop_assert_eq!(pmedian::solve(&weights, &dist, k, Method::Auto).unwrap(), e);
    }
}

#[test]
fn auto_uses_the_mip_for_many_subsets() {
    // C(30, 10) = 30,045,015 subsets: far too many to enumerate.
    let sites: Vec<(f64, f64)> = (0..30).map(|j| (41.0 + 0.03 * f64::from(j), 119.5 + 0.05 * f64::from(j % 7))).collect();
    let clients: Vec<(f64, f64)> = (0..40).map(|i| (41.0 + 0.022 * f64::from(i), 119.5 + 0.04 * f64::from(i % 9))).collect();
    let dist: Vec<Vec<f64>> =
        clients.iter().map(|&(la, lo)| sites.iter().map(|&(sa, so)| haversine_km(la, lo, sa, so)).collect()).collect();
    let w = vec![1.0; clients.len()];
    let s = pmedian::solve(&w, &dist, 10, Method::Auto).unwrap();
    assert_eq!(s.method, Method::Mip);
    assert_eq!(s.open.len(), 10);
    // Opening more sites never costs more.
    let s11 = pmedian::solve(&w, &dist, 11, Method::Mip).unwrap();
    assert!(s11.cost <= s.cost + 1e-9);
}
