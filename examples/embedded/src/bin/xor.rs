//! Firmware 1: a 2-2-1 perceptron learns XOR on the chip with Dopamine-2, through ask/tell.
//!
//! Prints the loss every 100 steps over semihosting, then the outcome, the
//! instructions and the memory it used; exits 0 once all four outputs are
//! on the right side of 0.5, 1 if the step limit comes first. An attempt
//! that has not solved XOR after 300 steps starts again from new weights
//! (`runs::XOR_RESTART_EVERY`). With the `inject-nan` feature the loss at
//! the baseline of steps 1, 41, 81, ... and at the probe of steps 21, 61,
//! ... of each attempt is NaN; the run then also fails unless the kernel
//! rejected every one of them and the parameters stayed finite.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use dopamine_core::Dopamine2;
use dopamine_embedded::board::{self, InstructionCounter};
use dopamine_embedded::runs::{self, XOR, XOR_RESTART_EVERY};
use dopamine_embedded::xor::PARAMS;

const INJECT: bool = cfg!(feature = "inject-nan");

#[entry]
fn main() -> ! {
    let Some(core) = cortex_m::Peripherals::take() else {
        hprintln!("FAIL: the core peripherals were already taken");
        board::exit(false);
    };
    let mut counter = InstructionCounter::start(core.SYST);
    // The eligibility trace: a static buffer, lent to each attempt's rule.
    let Some(trace) = cortex_m::singleton!(: [f32; PARAMS] = [0.0; PARAMS]) else {
        hprintln!("FAIL: the trace buffer was already taken");
        board::exit(false);
    };
    hprintln!(
        "xor: MLP 2-2-1 (tanh, sigmoid), {} parameters; Dopamine-2 sigma={} eta={} lambda={} beta={} K={}, seed {}, restart every {} steps, limit {} steps{}",
        PARAMS,
        XOR.sigma,
        XOR.eta,
        XOR.lambda,
        XOR.beta,
        XOR.probes,
        XOR.init_seed,
        XOR_RESTART_EVERY,
        XOR.max_steps,
        if INJECT {
            "; NaN loss at the baseline of steps 1, 41, 81, ... and the probe of steps 21, 61, ..."
        } else {
            ""
        }
    );
    let outcome = runs::run_xor(&XOR, trace, runs::injection(INJECT), &mut counter, |p| {
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
    hprintln!(
        "outputs {:.3} {:.3} {:.3} {:.3} (targets 0 1 1 0) after {} attempt(s)",
        outcome.outputs[0],
        outcome.outputs[1],
        outcome.outputs[2],
        outcome.outputs[3],
        outcome.attempts
    );
    board::report_summary(s);
    board::report_instructions(s, &counter);
    board::report_memory(
        core::mem::size_of::<Dopamine2<f32, &mut [f32]>>(),
        PARAMS,
        0,
    );
    let ok = outcome.success(INJECT);
    if ok {
        hprintln!(
            "PASS: XOR solved in {} steps ({} loss evaluations)",
            s.steps,
            s.evaluations
        );
    } else if !s.done {
        hprintln!("FAIL: not solved within {} steps", XOR.max_steps);
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
