//! Value-stability tests: the first elements of fixed noise streams, pinned bit for bit.
//!
//! These constants define every seeded run of the project: a trained model,
//! a benchmark table or a checkpoint is reproducible only while the streams
//! stay the same. They must never change without a version bump (and a
//! changelog entry saying that seeded results change). If one of these tests
//! fails, the generator changed — revert that change rather than the constants.
//!
//! History: 0.2.0 changed the Gaussian streams (version 2, see
//! `CHANGELOG.md`); the Rademacher streams and the key hash are unchanged
//! since 0.1.0.

use dopamine_core::{NoiseKey, NoiseKind, NoiseStream};

const KEY: NoiseKey = NoiseKey::new(42, 7, 3);

/// Elements of `NoiseStream::new(KEY, Gaussian)` and their `f64` bits: the
/// first eight (the cosine halves of the first group), the first sine half
/// (8), group and block boundaries, and two far elements.
///
/// Streams version 2 (dopamine 0.2.0): the Gaussian generator changed from
/// `f64` Box-Muller through `libm` to the `f32` Box-Muller of `noise.rs`,
/// on purpose (CHANGELOG.md, "noise streams changed"), so these replace the
/// 0.1 pins (`0x3fdb_db88_c715_345b`, ... for elements 0..8).
const GAUSSIAN_F64_BITS: [(usize, u64); 15] = [
    (0, 0x3fe7_f47f_c000_0000),           // 0.7485960721969604
    (1, 0x3ff4_2634_6000_0000),           // 1.2593272924423218
    (2, 0x4000_b729_8000_0000),           // 2.0894346237182617
    (3, 0x3fea_11ce_c000_0000),           // 0.8146737813949585
    (4, 0xbfef_417b_2000_0000),           // -0.9767432808876038
    (5, 0xbfec_c5b1_6000_0000),           // -0.8991324305534363
    (6, 0xbff0_a000_c000_0000),           // -1.0390632152557373
    (7, 0xbfdf_3524_c000_0000),           // -0.487618625164032
    (8, 0x3fd5_c484_a000_0000),           // 0.34011951088905334
    (15, 0x3ff6_1a32_c000_0000),          // 1.3813960552215576
    (16, 0x3fd5_bb4e_8000_0000),          // 0.3395572900772095
    (63, 0xbfbe_2a91_6000_0000),          // -0.11783703416585922
    (64, 0x3fe1_1fb0_a000_0000),          // 0.5351184010505676
    (1_000, 0xc004_d296_0000_0000),       // -2.602825164794922
    (123_456_789, 0xbf66_64f7_8000_0000), // -0.002733691595494747
];

/// The same elements as `f32` bits (`value::<f32>`: the values are `f32`
/// numbers, so this is the same value, not a second rounding).
const GAUSSIAN_F32_BITS: [u32; 15] = [
    0x3f3f_a3fe,
    0x3fa1_31a3,
    0x4005_b94c,
    0x3f50_8e76,
    0xbf7a_0bd9,
    0xbf66_2d8b,
    0xbf85_0006,
    0xbef9_a926,
    0x3eae_2425,
    0x3fb0_d196,
    0x3ead_da74,
    0xbdf1_548b,
    0x3f08_fd85,
    0xc026_94b0,
    0xbb33_27bc,
];

/// `NoiseStream::new(KEY, Rademacher)` elements `0..8`.
const RADEMACHER: [f64; 8] = [1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0];

#[test]
fn gaussian_stream_is_pinned() {
    let s = NoiseStream::new(KEY, NoiseKind::Gaussian);
    for ((i, bits), bits32) in GAUSSIAN_F64_BITS.iter().zip(GAUSSIAN_F32_BITS) {
        let z = s.value_f64(*i);
        assert_eq!(z.to_bits(), *bits, "element {i}: {z}");
        assert_eq!(s.value::<f64>(*i).to_bits(), *bits);
        assert_eq!(s.value::<f32>(*i).to_bits(), bits32, "element {i}");
        // Through the block path as well, from the element itself.
        let mut out = [0.0f64; 1];
        s.fill(*i, &mut out);
        assert_eq!(out[0].to_bits(), *bits, "fill from element {i}");
    }
    let mut out = [0.0f64; 65];
    s.fill(0, &mut out);
    for (i, bits) in GAUSSIAN_F64_BITS.iter().take_while(|(i, _)| *i < 65) {
        assert_eq!(out[*i].to_bits(), *bits, "fill(0) element {i}");
    }
}

#[test]
fn rademacher_stream_is_pinned() {
    let s = NoiseStream::new(KEY, NoiseKind::Rademacher);
    let mut out = [0.0f64; 8];
    s.fill(0, &mut out);
    assert_eq!(out, RADEMACHER);
    for (i, z) in RADEMACHER.iter().enumerate() {
        assert_eq!(s.value::<f32>(i), *z as f32);
    }
}

/// The key hash is part of the contract too (it is public).
#[test]
fn key_hash_is_pinned() {
    let h = KEY.hash();
    assert_eq!(h, NoiseKey::new(42, 7, 3).hash());
    assert_ne!(h, NoiseKey::new(42, 7, 2).hash());
    assert_eq!(h, KEY_HASH, "hash {h:#018x}");
}

/// `KEY.hash()`.
const KEY_HASH: u64 = 0x643b_7a09_7865_6f8b;
