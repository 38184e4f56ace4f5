//! Host sweep that chose the online firmware's settings: the NRMSE over persistence's of the prequential forecasts, over seeds and a grid of settings.
//!
//! Runs the firmware's own code (`dopamine_embedded::online::run_online`)
//! on the host, where `f32` arithmetic and `libm` give the chip's results:
//!
//! ```sh
//! cargo run --release --features sweep --example online_sweep --target "$(rustc -vV | sed -n 's/host: //p')" -- 8
//! ```
//!
//! The argument is the number of seeds; each seed sets the initial weights
//! and the noise. The firmware's settings are marked with `*`.

use std::env;
use std::thread;

use dopamine_embedded::online::{ONLINE, OnlineSettings, STORAGE, run_online};
use dopamine_embedded::train::NoClock;

/// NRMSE over persistence's for every seed.
fn ratios(settings: OnlineSettings, seeds: u64) -> Vec<f32> {
    thread::scope(|scope| {
        let handles: Vec<_> = (0..seeds)
            .map(|seed| {
                scope.spawn(move || {
                    let s = OnlineSettings { seed, ..settings };
                    let mut storage = vec![0.0f32; STORAGE];
                    let out = run_online(&s, &mut storage, &mut NoClock, 0, |_, _| {})
                        .expect("valid settings");
                    out.nrmse / out.persistence
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn main() {
    let seeds: u64 = env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(8);
    println!(
        "online Mackey-Glass, H = 8, {} samples learnt, last {} scored; NRMSE / persistence's per seed (pass: <= 0.5)",
        ONLINE.samples, ONLINE.scored
    );
    for samples in [20_000u64, 40_000] {
        for eta in [0.01f32, 0.02, 0.03] {
            for interval in [20u32, 50] {
                for cosine_to in [0.1f32, 0.01] {
                    let lambda = ONLINE.lambda;
                    let s = OnlineSettings {
                        eta,
                        interval,
                        cosine_to: Some(cosine_to),
                        samples,
                        ..ONLINE
                    };
                    let r = ratios(s, seeds);
                    let worst = r.iter().copied().fold(0.0f32, f32::max);
                    let passed = r.iter().filter(|x| **x <= 0.5).count();
                    let mark = if s == ONLINE { "*" } else { " " };
                    println!(
                        "{mark} samples {samples:<6} sigma {} eta {eta:<5} interval {interval:<3} lambda {lambda} cosine to {cosine_to:<4}: pass {passed}/{seeds}, worst {worst:.3}, per seed {r:.3?}",
                        s.sigma
                    );
                }
            }
        }
    }
}
