//! Value-stability tests: the first elements of fixed noise streams, pinned bit for bit.
//!
//! These constants define every seeded run of the project: a trained model,
//! a benchmark table or a checkpoint is reproducible only while the streams
//! stay the same. They must never change without a major version bump (and a
//! changelog entry saying that seeded results change). If one of these tests
//! fails, the generator changed — revert that change rather than the constants.

use dopamine_core::{NoiseKey, NoiseKind, NoiseStream};

const KEY: NoiseKey = NoiseKey::new(42, 7, 3);

/// `NoiseStream::new(KEY, Gaussian).value_f64(i)` for `i = 0..8`, as `f64` bits.
const GAUSSIAN_F64_BITS: [u64; 8] = [
    0x3fdb_db88_c715_345b, // 0.43527430955584173
    0xbfd9_aaa6_39fa_0163, // -0.401040608041532
    0xc000_75dc_8ffb_d144, // -2.0575495957110963
    0xbfa8_dddf_71e9_f069, // -0.04856775537061326
    0xbfc1_25b1_7721_eba2, // -0.1339628059102696
    0x3ff2_8cfd_e6c3_56c4, // 1.159421826761375
    0x3ff1_f69c_25d0_e7ee, // 1.1227075078190825
    0xbffc_e52e_a906_cd22, // -1.805952701816587
];

/// The same elements rounded once to `f32`, as `f32` bits.
const GAUSSIAN_F32_BITS: [u32; 8] = [
    0x3ede_dc46,
    0xbecd_5532,
    0xc003_aee4,
    0xbd46_eefc,
    0xbe09_2d8c,
    0x3f94_67ef,
    0x3f8f_b4e1,
    0xbfe7_2975,
];

/// `NoiseStream::new(KEY, Rademacher)` elements `0..8`.
const RADEMACHER: [f64; 8] = [1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0];

#[test]
fn gaussian_stream_is_pinned() {
    let s = NoiseStream::new(KEY, NoiseKind::Gaussian);
    for (i, bits) in GAUSSIAN_F64_BITS.iter().enumerate() {
        assert_eq!(
            s.value_f64(i).to_bits(),
            *bits,
            "element {i}: {}",
            s.value_f64(i)
        );
        assert_eq!(s.value::<f64>(i).to_bits(), *bits);
    }
    for (i, bits) in GAUSSIAN_F32_BITS.iter().enumerate() {
        assert_eq!(s.value::<f32>(i).to_bits(), *bits, "element {i}");
    }
    // Through the block path as well.
    let mut out = [0.0f64; 8];
    s.fill(0, &mut out);
    let got: Vec<u64> = out.iter().map(|x| x.to_bits()).collect();
    assert_eq!(got, GAUSSIAN_F64_BITS);
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
