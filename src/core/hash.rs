//! The hash every synthetic figure is drawn from: no random stream, so a
//! figure does not depend on the order anything was asked in.

/// splitmix64's finalizer: a well-mixed 64-bit permutation.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, to turn names into hash parts.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// What [`hash`] starts from: the hash of no parts.
pub const HASH_START: u64 = 0x6A09_E667_F3BC_C909;

/// Folds one more part into a hash: `hash(&[a, b, c])` is
/// `hash_step(hash_step(hash_step(HASH_START, a), b), c)`, so a prefix shared
/// by many hashes is folded once.
pub fn hash_step(h: u64, part: u64) -> u64 {
    splitmix64(h ^ part)
}

/// Folds `parts` into one hash.
pub fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(HASH_START, |h, &part| hash_step(h, part))
}

/// A hash as a number in [0, 1).
pub fn unit_interval(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A log-uniform pick in [low, high): small customers as likely as big ones.
pub fn log_uniform(h: u64, low: f64, high: f64) -> f64 {
    low * (high / low).powf(unit_interval(h))
}
