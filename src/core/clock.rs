//! The one server clock. Everything time-dependent (createdAt, token expiry,
//! later usage delays and rate-limit windows) reads it, so tests can move time
//! instead of waiting for it.
//!
//! The clock shows instants from `EARLIEST` (1970-01-01T00:00:00.000Z) to
//! `LATEST` (9999-12-31T23:59:59.999Z): Unix time that is never negative,
//! and the four-digit years RFC 3339 timestamps have. Freezing or advancing
//! outside that range is refused ([`Clock::try_freeze`],
//! [`Clock::try_advance`]; `400` on `/__admin/clock`); a running clock that
//! reaches an end stays there.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Datelike, Duration, DurationRound, Timelike, Utc};

/// The earliest instant the clock shows: 1970-01-01T00:00:00.000Z.
pub const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;

/// The latest instant the clock shows: 9999-12-31T23:59:59.999Z.
pub const LATEST: DateTime<Utc> = match DateTime::from_timestamp_millis(253_402_300_799_999) {
    Some(latest) => latest,
    None => panic!("9999-12-31T23:59:59.999Z is a valid instant"),
};

/// An instant the clock was asked to show outside `EARLIEST`..=`LATEST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfRange {
    /// The instant asked for, as RFC 3339; or how it was asked for when it
    /// is not even an instant chrono can hold.
    pub asked: String,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is outside the clock's range: {} to {}",
            self.asked,
            timestamp(EARLIEST),
            timestamp(LATEST)
        )
    }
}

impl std::error::Error for OutOfRange {}

/// `at` if the clock may show it.
fn in_range(at: DateTime<Utc>) -> Result<DateTime<Utc>, OutOfRange> {
    if (EARLIEST..=LATEST).contains(&at) {
        Ok(at)
    } else {
        Err(OutOfRange {
            asked: at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        })
    }
}

fn clamp(at: DateTime<Utc>) -> DateTime<Utc> {
    at.clamp(EARLIEST, LATEST)
}

#[derive(Debug, Default)]
struct ClockState {
    /// Added to the wall clock while running.
    offset: Duration,
    /// When set, `now()` answers this instant until resumed.
    frozen_at: Option<DateTime<Utc>>,
}

/// A cheaply clonable handle on the server clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    shared: Arc<Shared>,
}

/// The clock's state: changed under a lock, one change at a time; read
/// without one (every request reads the clock, often more than once) from
/// a copy published with a sequence number, odd while it is being written
/// (a seqlock: a reader that saw it move reads again).
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<ClockState>,
    sequence: AtomicU64,
    frozen: AtomicBool,
    /// The frozen instant's, or else the offset's, seconds and nanoseconds.
    seconds: AtomicI64,
    nanos: AtomicI64,
}

impl Shared {
    fn publish(&self, state: &ClockState) {
        let sequence = self.sequence.load(Ordering::Relaxed);
        self.sequence.store(sequence + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        let (frozen, seconds, nanos) = match state.frozen_at {
            Some(at) => (true, at.timestamp(), i64::from(at.timestamp_subsec_nanos())),
            None => (
                false,
                state.offset.num_seconds(),
                i64::from(state.offset.subsec_nanos()),
            ),
        };
        self.frozen.store(frozen, Ordering::Relaxed);
        self.seconds.store(seconds, Ordering::Relaxed);
        self.nanos.store(nanos, Ordering::Relaxed);
        self.sequence.store(sequence + 2, Ordering::Release);
    }

    fn published(&self) -> ClockState {
        loop {
            let before = self.sequence.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let frozen = self.frozen.load(Ordering::Relaxed);
            let seconds = self.seconds.load(Ordering::Relaxed);
            let nanos = self.nanos.load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            if self.sequence.load(Ordering::Relaxed) != before {
                continue;
            }
            return if frozen {
                ClockState {
                    offset: Duration::zero(),
                    frozen_at: Some(
                        DateTime::from_timestamp(seconds, nanos as u32).unwrap_or(LATEST),
                    ),
                }
            } else {
                ClockState {
                    offset: Duration::seconds(seconds) + Duration::nanoseconds(nanos),
                    frozen_at: None,
                }
            };
        }
    }
}

/// A change to the clock's state, published when dropped.
struct Changing<'a> {
    state: MutexGuard<'a, ClockState>,
    shared: &'a Shared,
}

impl Deref for Changing<'_> {
    type Target = ClockState;

    fn deref(&self) -> &ClockState {
        &self.state
    }
}

