//! What the firmware needs from the chip: semihosting exit, stack high-water mark, section sizes, instruction counts.
//!
//! Only built for the chip (`target_os = "none"` on ARM). Output goes
//! through `cortex_m_semihosting::hprintln!` in the binaries.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use cortex_m_semihosting::{debug, hprintln};

use crate::train::{Clock, Summary};

/// Ends the program through semihosting: QEMU exits with status 0 when
/// `success`, 1 otherwise.
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Without a debugger or semihosting host the call above returns.
    loop {
        cortex_m::asm::bkpt();
    }
}

// Symbols of `cortex-m-rt`'s linker script `link.x`.
unsafe extern "C" {
    static __stext: u8;
    static __etext: u8;
    static __srodata: u8;
    static __erodata: u8;
    static __sdata: u8;
    static __edata: u8;
    static __sbss: u8;
    static __ebss: u8;
    static _stack_start: u8;
    static _stack_end: u8;
}

fn addr(symbol: *const u8) -> usize {
    symbol as usize
}

/// Sizes in bytes of the image's sections, from the linker's symbols (the
/// same numbers `llvm-size -A` reads from the ELF headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    /// Code.
    pub text: usize,
    /// Constants.
    pub rodata: usize,
    /// Initialised statics (in RAM, with a copy of their initial values in flash).
    pub data: usize,
    /// Zero-initialised statics.
    pub bss: usize,
    /// RAM left for the stack: from the end of the statics to the top of RAM.
    pub stack_region: usize,
}

/// The section sizes of the running image.
pub fn sections() -> Sections {
    Sections {
        text: addr(&raw const __etext) - addr(&raw const __stext),
        rodata: addr(&raw const __erodata) - addr(&raw const __srodata),
        data: addr(&raw const __edata) - addr(&raw const __sdata),
        bss: addr(&raw const __ebss) - addr(&raw const __sbss),
        stack_region: addr(&raw const _stack_start) - addr(&raw const _stack_end),
    }
}

/// The deepest the stack has been since reset, in bytes.
///
/// The reset handler of `cortex-m-rt` (feature `paint-stack`) fills the whole
/// stack region with `STACK_PAINT_VALUE` before `main`; this scans up from
/// the bottom of the region for the first word that is no longer the paint.
/// A used word that happens to hold the paint value would make the mark
/// 4 bytes low per such word at the deepest point.
pub fn stack_high_water() -> usize {
    let bottom = addr(&raw const _stack_end);
    let top = addr(&raw const _stack_start);
    let mut p = bottom;
    while p < top {
        // SAFETY: `bottom..top` is the stack region of the linker script,
        // word-aligned (asserted by `link.x`) and mapped RAM; reading it is
        // reading memory this program owns.
        let word = unsafe { core::ptr::read_volatile(p as *const u32) };
        if word != cortex_m_rt::STACK_PAINT_VALUE {
            break;
        }
        p += 4;
    }
    top - p
}

/// SysTick wraps since the counter started (one per 2^24 ticks).
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// SysTick ticks of the mps2 boards' 25 MHz clock per instruction-nanosecond:
/// under `-icount shift=0` QEMU advances its virtual clock by 1 ns per
/// instruction, so one SysTick tick is 40 instructions.
pub const INSTRUCTIONS_PER_TICK: u64 = 40;
const RELOAD: u32 = 0x00FF_FFFF;

/// An instruction counter for QEMU run with `-icount shift=0`: SysTick on
/// the core clock, its wraps counted by the SysTick exception.
///
/// QEMU models no cycle timing; under `-icount shift=0` its virtual clock is
/// the guest instruction count (1 ns each), and the board's timers run on
/// that clock. Counts are therefore instructions, not cycles, and are
/// quantised to [`INSTRUCTIONS_PER_TICK`]. Without `-icount` the virtual
/// clock follows the host's real time; [`InstructionCounter::calibrated`]
/// tells the two apart.
pub struct InstructionCounter {
    _syst: SYST,
    calibrated: bool,
    calibration_ticks: u64,
}

