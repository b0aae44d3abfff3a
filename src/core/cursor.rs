//! The one keyset cursor. Every stored collection orders its objects by a
//! sequence number handed out at creation; a cursor is "the last sequence
//! number the previous page showed". Objects created later sort after every
//! existing one, so walking the pages while others write returns each object
//! that existed throughout exactly once, and a page costs a lookup in an
//! ordered index (a `BTreeMap`, [`super::seq_lists`]), not a scan of the
//! collection.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::{EngineResult, bad_request};

/// Position after which the next page starts. Opaque on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    after_seq: u64,
}

const CURSOR_PREFIX: &str = "seq:";

impl Cursor {
    pub fn first_page() -> Self {
        Cursor::default()
    }

    /// Parses the wire form; an empty string is the first page.
    pub fn decode(raw: &str, param: &str) -> EngineResult<Self> {
        if raw.is_empty() {
            return Ok(Cursor::first_page());
        }
        let invalid = || bad_request(format!("{param} is not a valid page cursor: {raw:?}"));
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let digits = text.strip_prefix(CURSOR_PREFIX).ok_or_else(invalid)?;
        let after_seq = digits.parse::<u64>().map_err(|_| invalid())?;
        Ok(Cursor { after_seq })
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}", self.after_seq))
    }
}

/// One page of a keyset walk.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// The first page of `matches` (sequence numbers with their objects, in
/// order, from the cursor on): up to `limit` of them, and the cursor after
/// the last one when one more match exists.
pub fn page_of<T>(matches: impl IntoIterator<Item = (u64, T)>, limit: usize) -> Page<T> {
    let mut items = Vec::with_capacity(limit.min(64));
    let mut last_seq = None;
    for (seq, item) in matches {
        if items.len() == limit {
            return Page {
                items,
                next: last_seq.map(|after_seq| Cursor { after_seq }),
            };
        }
        last_seq = Some(seq);
        items.push(item);
    }
    Page { items, next: None }
}

impl Cursor {
    /// The cursor after position `seq`: for computed sequences (usage
    /// records numbered from 1) as much as for stored collections.
    pub fn after(seq: u64) -> Self {
        Cursor { after_seq: seq }
    }

    /// After every position: an empty page.
    pub fn past_the_end() -> Self {
        Cursor {
            after_seq: u64::MAX,
        }
    }

    /// The last position the previous page showed (0: none).
    pub fn after_seq(&self) -> u64 {
        self.after_seq
    }

    /// The first sequence number the page may show.
    pub fn start_seq(&self) -> u64 {
        self.after_seq.saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let cursor = Cursor { after_seq: 42 };
        assert_eq!(Cursor::decode(&cursor.encode(), "pageCursor"), Ok(cursor));
        assert_eq!(Cursor::decode("", "pageCursor"), Ok(Cursor::first_page()));
        for bad in ["%%%", "bm9wZQ", "c2VxOng"] {
            let err = Cursor::decode(bad, "pageCursor").unwrap_err();
            assert!(err.message().contains("pageCursor"), "{err}");
        }
    }

    #[test]
    fn walking_pages_sees_each_key_once() {
        let index: BTreeMap<u64, u64> = (1..=10).map(|s| (s, s)).collect();
        let mut cursor = Cursor::first_page();
        let mut seen = Vec::new();
        loop {
            let matches = index
                .range(cursor.start_seq()..)
                .filter(|(_, v)| *v % 2 == 0)
                .map(|(k, v)| (*k, *v));
            let page = page_of(matches, 3);
            seen.extend(page.items);
            match page.next {
                Some(next) => cursor = next,
                None => break,
            }
        }
        assert_eq!(seen, vec![2, 4, 6, 8, 10]);
    }
}
