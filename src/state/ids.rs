//! Identifiers and secrets, drawn from one seeded generator so that the same
//! scenario, seed and request sequence give the same ids run after run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

#[derive(Debug)]
pub struct Ids {
    rng: StdRng,
    next_seq: u64,
    next_number: u64,
}

/// Numeric ids (stacks, plugin installations, API keys) count up from here.
const FIRST_NUMBER: u64 = 100_001;

impl Ids {
    pub fn new(seed: u64) -> Self {
        Ids {
            rng: StdRng::seed_from_u64(seed),
            next_seq: 1,
            next_number: FIRST_NUMBER,
        }
    }

    /// A version-4 UUID from the seeded generator.
    pub fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.r#gen()).into_uuid()
    }

    /// The next creation sequence number: the key every keyset cursor orders by.
    pub fn seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The next numeric id, for objects the vendor numbers.
    pub fn number(&mut self) -> u64 {
        let number = self.next_number;
        self.next_number += 1;
        number
    }

    /// `len` random characters from `[A-Za-z0-9]`.
    pub fn alphanumeric(&mut self, len: usize) -> String {
        (&mut self.rng)
            .sample_iter(rand::distributions::Alphanumeric)
            .take(len)
            .map(char::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids() {
        let (mut a, mut b) = (Ids::new(7), Ids::new(7));
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.alphanumeric(12), b.alphanumeric(12));
        assert_ne!(Ids::new(8).uuid(), Ids::new(7).uuid());
        assert_eq!(a.uuid().get_version_num(), 4);
        assert_eq!((a.seq(), a.seq()), (1, 2));
    }
}
