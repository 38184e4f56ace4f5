//! The batch-step API: `plan` / `build_point` / `tell_all` against ask/tell, bit for bit, for every rule, mode, noise kind and structure.

use dopamine_core::{
    AdaptiveCoding, BaselinePolicy, Block, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule,
    Error, NoiseKind, NoiseStructure, OpenEs, OpenEsConfig, OpenEsRule, ParamLayout, PerturbConfig,
    PerturbationOptimizer, Query, Real, Rejection, RpeMode, SecondMomentConfig, Side, Snes,
    SnesConfig, StepOutcome, Told, UpdateRule, Wp, WpRule,
};
use proptest::prelude::*;

/// A layout with two matrix blocks and two vectors: 6x4, 3, 2x6, 2 (41 parameters).
fn layout() -> ParamLayout {
    ParamLayout::new(&[
        Block::Matrix { rows: 6, cols: 4 },
        Block::Vector { len: 3 },
        Block::Matrix { rows: 2, cols: 6 },
        Block::Vector { len: 2 },
    ])
    .unwrap()
}

/// A smooth loss with an occasional NaN on chosen `(step, point)` pairs.
#[derive(Clone, Copy)]
struct Loss {
    nan_every: u64,
}

impl Loss {
    fn eval<T: Real>(&self, w: &[T], step: u64, point: usize) -> T {
        if self.nan_every > 0 && (step * 7 + point as u64) % self.nan_every == 0 {
            return T::from_f64(f64::NAN);
        }
        let mut s = T::ZERO;
        for (i, x) in w.iter().enumerate() {
            let c = T::from_f64(1.0 + (i % 5) as f64);
            let d = *x - T::from_f64(0.1 * i as f64);
            s += c * d * d;
        }
        s
    }
}

/// The plan index of a query (baseline first, then each probe's sides).
fn index_of<T: Real, R: UpdateRule<T>>(opt: &PerturbationOptimizer<T, R>, q: Query) -> usize {
    let c = opt.config();
    let offset = usize::from(c.baseline == BaselinePolicy::Evaluate);
    match q {
        Query::Baseline => 0,
        Query::Probe { probe, side } => {
            offset + probe * c.sides() + usize::from(side == Side::Minus)
        }
    }
}

fn step_ask_tell<T: Real, R: UpdateRule<T>>(
    opt: &mut PerturbationOptimizer<T, R>,
    w: &mut [T],
    loss: Loss,
) -> StepOutcome<T> {
    let step = opt.step_index();
    loop {
        let q = opt.ask(w).unwrap();
        let e = index_of(opt, q);
        let l = loss.eval(w, step, e);
        match opt.tell(w, l).unwrap() {
            Told::Baseline { .. } | Told::Probed => {}
            Told::Updated(r) => return StepOutcome::Updated(r),
            Told::Rejected(why) => return StepOutcome::Rejected(why),
        }
    }
}

fn step_batch<T: Real, R: UpdateRule<T>>(
    opt: &mut PerturbationOptimizer<T, R>,
    w: &mut [T],
    loss: Loss,
) -> StepOutcome<T> {
    let plan = opt.plan(w).unwrap();
    let mut base = w.to_vec();
    let mut point = vec![T::ZERO; w.len()];
    let mut losses = Vec::new();
    for e in 0..plan.len() {
        plan.build_point(e, &mut base, &mut point).unwrap();
        losses.push(loss.eval(&point, plan.step(), e));
    }
    opt.tell_all(w, &losses).unwrap()
}

fn bits<T: Real>(w: &[T]) -> Vec<u64> {
    w.iter().map(|x| x.to_f64().to_bits()).collect()
}

/// Runs `steps` steps both ways and compares parameters, outcomes and rule state.
fn compare<T: Real, R: UpdateRule<T> + Clone + PartialEq + core::fmt::Debug>(
    make: impl Fn() -> PerturbationOptimizer<T, R>,
    w0: &[T],
    loss: Loss,
    steps: usize,
) {
    let (mut a, mut b) = (make(), make());
    let (mut wa, mut wb) = (w0.to_vec(), w0.to_vec());
    for s in 0..steps {
        let oa = step_ask_tell(&mut a, &mut wa, loss);
        let ob = step_batch(&mut b, &mut wb, loss);
        assert_eq!(oa, ob, "outcome of step {s}");
        assert_eq!(bits(&wa), bits(&wb), "parameters after step {s}");
        assert_eq!(a.rule(), b.rule(), "rule state after step {s}");
        assert_eq!(a.step_index(), b.step_index());
        let (ca, cb) = (a.counters(), b.counters());
        assert_eq!(
            (ca.updates, ca.undone_updates, ca.rejected_probes),
            (cb.updates, cb.undone_updates, cb.rejected_probes)
        );
        assert_eq!(ca.consecutive_rejections, cb.consecutive_rejections);
        assert!(wa.iter().all(|x| x.is_finite()));
    }
}