impl DerefMut for Changing<'_> {
    fn deref_mut(&mut self) -> &mut ClockState {
        &mut self.state
    }
}

impl Drop for Changing<'_> {
    fn drop(&mut self) {
        self.shared.publish(&self.state);
    }
}

impl Clock {
    /// The current instant, truncated to milliseconds: the precision every
    /// vendor timestamp is rendered with, so what we store is what we show.
    /// Always within `EARLIEST`..=`LATEST`.
    pub fn now(&self) -> DateTime<Utc> {
        Self::shown(&self.shared.published())
    }

    fn shown(state: &ClockState) -> DateTime<Utc> {
        let instant = match state.frozen_at {
            Some(frozen) => frozen,
            None => Utc::now()
                .checked_add_signed(state.offset)
                .unwrap_or(LATEST),
        };
        clamp(truncate_to_millis(instant))
    }

    /// Stops time at `at` (or at the current instant); an instant outside
    /// `EARLIEST`..=`LATEST` stops it at the nearer end (see
    /// [`try_freeze`](Clock::try_freeze) to refuse it instead).
    pub fn freeze(&self, at: Option<DateTime<Utc>>) {
        let mut state = self.lock();
        let at = at.unwrap_or_else(|| Self::shown(&state));
        state.frozen_at = Some(clamp(truncate_to_millis(at)));
    }

    /// Stops time at `at` (or at the current instant), unless `at` is
    /// outside `EARLIEST`..=`LATEST`. Returns the instant shown.
    pub fn try_freeze(&self, at: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, OutOfRange> {
        let mut state = self.lock();
        let at = match at {
            Some(at) => in_range(truncate_to_millis(at))?,
            None => Self::shown(&state),
        };
        state.frozen_at = Some(at);
        Ok(at)
    }

    /// Moves time forward (or backward, for a negative duration), frozen or
    /// not; past an end of `EARLIEST`..=`LATEST` it stops at that end
    /// (see [`try_advance`](Clock::try_advance) to refuse it instead).
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        let now = Self::shown(&state);
        let target = now.checked_add_signed(by).map_or_else(
            || {
                if by < Duration::zero() {
                    EARLIEST
                } else {
                    LATEST
                }
            },
            clamp,
        );
        Self::move_to(&mut state, now, target);
    }

    /// Moves time by `by`, frozen or not, unless that leaves
    /// `EARLIEST`..=`LATEST`. Returns the instant shown.
    pub fn try_advance(&self, by: Duration) -> Result<DateTime<Utc>, OutOfRange> {
        let mut state = self.lock();
        let now = Self::shown(&state);
        let target = now.checked_add_signed(by).ok_or_else(|| OutOfRange {
            asked: format!("{} {:+} seconds", timestamp(now), by.num_seconds()),
        })?;
        let target = in_range(target)?;
        Self::move_to(&mut state, now, target);
        Ok(Self::shown(&state))
    }

    /// Makes a clock showing `now` show `target` (both in range).
    fn move_to(state: &mut ClockState, now: DateTime<Utc>, target: DateTime<Utc>) {
        match state.frozen_at.as_mut() {
            Some(frozen) => *frozen = target,
            None => state.offset += target - now,
        }
    }

    /// Lets a frozen clock run again from the instant it shows.
    pub fn resume(&self) {
        let mut state = self.lock();
        if let Some(frozen) = state.frozen_at.take() {
            state.offset = frozen.signed_duration_since(Utc::now());
        }
    }

    /// Back to real time: the wall clock, running, with no offset left by
    /// a freeze or an advance.
    pub fn real(&self) {
        *self.lock() = ClockState::default();
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.shared.published().frozen_at.is_some()
    }

    fn lock(&self) -> Changing<'_> {
        Changing {
            // The state is two plain values: a poisoned lock still holds valid data.
            state: self.shared.state.lock().unwrap_or_else(|e| e.into_inner()),
            shared: &self.shared,
        }
    }
}

pub fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::milliseconds(1)).unwrap_or(t)
}

/// Grafana's timestamp format: `2022-06-08T20:07:21.223Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    Shown(at).to_string()
}

/// An instant as [`timestamp`] writes it, written in place (serialized or
/// displayed) instead of through a `String`: answers render many, and
/// chrono's format strings are parsed anew on every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown(pub DateTime<Utc>);

