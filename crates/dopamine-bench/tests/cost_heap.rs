//! E4's peak heap is the training loop's, measured with the counting allocator: flat in T for Dopamine-1 and for a Dopamine-3 sweep, growing like its O(H) workspace in H (not like the model's O(H^2) initialisation), and below Adam-BPTT's at every point.

use dopamine_bench::Mode;
use dopamine_bench::experiments::cost::{self, CostConfig, CostPoint, StepShape};
use dopamine_meter::CountingAllocator;
use dopamine_train::OptimizerKind;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

fn single(points: &[CostPoint], kind: OptimizerKind) -> Vec<&CostPoint> {
    points
        .iter()
        .filter(|p| p.optimizer == kind && p.shape == StepShape::Single)
        .collect()
}

#[test]
fn the_peak_heap_is_the_training_loops_at_every_h_and_t() {
    let mut config: CostConfig = serde_json::from_str(cost::CONFIG).expect("built-in config");
    config.hidden.quick = [16, 32, 64, 128];
    config.seq_len.quick = [100, 200, 400];
    config.fixed_hidden = 32;
    config.fixed_seq_len = 100;
    config.steps.quick = 1;
    let sweeps = cost::run(&config, Mode::Quick, Some(&ALLOCATOR)).expect("E4 runs");
    let peak = |p: &CostPoint| {
        p.peak_heap_bytes
            .expect("measured with the meter installed")
    };

    let d_by_h = single(&sweeps.by_hidden, OptimizerKind::Dopamine1);
    let a_by_h = single(&sweeps.by_hidden, OptimizerKind::Adam);
    assert_eq!(d_by_h.len(), 4);
    assert_eq!(a_by_h.len(), d_by_h.len());
    for (d, a) in d_by_h.iter().zip(&a_by_h) {
        assert_eq!((d.hidden, d.seq_len), (a.hidden, a.seq_len));
        assert!(
            2 * peak(d) <= peak(a),
            "H={}: Dopamine-1 {} B against Adam-BPTT {} B",
            d.hidden,
            peak(d),
            peak(a)
        );
    }
    // Doubling H: the loop's workspace is O(H) (under 2.5x); the model's
    // initialisation, which the measurement leaves out, grows about 4x.
    for pair in d_by_h.windows(2) {
        let growth = peak(pair[1]) as f64 / peak(pair[0]) as f64;
        assert!(
            growth < 2.5,
            "H {} -> {}: {} B -> {} B",
            pair[0].hidden,
            pair[1].hidden,
            peak(pair[0]),
            peak(pair[1])
        );
    }
    // Over T, Dopamine-1's loop holds two hidden vectors whatever the length.
    let d_by_t = single(&sweeps.by_seq_len, OptimizerKind::Dopamine1);
    assert_eq!(d_by_t.len(), 3);
    assert!(
        d_by_t.iter().all(|p| peak(p) == peak(d_by_t[0])),
        "{:?}",
        d_by_t
            .iter()
            .map(|p| (p.seq_len, peak(p)))
            .collect::<Vec<_>>()
    );
    // Dopamine-3's sweep keeps its traces, second moments, the copies'
    // states and one block's buffers, whatever the sequence's length (at
    // these short T its block buffers are as large as Adam-BPTT's
    // activations, so no comparison with Adam is made here).
    let n_by_t = single(&sweeps.by_seq_len, OptimizerKind::Dopamine3);
    assert_eq!(n_by_t.len(), 3);
    assert!(
        n_by_t.iter().all(|p| peak(p) == peak(n_by_t[0])),
        "{:?}",
        n_by_t
            .iter()
            .map(|p| (p.seq_len, peak(p)))
            .collect::<Vec<_>>()
    );
}
