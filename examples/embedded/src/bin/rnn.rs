//! Firmware 2: an Elman RNN (H = 8) learns to forecast Mackey-Glass one step ahead on the chip.
//!
//! The series is integrated on the chip (RK4, delay ring buffer, `f64`), then
//! the network is trained with Dopamine-2 through ask/tell on the first 200
//! one-step pairs. Every 50 steps a validation pass over the next 100 pairs
//! compares the network's NRMSE with persistence's (`x_{t+1}` forecast as
//! `x_t`); training stops once the network's is below half of persistence's.
//! The last 100 pairs are scored once, at the end: the firmware exits 0 when
//! the network's test NRMSE is below persistence's, 1 otherwise or when the
//! step limit comes first. `inject-nan` works as for the XOR firmware.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use dopamine_core::Dopamine2;
use dopamine_embedded::board::{self, InstructionCounter};
use dopamine_embedded::rnn::{HIDDEN, PARAMS, TEST, TRAIN, VALIDATION, WINDOW};
use dopamine_embedded::runs::{self, RNN, RNN_STOP};

const INJECT: bool = cfg!(feature = "inject-nan");

#[entry]
fn main() -> ! {
    let Some(core) = cortex_m::Peripherals::take() else {
        hprintln!("FAIL: the core peripherals were already taken");
        board::exit(false);
    };
    let mut counter = InstructionCounter::start(core.SYST);
    // The eligibility trace and the series: static buffers.
    let (Some(trace), Some(series)) = (
        cortex_m::singleton!(: [f32; PARAMS] = [0.0; PARAMS]),
        cortex_m::singleton!(: [f32; WINDOW] = [0.0; WINDOW]),
    ) else {
        hprintln!("FAIL: a static buffer was already taken");
        board::exit(false);
    };
    let t0 = counter.instructions();
    runs::mackey_glass_window(series);
    let generation = counter.instructions() - t0;
    let series: &[f32; WINDOW] = series;
    hprintln!(
        "rnn: Elman H={} ({} parameters); Mackey-Glass tau=17 integrated on the chip ({} samples); {} train / {} validation / {} test pairs",
        HIDDEN,
        PARAMS,
        WINDOW,
        TRAIN,
        VALIDATION,
        TEST
    );
    hprintln!(
        "Dopamine-2 sigma={} eta={} (cosine to {:?} over {} steps) lambda={} beta={} K={}, seed {}; stop when validation NRMSE < {} x persistence (checked every {} steps){}",
        RNN.sigma,
        RNN.eta,
        RNN.cosine_to,
        RNN.max_steps,
        RNN.lambda,
        RNN.beta,
        RNN.probes,
        RNN.init_seed,
        RNN_STOP.below_fraction,
        RNN_STOP.every,
        if INJECT {
            "; NaN loss at the baseline of steps 1, 41, 81, ... and the probe of steps 21, 61, ..."
        } else {
            ""
        }
    );
    let outcome = runs::run_rnn(
        &RNN,
        RNN_STOP,
        series,
        trace,
        runs::injection(INJECT),
        &mut counter,
        |p| {
            hprintln!(
                "step {:>6}  evals {:>6}  train MSE {:.6}  rejected {}",
                p.step,
                p.evaluations,
                p.loss,
                p.rejections
            );
        },
    );
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            hprintln!("FAIL: kernel error {:?}", e);
            board::exit(false);
        }
    };
    let s = &outcome.summary;
    let sc = &outcome.scores;
    hprintln!(
        "NRMSE validation {:.4} (persistence {:.4})  test {:.4} (persistence {:.4}); {} validation passes",
        sc.validation,
        sc.validation_persistence,
        sc.test,
        sc.test_persistence,
        outcome.checks
    );
    board::report_summary(s);
    if counter.calibrated() {
        hprintln!(
            "instructions (QEMU -icount, not cycles): Mackey-Glass generation {} (f64 in software)",
            generation
        );
    }
    board::report_instructions(s, &counter);
    board::report_memory(
        core::mem::size_of::<Dopamine2<f32, &mut [f32]>>(),
        PARAMS,
        4 * WINDOW,
    );
    let ok = outcome.success(INJECT);
    if ok {
        hprintln!(
            "PASS: test NRMSE {:.4} < persistence {:.4} after {} steps ({} loss evaluations)",
            sc.test,
            sc.test_persistence,
            s.steps,
            s.evaluations
        );
    } else if !s.done {
        hprintln!(
            "FAIL: validation NRMSE not below {} x persistence within {} steps",
            RNN_STOP.below_fraction,
            RNN.max_steps
        );
    } else if sc.test >= sc.test_persistence {
        hprintln!("FAIL: test NRMSE not below persistence");
    } else {
        hprintln!("FAIL: the safety net did not hold (see the counts above)");
    }
    board::exit(ok);
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    hprintln!("FAIL: panic: {}", info);
    board::exit(false);
}