impl Shown {
    /// The 24 bytes of `YYYY-MM-DDTHH:MM:SS.mmmZ`; `None` for the instants
    /// that format has no room for (years past 9999, leap seconds).
    fn digits(self) -> Option<[u8; 24]> {
        let at = self.0;
        let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
        let millis = at.nanosecond() / 1_000_000;
        if millis > 999 {
            return None;
        }
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, at.month());
        put(8, 2, at.day());
        put(11, 2, at.hour());
        put(14, 2, at.minute());
        put(17, 2, at.second());
        put(20, 3, millis);
        Some(out)
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.digits() {
            // ASCII digits and punctuation only.
            Some(digits) => f.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?),
            None => write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
        }
    }
}

impl serde::Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.digits() {
            Some(digits) => serializer.serialize_str(std::str::from_utf8(&digits).unwrap_or("")),
            None => serializer.collect_str(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_chrono_s_format_to_the_millisecond() {
        let chrono = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let mut seconds: i64 = 0;
        for i in 0..20_000i64 {
            // Every month, day and hour of a few centuries, odd milliseconds.
            seconds = (seconds + 3_599_999 * 7 + i * 13) % 253_402_300_799;
            let at =
                DateTime::from_timestamp(seconds, (i as u32 % 1000) * 1_000_000 + 999).unwrap();
            assert_eq!(timestamp(at), chrono(at));
            assert_eq!(
                serde_json::to_string(&Shown(at)).unwrap(),
                format!("\"{}\"", chrono(at))
            );
        }
        for at in [
            EARLIEST,
            LATEST,
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::MIN_UTC,
        ] {
            assert_eq!(timestamp(at), chrono(at));
        }
    }

    #[test]
    fn readers_never_see_a_change_half_made() {
        let clock = Clock::default();
        let a: DateTime<Utc> = "2026-01-31T23:59:59.500Z".parse().unwrap();
        let b: DateTime<Utc> = "2031-07-01T00:00:00.001Z".parse().unwrap();
        clock.freeze(Some(a));
        let reader = {
            let clock = clock.clone();
            std::thread::spawn(move || {
                for _ in 0..200_000 {
                    let now = clock.now();
                    assert!(now == a || now == b, "{now}");
                }
            })
        };
        for i in 0..20_000 {
            clock.freeze(Some(if i % 2 == 0 { b } else { a }));
        }
        reader.join().unwrap();
        clock.resume();
        clock.advance(Duration::milliseconds(-1500));
        let running = clock.now();
        assert!(!clock.is_frozen());
        assert!(
            running <= Utc::now() - Duration::milliseconds(1400),
            "{running}"
        );
    }

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let clock = Clock::default();
        let at = "2026-01-31T23:59:59.500Z".parse().unwrap();
        clock.freeze(Some(at));
        assert_eq!(clock.now(), at);
        clock.advance(Duration::seconds(1));
        assert_eq!(clock.now().to_rfc3339(), "2026-02-01T00:00:00.500+00:00");
        clock.resume();
        assert!(!clock.is_frozen());
        assert!(clock.now() >= at + Duration::seconds(1));
    }

    #[test]
    fn the_clock_refuses_or_clamps_instants_outside_its_range() {
        let clock = Clock::default();
        let far: DateTime<Utc> = "+262142-12-31T23:59:59Z".parse().unwrap();
        let error = clock.try_freeze(Some(far)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "+262142-12-31T23:59:59Z is outside the clock's range: \
             1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z"
        );
        assert!(!clock.is_frozen(), "nothing changed");
        assert!(
            clock
                .try_freeze(Some(EARLIEST - Duration::milliseconds(1)))
                .is_err()
        );
        assert_eq!(clock.try_freeze(Some(LATEST)), Ok(LATEST));
        assert!(clock.try_advance(Duration::milliseconds(1)).is_err());
        assert!(clock.try_advance(Duration::MAX).is_err());
        assert_eq!(clock.now(), LATEST, "a refused move leaves the clock");
        assert_eq!(
            clock.try_advance(Duration::seconds(-1)),
            Ok(LATEST - Duration::seconds(1))
        );
        // The infallible forms stop at the ends.
        clock.freeze(Some(far));
        assert_eq!(clock.now(), LATEST);
        clock.advance(Duration::MIN);
        assert_eq!(clock.now(), EARLIEST);
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), LATEST);
        // Running from the latest instant, it stays there.
        clock.resume();
        assert_eq!(clock.now(), LATEST);
        clock.advance(Duration::days(-1));
        assert!(clock.now() < LATEST);
    }
}
