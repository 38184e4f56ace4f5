//! Seeds run in parallel with rayon: the results must be bit-identical on 1 and 2 threads.

use dopamine_bench::Mode;
use dopamine_bench::experiments::xor::{self, XorConfig};
use dopamine_bench::progress::Progress;
use dopamine_bench::reproduce::builtin;

#[test]
fn xor_results_do_not_depend_on_the_thread_count() {
    let mut config: XorConfig = serde_json::from_str(builtin::XOR).unwrap();
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
    assert_eq!(one.len(), 7);
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a.tuned, b.tuned);
        for (ra, rb) in a.runs.iter().zip(&b.runs) {
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