fn config<T: Real>(
    seed: u64,
    probes: usize,
    mode: u8,
    noise: NoiseKind,
    rank: Option<usize>,
) -> PerturbConfig<T> {
    let (rpe, baseline) = match mode {
        0 => (RpeMode::Forward, BaselinePolicy::Evaluate),
        1 => (RpeMode::Antithetic, BaselinePolicy::Evaluate),
        _ => (RpeMode::Antithetic, BaselinePolicy::FromProbes),
    };
    PerturbConfig {
        sigma: T::from_f64(0.03),
        eta: T::from_f64(0.02),
        probes,
        rpe,
        baseline,
        noise,
        structure: rank.map_or(NoiseStructure::Full, |rank| NoiseStructure::LowRank {
            rank,
        }),
        seed,
        ..Default::default()
    }
}

fn all_rules<T: Real>(c: PerturbConfig<T>, w0: &[T], loss: Loss, steps: usize) {
    let l = layout();
    compare(
        || Wp::with_layout(c, WpRule::default(), l).unwrap(),
        w0,
        loss,
        steps,
    );
    compare(
        || Dopamine1::with_layout(c, Dopamine1Rule::default(), l).unwrap(),
        w0,
        loss,
        steps,
    );
    compare(
        || {
            let rule = Dopamine2Rule::new(
                AdaptiveCoding::default(),
                T::from_f64(0.5),
                vec![T::ZERO; w0.len()],
            );
            Dopamine2::with_layout(c, rule, l).unwrap()
        },
        w0,
        loss,
        steps,
    );
    // The second-moment option of both Dopamine rules.
    let moment = SecondMomentConfig::default();
    compare(
        || {
            let rule = Dopamine1Rule::default().with_second_moment(moment, vec![T::ZERO; w0.len()]);
            Dopamine1::with_layout(c, rule, l).unwrap()
        },
        w0,
        loss,
        steps,
    );
    compare(
        || {
            let rule = Dopamine2Rule::new(
                AdaptiveCoding::default(),
                T::from_f64(0.5),
                vec![T::ZERO; w0.len()],
            )
            .with_second_moment(moment, vec![T::ZERO; w0.len()]);
            Dopamine2::with_layout(c, rule, l).unwrap()
        },
        w0,
        loss,
        steps,
    );
    // OpenES runs only antithetic without a baseline (mode 2).
    if c.baseline == BaselinePolicy::FromProbes {
        compare(
            || {
                let es = OpenEsConfig {
                    l2: T::from_f64(0.1),
                    ..OpenEsConfig::default()
                };
                let rule = OpenEsRule::new(es, vec![T::ZERO; 2 * w0.len()]);
                OpenEs::with_layout(c, rule, l).unwrap()
            },
            w0,
            loss,
            steps,
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Given the same losses, a batch step and an ask/tell step leave the
    /// same parameters and rule state, bit for bit — NaN losses (safety net)
    /// included — for every rule, RPE mode, noise kind and structure, f32 and f64.
    #[test]
    fn batch_and_ask_tell_trajectories_are_identical(
        seed in 0u64..1000,
        probes in 1usize..5,
        mode in 0u8..3,
        rademacher in any::<bool>(),
        rank in prop_oneof![Just(None), Just(Some(1usize)), Just(Some(2usize))],
        nan_every in prop_oneof![Just(0u64), 5u64..13],
        start in prop::collection::vec(-2.0f64..2.0, 41),
    ) {
        let noise = if rademacher { NoiseKind::Rademacher } else { NoiseKind::Gaussian };
        let loss = Loss { nan_every };
        let w64: Vec<f64> = start.clone();
        all_rules(config::<f64>(seed, probes, mode, noise, rank), &w64, loss, 12);
        let w32: Vec<f32> = start.iter().map(|x| *x as f32).collect();
        all_rules(config::<f32>(seed, probes, mode, noise, rank), &w32, loss, 12);
    }

    /// Low-rank perturb and restore match a dense reference built from the
    /// same factors: `w + sigma (A B^T / sqrt(r))` entry by entry, and the
    /// update `w += sum_k c_k Z_k` equals adding the dense matrices in order.
    #[test]
    fn low_rank_kernels_match_dense_reference(
        seed in 0u64..1000,
        rank in 1usize..3,
        sigma in 0.001f64..1.0,
        coefs in prop::collection::vec(-1.0f64..1.0, 1..4),
        start in prop::collection::vec(-2.0f64..2.0, 41),
    ) {
        let l = layout();
        let noise = dopamine_core::StepNoise::structured(
            seed, 3, NoiseKind::Gaussian, NoiseStructure::LowRank { rank }, &l);
        // Dense noise of each probe from the factors (matrix blocks) and the
        // ordinary stream (vector blocks).
        let dense = |probe: usize| -> Vec<f64> {
            let mut z = vec![0.0; 41];
            let mut offset = 0;
            for (b, block) in l.blocks().iter().enumerate() {
                match *block {
                    Block::Matrix { rows, cols } => {
                        let mut a = vec![0.0; rows * rank];
                        let mut bm = vec![0.0; cols * rank];
                        noise.factors(probe, b, &mut a, &mut bm);
                        for j in 0..cols {
                            for i in 0..rows {
                                let mut s = a[i] * bm[j];
                                for r in 1..rank {
                                    s += a[i + r * rows] * bm[j + r * cols];
                                }
                                z[offset + i + j * rows] = s * noise.rank_scale::<f64>();
                            }
                        }
                    }
                    Block::Vector { len } => {
                        for i in 0..len {
                            z[offset + i] = noise.stream(probe).value::<f64>(offset + i);
                        }
                    }
                }
                offset += block.len();
            }
            z
        };
        let z0 = dense(0);
        let mut w = start.clone();
        noise.perturb(&mut w, 0, sigma);
        for i in 0..41 {
            prop_assert_eq!(w[i].to_bits(), (start[i] + sigma * z0[i]).to_bits());
        }
        noise.restore(&mut w, 0, sigma);
        for i in 0..41 {
            prop_assert_eq!(w[i].to_bits(), ((start[i] + sigma * z0[i]) - sigma * z0[i]).to_bits());
        }
        let mut w = start.clone();
        prop_assert!(noise.add_combination(&mut w, &coefs));
        let mut reference = start.clone();
        for (k, c) in coefs.iter().enumerate() {
            let z = dense(k);
            for i in 0..41 {
                reference[i] += c * z[i];
            }
        }
        prop_assert_eq!(bits(&w), bits(&reference));
    }
}

#[test]
fn plan_lists_the_points_in_order() {
    let w = vec![0.5f64; 41];
    for (mode, expected) in [
        (
            0u8,
            vec![Query::Baseline, probe(0, Side::Plus), probe(1, Side::Plus)],
        ),
        (
            1,
            vec![
                Query::Baseline,
                probe(0, Side::Plus),
                probe(0, Side::Minus),
                probe(1, Side::Plus),
                probe(1, Side::Minus),
            ],
        ),
        (
            2,
            vec![
                probe(0, Side::Plus),
                probe(0, Side::Minus),
                probe(1, Side::Plus),
                probe(1, Side::Minus),
            ],
        ),
    ] {
        let c = config::<f64>(1, 2, mode, NoiseKind::Gaussian, None);
        let mut opt = Dopamine1::new(c, Dopamine1Rule::default(), 41).unwrap();
        let plan = opt.plan(&w).unwrap();
        let points: Vec<Query> = (0..plan.len()).map(|e| plan.point(e)).collect();
        assert_eq!(points, expected, "mode {mode}");
        for (e, q) in points.iter().enumerate() {
            assert_eq!(plan.index_of(*q), Some(e));
        }
        assert_eq!(plan.len() as u64, c.forward_passes_per_step());
    }
}

fn probe(probe: usize, side: Side) -> Query {
    Query::Probe { probe, side }
}

#[test]
fn misuse_is_an_error_and_changes_nothing() {
    let c = config::<f64>(1, 2, 1, NoiseKind::Gaussian, None);
    let mut w = vec![0.5f64; 41];
    let mut opt = Dopamine1::new(c, Dopamine1Rule::default(), 41).unwrap();
    assert_eq!(opt.tell_all(&mut w, &[1.0; 5]), Err(Error::BatchOutOfOrder));
    // In the middle of an ask/tell step, no plan.
    opt.ask(&mut w).unwrap();
    assert_eq!(opt.plan(&w).unwrap_err(), Error::BatchOutOfOrder);
    assert!(matches!(opt.tell(&mut w, 1.0), Ok(Told::Baseline { .. })));
    assert_eq!(opt.plan(&w).unwrap_err(), Error::BatchOutOfOrder);
    let mut opt = Dopamine1::new(c, Dopamine1Rule::default(), 41).unwrap();
    let plan = opt.plan(&w).unwrap();
    // While planned, no ask.
    assert_eq!(opt.ask(&mut w), Err(Error::BatchOutOfOrder));
    // Wrong number of losses: nothing changes, the plan stands.
    let before = w.clone();
    assert_eq!(
        opt.tell_all(&mut w, &[1.0; 4]),
        Err(Error::LengthMismatch {
            expected: 5,
            got: 4
        })
    );
    assert_eq!(w, before);
    let (mut base, mut out) = (w.clone(), vec![0.0; 41]);
    assert_eq!(
        plan.build_point(5, &mut base, &mut out),
        Err(Error::PointOutOfRange { point: 5, len: 5 })
    );
    assert_eq!(
        plan.build_point(0, &mut base, &mut out[..40]),
        Err(Error::LengthMismatch {
            expected: 41,
            got: 40
        })
    );
    assert!(matches!(
        opt.tell_all(&mut w, &[1.0, 0.9, 1.1, 1.0, 1.0]),
        Ok(StepOutcome::Updated(_))
    ));
    // Non-finite parameters are refused at the start of a step.
    let mut bad = w.clone();
    bad[3] = f64::NAN;
    assert_eq!(opt.plan(&bad).unwrap_err(), Error::NonFiniteParameters);
}

#[test]
fn every_bad_layout_is_a_typed_error() {
    let m = |rows, cols| Block::Matrix { rows, cols };
    let v = |len| Block::Vector { len };
    let low = |rank| PerturbConfig::<f64> {
        structure: NoiseStructure::LowRank { rank },
        ..Default::default()
    };
    let cases: Vec<(&str, Result<(), Error>)> = vec![
        (
            "blocks not summing to P",
            ParamLayout::new(&[m(3, 2), v(2)]).and_then(|l| l.validate(9, None)),
        ),
        ("zero-sized block", ParamLayout::new(&[m(3, 0)]).map(|_| ())),
        (
            "zero-length vector",
            ParamLayout::new(&[m(3, 2), v(0)]).map(|_| ()),
        ),
        ("no block", ParamLayout::new(&[]).map(|_| ())),
        (
            "too many blocks",
            ParamLayout::new(&[v(1); dopamine_core::MAX_BLOCKS + 1]).map(|_| ()),
        ),
        ("rank 0", low(0).validate()),
        (
            "rank > min(m, n)",
            Wp::with_layout(
                low(3),
                WpRule::default(),
                ParamLayout::new(&[m(5, 2), v(1)]).unwrap(),
            )
            .map(|_| ()),
        ),
        (
            "rank > MAX_RANK",
            low(dopamine_core::MAX_RANK + 1).validate(),
        ),
        (
            "low rank without a matrix",
            Wp::with_layout(
                low(1),
                WpRule::default(),
                ParamLayout::new(&[v(4)]).unwrap(),
            )
            .map(|_| ()),
        ),
    ];
    let expected = [
        Error::LayoutMismatch {
            layout: 8,
            params: 9,
        },
        Error::EmptyBlock { index: 0 },
        Error::EmptyBlock { index: 1 },
        Error::EmptyParameters,
        Error::TooManyBlocks {
            requested: dopamine_core::MAX_BLOCKS + 1,
            max: dopamine_core::MAX_BLOCKS,
        },
        Error::RankZero,
        Error::RankTooLarge {
            block: Some(0),
            rank: 3,
            max: 2,
        },
        Error::RankTooLarge {
            block: None,
            rank: dopamine_core::MAX_RANK + 1,
            max: dopamine_core::MAX_RANK,
        },
        Error::NoMatrixBlock,
    ];
    for ((what, got), want) in cases.into_iter().zip(expected) {
        assert_eq!(got, Err(want), "{what}");
        assert!(!want.to_string().is_empty());
    }
}

/// Without a baseline, an antithetic step costs exactly its 2K probes, and a
/// non-finite first probe after an update undoes it.
#[test]
fn skipped_baseline_costs_two_k_and_still_guards_updates() {
    let c = config::<f64>(4, 3, 2, NoiseKind::Gaussian, None);
    assert_eq!(c.forward_passes_per_step(), 6);
    let mut w = vec![0.3f64; 41];
    let mut opt = Dopamine1::new(c, Dopamine1Rule::default(), 41).unwrap();
    let loss = Loss { nan_every: 0 };
    let StepOutcome::Updated(report) = step_ask_tell(&mut opt, &mut w, loss) else {
        panic!("first step rejected");
    };
    assert_eq!(opt.counters().forward_passes, 6);
    // The reported loss is the mean of the probes' losses: close to L(w).
    let l0 = loss.eval(&[0.3f64; 41], 0, 0);
    assert!(
        (report.baseline_loss - l0).abs() < 1e-2 * l0,
        "{} vs {l0}",
        report.baseline_loss
    );
    let after_update = w.clone();
    // The next step's first probe comes back NaN: the update is undone.
    assert!(matches!(
        opt.ask(&mut w).unwrap(),
        Query::Probe {
            probe: 0,
            side: Side::Plus
        }
    ));
    assert_eq!(
        opt.tell(&mut w, f64::NAN).unwrap(),
        Told::Rejected(Rejection::UpdateUndone)
    );
    assert_eq!(opt.counters().undone_updates, 1);
    let moved: f64 = w
        .iter()
        .zip(&after_update)
        .map(|(a, b)| (a - b).abs())
        .sum();
    assert!(moved > 0.0);
    for x in &w {
        assert!((x - 0.3).abs() < 1e-12, "back at the start: {x}");
    }
    // The forward-mode config cannot skip its baseline.
    let bad = PerturbConfig::<f64> {
        baseline: BaselinePolicy::FromProbes,
        ..Default::default()
    };
    assert!(matches!(bad.validate(), Err(Error::InvalidSetting(_))));
}

/// The case: WP on `f32` weights at the edge of the range, a loss
/// that rewards growth, huge sigma and eta. Before the fix the update passed
/// the overflow check and left `w = [inf]`.
#[test]
fn wp_at_the_float_edge_never_leaves_infinite_weights() {
    for batch in [false, true] {
        let c = PerturbConfig {
            sigma: 1e32f32,
            eta: 1e34,
            seed: 1,
            ..Default::default()
        };
        let mut w = [3.4027e38f32];
        let mut opt = Wp::new(c, WpRule::default(), 1).unwrap();
        for _ in 0..20 {
            let loss = |p: &[f32]| -p[0];
            let out = if batch {
                let plan = opt.plan(&w).unwrap();
                let (mut base, mut pt) = (w.to_vec(), vec![0.0f32; 1]);
                let mut losses = vec![];
                for e in 0..plan.len() {
                    plan.build_point(e, &mut base, &mut pt).unwrap();
                    losses.push(loss(&pt));
                }
                opt.tell_all(&mut w, &losses).unwrap()
            } else {
                opt.step(&mut w, loss).unwrap()
            };
            assert!(w[0].is_finite(), "w = {w:?} after {out:?}");
        }
        assert!(opt.counters().skipped_updates > 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Near the float limits, for every rule, noise kind, structure and both
    /// APIs: the parameters never become non-finite, and a skipped update
    /// writes nothing.
    #[test]
    fn safety_net_holds_near_the_float_limits(
        scale in prop_oneof![Just(0.5f64), Just(0.99), Just(0.999_999)],
        signs in prop::collection::vec(any::<bool>(), 41),
        sigma_exp in 20i32..37,
        eta_exp in 20i32..40,
        seed in 0u64..100,
        rule in 0u8..6,
        rademacher in any::<bool>(),
        low_rank in any::<bool>(),
        batch in any::<bool>(),
    ) {
        let w0: Vec<f32> = signs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let m = (f32::MAX as f64) * scale * (1.0 - i as f64 * 1e-3);
                (if *s { m } else { -m }) as f32
            })
            .collect();
        let c = PerturbConfig {
            sigma: 10f32.powi(sigma_exp),
            eta: 10f32.powi(eta_exp),
            probes: 2,
            rpe: RpeMode::Antithetic,
            noise: if rademacher { NoiseKind::Rademacher } else { NoiseKind::Gaussian },
            structure: if low_rank { NoiseStructure::LowRank { rank: 1 } } else { NoiseStructure::Full },
            seed,
            ..Default::default()
        };
        let loss = |p: &[f32]| -p.iter().map(|x| *x as f64).sum::<f64>() as f32 * 1e-30;
        let l = layout();
        macro_rules! run {
            ($opt:expr) => {{
                let mut opt = match $opt {
                    Ok(o) => o,
                    Err(_) => return Ok(()),
                };
                let mut w = w0.clone();
                for _ in 0..6 {
                    let before = w.clone();
                    let out = if batch {
                        match opt.plan(&w) {
                            Ok(plan) => {
                                let (mut base, mut pt) = (w.clone(), vec![0.0f32; 41]);
                                let mut losses = vec![];
                                for e in 0..plan.len() {
                                    plan.build_point(e, &mut base, &mut pt).unwrap();
                                    losses.push(loss(&pt));
                                }
                                opt.tell_all(&mut w, &losses).unwrap()
                            }
                            Err(e) => {
                                prop_assert_eq!(e, Error::PerturbationOverflow);
                                break;
                            }
                        }
                    } else {
                        match opt.step(&mut w, loss) {
                            Ok(o) => o,
                            Err(e) => {
                                prop_assert_eq!(e, Error::PerturbationOverflow);
                                break;
                            }
                        }
                    };
                    prop_assert!(w.iter().all(|x| x.is_finite()), "{:?}", out);
                    if out == StepOutcome::Rejected(Rejection::UpdateTooLarge) {
                        // Only the restores' rounding may have moved a weight.
                        for (a, b) in w.iter().zip(&before) {
                            prop_assert!((a - b).abs() <= b.abs() * 1e-6);
                        }
                    }
                }
            }};
        }
        let moment = SecondMomentConfig::default();
        match rule {
            0 => run!(Wp::with_layout(c, WpRule::default(), l)),
            1 => run!(Dopamine1::with_layout(c, Dopamine1Rule::default(), l)),
            2 => run!(Dopamine2::with_layout(
                c,
                Dopamine2Rule::new(AdaptiveCoding::default(), 0.5f32, vec![0.0f32; 41]),
                l
            )),
            3 => run!(OpenEs::with_layout(
                PerturbConfig { baseline: BaselinePolicy::FromProbes, ..c },
                OpenEsRule::new(OpenEsConfig { l2: 0.1f32, ..OpenEsConfig::default() }, vec![0.0f32; 82]),
                l
            )),
            4 => run!(Dopamine1::with_layout(
                c,
                Dopamine1Rule::default().with_second_moment(moment, vec![0.0f32; 41]),
                l
            )),
            _ => run!(Dopamine2::with_layout(
                c,
                Dopamine2Rule::new(AdaptiveCoding::default(), 0.5f32, vec![0.0f32; 41])
                    .with_second_moment(moment, vec![0.0f32; 41]),
                l
            )),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// SNES near the float limits: `f32` means up to `f32::MAX` and
    /// `sigma0` up to `1e37` with a loss that rewards growth. `plan` either
    /// refuses (`PerturbationOverflow`, nothing changed) or the step ends
    /// with finite `mu` and `sigma`; a skipped update writes nothing.
    #[test]
    fn snes_safety_net_holds_near_the_float_limits(
        scale in prop_oneof![Just(0.5f64), Just(0.99), Just(0.999_999)],
        signs in prop::collection::vec(any::<bool>(), 7),
        sigma_exp in 20i32..38,
        seed in 0u64..100,
    ) {
        let w0: Vec<f32> = signs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let m = (f32::MAX as f64) * scale * (1.0 - i as f64 * 1e-3);
                (if *s { m } else { -m }) as f32
            })
            .collect();
        let mut c = SnesConfig::new(7, 10f32.powi(sigma_exp));
        c.seed = seed;
        let mut opt = Snes::new(c, 7, vec![0.0f32; 7]).unwrap();
        let loss = |p: &[f32]| (-p.iter().map(|x| *x as f64 * x.signum() as f64).sum::<f64>() * 1e-30) as f32;
        let mut w = w0.clone();
        let mut scratch = vec![0.0f32; 7];
        for _ in 0..6 {
            let (before, sigma) = (w.clone(), opt.sigma().to_vec());
            match opt.step(&mut w, &mut scratch, loss) {
                Ok(out) => {
                    prop_assert!(w.iter().all(|x| x.is_finite()), "{:?}", out);
                    prop_assert!(opt.sigma().iter().all(|s| s.is_finite() && *s >= 0.0));
                    if matches!(out, StepOutcome::Rejected(_)) {
                        prop_assert_eq!(&w, &before);
                        prop_assert_eq!(opt.sigma(), &sigma[..]);
                    }
                }
                Err(e) => {
                    prop_assert_eq!(e, Error::PerturbationOverflow);
                    prop_assert_eq!(&w, &before);
                    break;
                }
            }
        }
    }
}
