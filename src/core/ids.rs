//! Identifiers and secrets, drawn from one seeded generator so that the same
//! scenario, seed and request sequence give the same ids run after run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `ChaCha12Rng` is what rand 0.8's `StdRng` is, same stream for the same
/// seed, but its position can be read and set: a saved state continues
/// exactly where it stopped.
#[derive(Debug)]
pub struct Ids {
    seed: u64,
    rng: ChaCha12Rng,
    next_seq: u64,
    next_number: u64,
}

/// Where the generators stand, as a state snapshot stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdsState {
    /// The seed the random stream started from.
    pub seed: u64,
    /// 32-bit words of the stream already used.
    pub word_pos: u128,
    pub next_seq: u64,
    pub next_number: u64,
}

/// Numeric ids (stacks, plugin installations, API keys) count up from here.
const FIRST_NUMBER: u64 = 100_001;

impl Ids {
    pub fn new(seed: u64) -> Self {
        Ids {
            seed,
            rng: ChaCha12Rng::seed_from_u64(seed),
            next_seq: 1,
            next_number: FIRST_NUMBER,
        }
    }

    pub fn state(&self) -> IdsState {
        IdsState {
            seed: self.seed,
            word_pos: self.rng.get_word_pos(),
            next_seq: self.next_seq,
            next_number: self.next_number,
        }
    }

    pub fn from_state(state: IdsState) -> Self {
        let mut rng = ChaCha12Rng::seed_from_u64(state.seed);
        rng.set_word_pos(state.word_pos);
        Ids {
            seed: state.seed,
            rng,
            next_seq: state.next_seq,
            next_number: state.next_number,
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

    #[test]
    fn the_stream_is_std_rngs() {
        let mut std = rand::rngs::StdRng::seed_from_u64(42);
        let mut ids = Ids::new(42);
        let expected = uuid::Builder::from_random_bytes(std.r#gen()).into_uuid();
        assert_eq!(ids.uuid(), expected);
    }

    #[test]
    fn a_restored_state_continues_the_same_sequence() {
        let mut ids = Ids::new(7);
        ids.uuid();
        ids.alphanumeric(13);
        ids.number();
        let mut restored = Ids::from_state(ids.state());
        assert_eq!(restored.state(), ids.state());
        assert_eq!(restored.alphanumeric(7), ids.alphanumeric(7));
        assert_eq!(restored.uuid(), ids.uuid());
        assert_eq!(
            (restored.seq(), restored.number()),
            (ids.seq(), ids.number())
        );
    }
}
