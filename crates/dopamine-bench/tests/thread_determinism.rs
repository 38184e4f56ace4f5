//! Seeds run in parallel with rayon: the results must be bit-identical on 1 and 2 threads.

use dopamine_bench::Mode;
use dopamine_bench::experiments::xor::{self, XorConfig};
use dopamine_bench::progress::Progress;

#[test]
fn xor_results_do_not_depend_on_the_thread_count() {
    let mut config: XorConfig = serde_json::from_str(xor::CONFIG).unwrap();
    config.hidden = vec![2];
    config.seeds.quick = 6;
    config.tuning_seeds.quick = 3;
    config.steps.quick = 300;
    let on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| xor::run(&config, Mode::Quick, &Progress::hidden()).unwrap())
    };
    let one = on(1);
    let two = on(2);
    // Lengths first: `zip` stops at the shorter side, so a run missing on
    // one thread count would otherwise pass unnoticed.
    assert_eq!(one.len(), 8);
    assert_eq!(two.len(), one.len());
    for (a, b) in one.iter().zip(&two) {
        assert_eq!((a.hidden, a.optimizer), (b.hidden, b.optimizer));
        assert_eq!(a.tuned, b.tuned);
        assert_eq!(
            a.runs.len(),
            6,
            "{}: one run per evaluation seed",
            a.optimizer
        );
        assert_eq!(b.runs.len(), a.runs.len(), "{}", a.optimizer);
        for (ra, rb) in a.runs.iter().zip(&b.runs) {
            assert_eq!(ra.seed, rb.seed);
            assert_eq!(ra.steps_to_solve, rb.steps_to_solve);
            assert_eq!(
                ra.final_loss.to_bits(),
                rb.final_loss.to_bits(),
                "{} seed {}",
                a.optimizer,
                ra.seed
            );
        }
    }
}
