//! B3: a training step allocates nothing in steady state — WP, Dopamine-1 and Dopamine-2 on the MLP and the RNN.
//!
//! A counting global allocator is installed for this test binary. It counts
//! process-wide (the harness's own threads allocate now and then), so the
//! test counts through a thin wrapper that also keeps a count per thread and
//! reads only its own thread's; everything runs in one test function. Each run takes warm-up steps first (nothing should
//! allocate there either, but one-time lazily built state would be allowed),
//! then counts the allocations of many steps through `Optimizer::step`, the
//! path the trainer uses.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

use dopamine_bench::alloc_meter::CountingAllocator;
use dopamine_bench::{
    MlpObjective, Objective, Optimizer, OptimizerSpec, PerturbSpec, RnnObjective,
};
use dopamine_nets::{Activation, Bptt, Loss, Mlp, Rnn, RnnInit, WeightInit};
use faer::Mat;

/// [`CountingAllocator`] plus a per-thread count of allocations.
struct PerThreadCounting(CountingAllocator);

thread_local! {
    static THREAD_ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_on_this_thread() {
    // `try_with`: the slot may be gone while a thread is being torn down.
    let _ = THREAD_ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

/// Allocations made so far by the calling thread.
fn thread_allocations() -> u64 {
    THREAD_ALLOCATIONS.with(Cell::get)
}

// SAFETY: every method forwards to `CountingAllocator` with the caller's
// arguments unchanged and only bumps a thread-local counter (a const-initialised
// `Cell`, which never allocates).
unsafe impl GlobalAlloc for PerThreadCounting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_on_this_thread();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { self.0.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_on_this_thread();
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { self.0.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { self.0.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_on_this_thread();
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: PerThreadCounting = PerThreadCounting(CountingAllocator::new());

const WARM_UP: usize = 5;
const STEPS: usize = 200;

fn specs() -> [OptimizerSpec; 4] {
    let perturb = PerturbSpec {
        sigma: 1e-3,
        eta: 1e-2,
        probes: 1,
        antithetic: false,
        cosine_to: Some(0.1),
    };
    let several = PerturbSpec {
        probes: 4,
        antithetic: true,
        ..perturb
    };
    [
        OptimizerSpec::Wp(perturb),
        OptimizerSpec::Dopamine1 { perturb, beta: 0.9 },
        OptimizerSpec::Dopamine2 {
            perturb,
            beta: 0.9,
            lambda: 0.5,
        },
        // K > 1 and antithetic probes go through the fused K-probe update.
        OptimizerSpec::Dopamine1 {
            perturb: several,
            beta: 0.9,
        },
    ]
}

fn mlp() -> MlpObjective {
    let net = Mlp::new(
        &[2, 8, 1],
        &[Activation::Tanh, Activation::Sigmoid],
        WeightInit::Auto,
        3,
    )
    .expect("mlp");
    let inputs = Mat::from_fn(4, 2, |i, j| ((i >> j) & 1) as f64);
    let targets = Mat::from_fn(4, 1, |i, _| ((i & 1) ^ (i >> 1)) as f64);
    MlpObjective::new(net, inputs, targets, Loss::Mse).expect("mlp objective")
}

fn rnn() -> RnnObjective {
    let net = Rnn::new(1, 16, 1, &RnnInit::with_seed(2)).expect("rnn");
    let x = |i: usize| (0.1 * i as f64).sin();
    let inputs = Mat::from_fn(200, 1, |i, _| x(i));
    let targets = Mat::from_fn(200, 1, |i, _| x(i + 1));
    RnnObjective::new(net, inputs, targets, 10, Bptt::Full).expect("rnn objective")
}

/// Allocations made by `STEPS` steps after `WARM_UP` steps.
fn allocations_per_run(objective: &mut dyn Objective, spec: OptimizerSpec) -> u64 {
    let mut optimizer =
        Optimizer::new(spec, objective.params().len(), 7, (WARM_UP + STEPS) as u64).expect("spec");
    for _ in 0..WARM_UP {
        optimizer.step(objective).expect("warm-up step");
    }
    let before = thread_allocations();
    for _ in 0..STEPS {
        optimizer.step(objective).expect("step");
    }
    thread_allocations() - before
}

#[test]
fn training_steps_allocate_nothing_in_steady_state() {
    // The meter itself counts: a vector allocated here shows up.
    let before = thread_allocations();
    let probe = std::hint::black_box(vec![0u8; 64]);
    assert!(thread_allocations() > before, "the per-thread count works");
    drop(probe);
    let mut failures = Vec::new();
    for spec in specs() {
        let mut m = mlp();
        let on_mlp = allocations_per_run(&mut m, spec);
        let mut r = rnn();
        let on_rnn = allocations_per_run(&mut r, spec);
        for (model, count) in [("MLP", on_mlp), ("RNN", on_rnn)] {
            if count != 0 {
                failures.push(format!(
                    "{} on the {model}: {count} allocations",
                    spec.describe()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "allocations in {STEPS} steps: {failures:?}"
    );
}