impl InstructionCounter {
    /// Starts SysTick and checks it against a loop of known length.
    pub fn start(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        // Writing the current value clears it to 0; the counter loads the
        // reload value on its first tick, without an exception. Count from
        // there, so that every later wrap to 0 is one exception.
        while SYST::get_current() == 0 {}
        let mut counter = Self {
            _syst: syst,
            calibrated: false,
            calibration_ticks: 0,
        };
        let n = 1_000_000u32;
        let t0 = counter.ticks();
        busy_loop(n);
        let ticks = counter.ticks() - t0;
        // 2 n instructions (plus a few around the loop) take 2 n / 40 ticks
        // under -icount shift=0; with real time they take far fewer or more.
        let expected = 2 * u64::from(n) / INSTRUCTIONS_PER_TICK;
        counter.calibrated = ticks.abs_diff(expected) <= 2;
        counter.calibration_ticks = ticks;
        counter
    }

    /// `true` when the loop of known length took the expected number of
    /// ticks, i.e. QEMU runs with `-icount shift=0` and the counts are
    /// instruction counts.
    pub fn calibrated(&self) -> bool {
        self.calibrated
    }

    /// Ticks the calibration loop of 2,000,000 instructions took.
    pub fn calibration_ticks(&self) -> u64 {
        self.calibration_ticks
    }

    /// Ticks since the counter started. A reading of 0 (the exception about
    /// to be taken) counts as the end of the current period.
    pub fn ticks(&self) -> u64 {
        loop {
            let before = WRAPS.load(Ordering::Relaxed);
            let current = SYST::get_current();
            let after = WRAPS.load(Ordering::Relaxed);
            if before == after {
                return u64::from(before) * (u64::from(RELOAD) + 1) + u64::from(RELOAD - current);
            }
        }
    }

    /// Instructions since the counter started (meaningful only when
    /// [`InstructionCounter::calibrated`]).
    pub fn instructions(&self) -> u64 {
        self.ticks() * INSTRUCTIONS_PER_TICK
    }
}

impl Clock for InstructionCounter {
    fn now(&mut self) -> u64 {
        self.instructions()
    }
}

/// Exactly `2 n` instructions: `subs` and `bne`, `n` times.
fn busy_loop(n: u32) {
    // SAFETY: touches only its own register and the flags.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {0}, #1",
            "bne 2b",
            inout(reg) n => _,
            options(nomem, nostack)
        );
    }
}

/// Prints the training loop's counts: steps, evaluations, NaN injections and
/// rejections by reason.
pub fn report_summary(s: &Summary) {
    let r = &s.rejections;
    hprintln!(
        "steps {}  loss evaluations {}  last training loss {:.6}",
        s.steps,
        s.evaluations,
        s.last_loss
    );
    hprintln!(
        "NaN losses injected {}  rejected: update undone {}  non-finite baseline {}  non-finite probe {}  update too large {}  exchanges with non-finite parameters {}",
        s.injected,
        r.update_undone,
        r.non_finite_baseline,
        r.non_finite_probe,
        r.update_too_large,
        s.non_finite_params
    );
}

/// Prints where the instructions of training went (ask/tell, loss
/// evaluations, checks), or why there are no counts.
pub fn report_instructions(s: &Summary, counter: &InstructionCounter) {
    if !counter.calibrated() {
        hprintln!(
            "instructions: not counted (a loop of 2,000,000 instructions took {} SysTick ticks, not 50,000: QEMU needs -icount shift=0; it gives no cycle timing)",
            counter.calibration_ticks()
        );
        return;
    }
    let per = |total: u64, n: u64| total / n.max(1);
    hprintln!(
        "instructions (QEMU -icount, not cycles): ask+tell {} ({} per step)  loss evaluations {} ({} each)  checks {}",
        s.kernel_time,
        per(s.kernel_time, s.steps),
        s.loss_time,
        per(s.loss_time, s.evaluations),
        s.check_time
    );
}

/// Prints the memory a firmware uses: the optimizer's state (`optimizer`
/// bytes plus a trace of `params` `f32` values), the parameters, `other`
/// static buffers, the image's sections and the stack's high-water mark.
pub fn report_memory(optimizer: usize, params: usize, other: usize) {
    let sec = sections();
    hprintln!(
        "memory: optimizer {} B + trace {} B; parameters {} B; other buffers {} B; .text {} B .rodata {} B .data {} B .bss {} B; stack high-water {} B (of {} B)",
        optimizer,
        4 * params,
        4 * params,
        other,
        sec.text,
        sec.rodata,
        sec.data,
        sec.bss,
        stack_high_water(),
        sec.stack_region
    );
}
