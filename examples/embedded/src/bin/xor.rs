//! Firmware 1: a 2-2-1 perceptron learns XOR on the chip with Dopamine-2, through ask/tell.
//!
//! Prints the loss every 100 steps over semihosting, then the outcome and
//! the memory it used; exits 0 once all four outputs are on the right side
//! of 0.5, 1 if the step limit comes first. With the `inject-nan` feature,
//! the loss at the baseline of steps 1, 41, 81, ... and at the probe of
//! steps 21, 61, ... is NaN; the run then also fails unless
//! the kernel rejected every one of them and the parameters stayed finite.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use dopamine_core::Dopamine2;
use dopamine_embedded::board;
use dopamine_embedded::runs::{self, XOR};
use dopamine_embedded::xor::PARAMS;

const INJECT: bool = cfg!(feature = "inject-nan");

#[entry]
fn main() -> ! {
    // The eligibility trace: a static buffer, handed to the rule once.
    let Some(trace) = cortex_m::singleton!(: [f32; PARAMS] = [0.0; PARAMS]) else {
        hprintln!("FAIL: the trace buffer was already taken");
        board::exit(false);
    };
    let trace: &'static mut [f32] = trace;
    hprintln!(
        "xor: MLP 2-2-1 (tanh, sigmoid), {} parameters, Dopamine-2 sigma={} eta={} lambda={} K={} seed={}{}",
        PARAMS,
        XOR.sigma,
        XOR.eta,
        XOR.lambda,
        XOR.probes,
        XOR.init_seed,
        if INJECT { ", NaN loss at the baseline of steps 1, 41, 81, ... and the probe of steps 21, 61, ..." } else { "" }
    );
    let outcome = runs::run_xor(&XOR, trace, runs::injection(INJECT), |p| {
        hprintln!(
            "attempt {}  step {:>5}  evals {:>6}  loss {:.6}  rejected {}",
            p.attempt,
            p.step,
            p.evaluations,
            p.loss,
            p.rejections
        );
    });
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            hprintln!("FAIL: kernel error {:?}", e);
            board::exit(false);
        }
    };
    let s = &outcome.summary;
    let r = &s.rejections;
    hprintln!(
        "outputs {:.3} {:.3} {:.3} {:.3} (targets 0 1 1 0)",
        outcome.outputs[0],
        outcome.outputs[1],
        outcome.outputs[2],
        outcome.outputs[3]
    );
    hprintln!(
        "attempts {} (restart every {} steps)  steps {}  loss evaluations {}  final loss {:.6}",
        outcome.attempts,
        runs::XOR_RESTART_EVERY,
        s.steps,
        s.evaluations,
        s.last_loss
    );
    hprintln!(
        "NaN losses injected {}  rejected: undone {}  non-finite baseline {}  non-finite probe {}  too large {}  non-finite parameters seen {}",
        s.injected,
        r.update_undone,
        r.non_finite_baseline,
        r.non_finite_probe,
        r.update_too_large,
        s.non_finite_params
    );
    report_memory(
        core::mem::size_of::<Dopamine2<f32, &'static mut [f32]>>(),
        PARAMS,
    );
    let ok = outcome.success(INJECT);
    if ok {
        hprintln!("PASS: XOR solved in {} steps", s.steps);
    } else if !s.done {
        hprintln!("FAIL: not solved within {} steps", XOR.max_steps);
    } else {
        hprintln!("FAIL: the safety net did not hold (see the counts above)");
    }
    board::exit(ok);
}

fn report_memory(optimizer: usize, params: usize) {
    let sec = board::sections();
    hprintln!(
        "memory: optimizer {} B + trace {} B + parameters {} B; .text {} .rodata {} .data {} .bss {}; stack high-water {} B of {} B",
        optimizer,
        4 * params,
        4 * params,
        sec.text,
        sec.rodata,
        sec.data,
        sec.bss,
        board::stack_high_water(),
        sec.stack_region
    );
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    hprintln!("FAIL: panic: {}", info);
    board::exit(false);
}
