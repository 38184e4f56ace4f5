//! Firmware 3: an Elman RNN (H = 8) learns Mackey-Glass online on the chip with Dopamine-3, from samples generated as it goes, predicting each before learning from it.
//!
//! The stream is integrated on the chip (RK4, delay ring buffer, `f64`) one
//! sample at a time; nothing but the current step is stored. The rule
//! streams its eligibility (`O(P)` memory, in a static buffer) and updates
//! every 50 samples. The firmware prints flash, RAM and instructions per
//! sample, and the NRMSE of the forecasts over the last 2,000 samples
//! against persistence's on the same samples; it exits 0 when the
//! network's is at most half of persistence's (and, with `inject-nan`,
//! every injected NaN loss was a rejected step), 1 otherwise.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use dopamine_core::Dopamine3;
use dopamine_embedded::board::{self, InstructionCounter};
use dopamine_embedded::online::{self, HIDDEN, NAN_EVERY, ONLINE, OnlineSettings, PARAMS, STORAGE};

const INJECT: bool = cfg!(feature = "inject-nan");

#[entry]
fn main() -> ! {
    let Some(core) = cortex_m::Peripherals::take() else {
        hprintln!("FAIL: the core peripherals were already taken");
        board::exit(false);
    };
    let mut counter = InstructionCounter::start(core.SYST);
    let Some(storage) = cortex_m::singleton!(: [f32; STORAGE] = [0.0; STORAGE]) else {
        hprintln!("FAIL: a static buffer was already taken");
        board::exit(false);
    };
    let settings = OnlineSettings {
        nan_every: INJECT.then_some(NAN_EVERY),
        ..ONLINE
    };
    hprintln!(
        "online: Elman H={} ({} parameters) learns Mackey-Glass tau=17 one step ahead from a stream integrated on the chip: {} samples normalise, then {} are predicted, then learnt from; the last {} scored",
        HIDDEN,
        PARAMS,
        settings.calibration,
        settings.samples,
        settings.scored
    );
    hprintln!(
        "Dopamine-3 sigma={} eta={} (cosine to {:?}) lambda={} update every {} samples, antithetic, second moment, streamed eligibility; seed {}{}",
        settings.sigma,
        settings.eta,
        settings.cosine_to,
        settings.lambda,
        settings.interval,
        settings.seed,
        if INJECT {
            "; NaN loss every 97th sample"
        } else {
            ""
        }
    );
    let outcome = online::run_online(&settings, storage, &mut counter, 5_000, |n, mse| {
        hprintln!(
            "sample {:>6}  mean squared error of the copies {:.6}",
            n,
            mse
        );
    });
    let out = match outcome {
        Ok(o) => o,
        Err(e) => {
            hprintln!("FAIL: kernel error {:?}", e);
            board::exit(false);
        }
    };
    hprintln!(
        "NRMSE over the last {} samples {:.4} (persistence {:.4}, ratio {:.3})",
        settings.scored,
        out.nrmse,
        out.persistence,
        out.nrmse / out.persistence
    );
    hprintln!(
        "steps {}  loss evaluations {}  last training loss {:.6}",
        out.samples,
        2 * out.samples,
        out.last_loss
    );
    hprintln!(
        "updates {}  rejected updates {}  NaN losses injected {}  rejected steps {}  non-finite parameters {}",
        out.updates,
        out.rejected_updates,
        out.injected,
        out.rejected_steps,
        out.non_finite_params
    );
    if counter.calibrated() {
        let t = &out.times;
        let n = out.samples.max(1);
        hprintln!(
            "instructions (QEMU -icount, not cycles): ask+tell {} ({} per step)  model {} ({} per sample: both copies and losses)  generation {} ({} per sample, f64 in software)",
            t.kernel,
            t.kernel / n,
            t.model,
            t.model / n,
            t.generation,
            t.generation / n
        );
    } else {
        hprintln!(
            "instructions: not counted (the calibration loop took {} SysTick ticks; QEMU needs -icount shift=0)",
            counter.calibration_ticks()
        );
    }
    let sec = board::sections();
    hprintln!(
        "memory: rule {} B + storage {} B; parameters {} B; .text {} B .rodata {} B .data {} B .bss {} B; stack high-water {} B (of {} B)",
        core::mem::size_of::<Dopamine3<f32, &mut [f32]>>(),
        4 * STORAGE,
        4 * PARAMS,
        sec.text,
        sec.rodata,
        sec.data,
        sec.bss,
        board::stack_high_water(),
        sec.stack_region
    );
    let ok = out.success();
    if ok {
        hprintln!(
            "PASS: NRMSE {:.4} <= 0.5 x persistence {:.4}",
            out.nrmse,
            out.persistence
        );
    } else if out.nrmse > 0.5 * out.persistence {
        hprintln!(
            "FAIL: NRMSE {:.4} above half of persistence's {:.4}",
            out.nrmse,
            out.persistence
        );
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
