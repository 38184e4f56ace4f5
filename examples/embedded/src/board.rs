//! What the firmware needs from the chip: semihosting exit, the stack's high-water mark, section sizes.
//!
//! Only built for the chip (`target_os = "none"` on ARM). Output goes
//! through `cortex_m_semihosting::hprintln!` in the binaries.

use cortex_m_semihosting::debug;

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
