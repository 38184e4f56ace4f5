//! The kernel never allocates: 1,000 ask/tell steps of each rule (OpenES and the second-moment option included), SNES and population steps, and SGD and Adam steps, under a counting global allocator.
//!
//! The workspace's counting allocator (`dopamine-meter`) is installed; only
//! allocations made on the test's own thread are counted, so the test
//! harness's threads cannot disturb the count. This file holds a single test
//! on purpose.

use dopamine_core::{
    Adam, AdamConfig, AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, OpenEs,
    OpenEsConfig, OpenEsRule, PerturbConfig, RpeMode, SecondMomentConfig, Sgd, SgdConfig, Snes,
    SnesConfig, StepOutcome, Told, UpdateRule, Wp, WpRule, step_population,
};
use dopamine_meter::{CountingAllocator, thread_allocations};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator::new();

const N: usize = 300;

fn loss(w: &[f64]) -> f64 {
    w.iter()
        .enumerate()
        .map(|(i, x)| (x - (i % 7) as f64 * 0.1).powi(2))
        .sum()
}

/// 1,000 steps through `ask`/`tell`, with a NaN now and then so that the
/// safety net (restore, undo) runs too.
fn run<R: UpdateRule<f64>>(opt: &mut dopamine_core::PerturbationOptimizer<f64, R>, w: &mut [f64]) {
    let mut evals = 0u64;
    let mut steps = 0;
    while steps < 1_000 {
        opt.ask(w).unwrap();
        evals += 1;
        let l = if evals % 97 == 0 { f64::NAN } else { loss(w) };
        match opt.tell(w, l).unwrap() {
            Told::Updated(_) | Told::Rejected(_) => steps += 1,
            Told::Baseline { .. } | Told::Probed => {}
        }
    }
    assert!(opt.counters().undone_updates + opt.counters().rejected_probes > 0);
}

#[test]
fn no_allocation_in_any_step() {
    let mut w = vec![0.5f64; N];
    let mut trace = [0.0f64; N];
    let mut trace_vec = vec![0.0f64; N];
    let (mut m, mut v, mut vel) = (vec![0.0f64; N], vec![0.0f64; N], vec![0.0f64; N]);
    let mut grads = vec![0.0f64; N];
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.01,
        probes: 4,
        seed: 3,
        ..Default::default()
    };
    let anti = PerturbConfig {
        rpe: RpeMode::Antithetic,
        probes: 2,
        ..config
    };
    // Construction happens outside the counted region only for the Vec-backed
    // trace; everything else is built while counting.
    let d2_vec_rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, &mut trace_vec[..]);

    let before = thread_allocations();

    let mut wp = Wp::new(config, WpRule::default(), N).unwrap();
    run(&mut wp, &mut w);
    let mut d1 = Dopamine1::new(config, Dopamine1Rule::default(), N).unwrap();
    run(&mut d1, &mut w);
    let mut d1a = Dopamine1::new(anti, Dopamine1Rule::default(), N).unwrap();
    run(&mut d1a, &mut w);
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, &mut trace[..]);
    let mut d2 = Dopamine2::new(config, rule, N).unwrap();
    run(&mut d2, &mut w);
    let mut d2v = Dopamine2::new(anti, d2_vec_rule, N).unwrap();
    run(&mut d2v, &mut w);

    // The second-moment option, OpenES (ask/tell and through the population
    // interface), SNES: every buffer is a stack array.
    let mut u1 = [0.0f64; N];
    let rule =
        Dopamine1Rule::default().with_second_moment(SecondMomentConfig::default(), &mut u1[..]);
    run(&mut Dopamine1::new(config, rule, N).unwrap(), &mut w);
    let (mut trace2, mut u2) = ([0.0f64; N], [0.0f64; N]);
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, &mut trace2[..])
        .with_second_moment(SecondMomentConfig::default(), &mut u2[..]);
    run(&mut Dopamine2::new(anti, rule, N).unwrap(), &mut w);
    let mut moments = [0.0f64; 2 * N];
    let es = PerturbConfig {
        probes: 4,
        ..PerturbConfig::antithetic()
    };
    let mut open_es = OpenEs::new(
        es,
        OpenEsRule::new(OpenEsConfig::default(), &mut moments[..]),
        N,
    )
    .unwrap();
    run(&mut open_es, &mut w);
    let (mut base, mut point, mut losses) = ([0.0f64; N], [0.0f64; N], [0.0f64; 64]);
    for _ in 0..200 {
        let outcome = step_population(
            &mut open_es,
            &mut w,
            &mut base,
            &mut point,
            &mut losses,
            loss,
        )
        .unwrap();
        assert!(matches!(outcome, StepOutcome::Updated(_)), "{outcome:?}");
    }
    let mut sigma = [0.0f64; N];
    let mut snes = Snes::new(SnesConfig::new(N, 0.05), N, &mut sigma[..]).unwrap();
    let mut rejected = 0;
    for s in 0..300 {
        // A NaN now and then: SNES's safety net runs too.
        let nan = s % 37 == 0;
        let out = snes
            .step(&mut w, &mut point, |p| if nan { f64::NAN } else { loss(p) })
            .unwrap();
        rejected += u32::from(matches!(out, StepOutcome::Rejected(_)));
        let _ =
            step_population(&mut snes, &mut w, &mut base, &mut point, &mut losses, loss).unwrap();
    }
    assert!(rejected > 0);

    let sgd = Sgd::new(SgdConfig::default()).unwrap();
    let mut adam = Adam::new(AdamConfig::default()).unwrap();
    for _ in 0..1_000 {
        for (i, g) in grads.iter_mut().enumerate() {
            *g = 2.0 * (w[i] - 0.1);
        }
        sgd.step(&mut w, &grads, &mut vel).unwrap();
        adam.step(&mut w, &grads, &mut m, &mut v).unwrap();
    }

    let after = thread_allocations();
    assert!(w.iter().all(|x| x.is_finite()));
    assert_eq!(
        after - before,
        0,
        "the kernel allocated {} times",
        after - before
    );

    // The counter works: a Vec allocation while counting is seen.
    let probe: Vec<u8> = Vec::with_capacity(std::hint::black_box(16));
    drop(probe);
    assert!(thread_allocations() > after);
}
