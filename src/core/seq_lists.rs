//! Ordered lists of one collection, each keyed by what its members share (a
//! filter value): every list keeps its members in creation order (by seq,
//! as the keyset cursor does) and, for each stretch of it, a summary of
//! what the stretch holds, so that a walk from a cursor skips every stretch
//! the summary rules out. A filtered page then costs what its matches cost,
//! not what the collection holds.
//!
//! Each list is a treap (a binary search tree by seq whose shape is fixed by
//! a hash of each seq: balanced in expectation, the same run after run), and
//! all lists share one arena of nodes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;
use std::iter::Peekable;

use super::hash::hash;

/// What a list keeps of a member, and how a stretch of members is summed up.
pub trait Summarize {
    type Summary: Copy;
    /// The summary of this member alone.
    fn summary(&self) -> Self::Summary;
    /// The summary of two neighbouring stretches.
    fn merge(left: Self::Summary, right: Self::Summary) -> Self::Summary;
}

const NIL: u32 = u32::MAX;

struct Node<T: Summarize> {
    seq: u64,
    value: T,
    /// Of this node's subtree.
    summary: T::Summary,
    left: u32,
    right: u32,
}

#[derive(Debug, Clone, Copy)]
struct List {
    root: u32,
    len: usize,
}

/// Lists of members `T` keyed by `K`; a member may be in several lists.
pub struct SeqLists<K, T: Summarize> {
    nodes: Vec<Node<T>>,
    /// Slots of removed nodes, reused first.
    free: Vec<u32>,
    lists: HashMap<K, List>,
}

impl<K, T: Summarize> Default for SeqLists<K, T> {
    fn default() -> Self {
        SeqLists {
            nodes: Vec::new(),
            free: Vec::new(),
            lists: HashMap::new(),
        }
    }
}

/// Sizes only: the members are the collection's, shown with it.
impl<K, T: Summarize> std::fmt::Debug for SeqLists<K, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeqLists")
            .field("lists", &self.lists.len())
            .field("entries", &(self.nodes.len() - self.free.len()))
            .finish()
    }
}

/// The treap's heap order: a node's priority is above its children's.
fn priority(seq: u64) -> u64 {
    hash(&[seq])
}

impl<K: Hash + Eq, T: Summarize> SeqLists<K, T> {
    /// Puts `value` at `seq` in the list `key` (replacing what was there).
    pub fn insert(&mut self, key: K, seq: u64, value: T) {
        let list = self.lists.entry(key).or_insert(List { root: NIL, len: 0 });
        let List { root, len } = *list;
        let (before, rest) = split(&mut self.nodes, root, seq);
        let (replaced, after) = split_after(&mut self.nodes, rest, seq);
        let node = Node {
            seq,
            summary: value.summary(),
            value,
            left: NIL,
            right: NIL,
        };
        let (slot, len) = match replaced {
            NIL => (alloc(&mut self.nodes, &mut self.free, node), len + 1),
            slot => {
                self.nodes[slot as usize] = node;
                (slot, len)
            }
        };
        let root = merge(&mut self.nodes, before, slot);
        let root = merge(&mut self.nodes, root, after);
        *list = List { root, len };
    }

    /// Takes `seq` out of the list `key`; a list left empty is dropped.
    pub fn remove(&mut self, key: &K, seq: u64) -> bool {
        let Some(list) = self.lists.get_mut(key) else {
            return false;
        };
        let (before, rest) = split(&mut self.nodes, list.root, seq);
        let (removed, after) = split_after(&mut self.nodes, rest, seq);
        list.root = merge(&mut self.nodes, before, after);
        if removed == NIL {
            return false;
        }
        self.free.push(removed);
        list.len -= 1;
        if list.len == 0 {
            self.lists.remove(key);
        }
        true
    }

    /// How many members the list `key` has.
    #[cfg(test)]
    pub fn len(&self, key: &K) -> usize {
        self.lists.get(key).map_or(0, |list| list.len)
    }

    /// How many lists are not empty.
    #[cfg(test)]
    pub fn list_count(&self) -> usize {
        self.lists.len()
    }

    /// The members of the list `key` from `from_seq` on, in seq order, that
    /// `matches` accepts; stretches whose summary `may_contain` rules out
    /// are skipped unseen. `may_contain` must not rule out a stretch holding
    /// a member `matches` accepts; when it rules out exactly the stretches
    /// without one, each member found costs O(log n).
    pub fn matching<'a, P, M>(
        &'a self,
        key: &K,
        from_seq: u64,
        may_contain: P,
        matches: M,
    ) -> Matching<'a, T, P, M>
    where
        P: Fn(&T::Summary) -> bool,
        M: Fn(&T) -> bool,
    {
        let mut walk = Matching {
            nodes: &self.nodes,
            stack: Vec::new(),
            may_contain,
            matches,
        };
        let mut at = self.lists.get(key).map_or(NIL, |list| list.root);
        // The path to `from_seq`: nodes at or after it wait on the stack,
        // with their right subtrees, for their left subtrees to be walked.
        while at != NIL && (walk.may_contain)(&self.nodes[at as usize].summary) {
            let node = &self.nodes[at as usize];
            if node.seq < from_seq {
                at = node.right;
            } else {
                walk.stack.push(at);
                at = node.left;
            }
        }
        walk
    }
}

/// The members of one list that match, in seq order (see
/// [`SeqLists::matching`]).
pub struct Matching<'a, T: Summarize, P, M> {
    nodes: &'a [Node<T>],
    /// Nodes whose left subtrees are behind the walk.
    stack: Vec<u32>,
    may_contain: P,
    matches: M,
}

impl<'a, T, P, M> Iterator for Matching<'a, T, P, M>
where
    T: Summarize,
    P: Fn(&T::Summary) -> bool,
    M: Fn(&T) -> bool,
{
    type Item = (u64, &'a T);

    fn next(&mut self) -> Option<Self::Item> {
        let nodes = self.nodes;
        while let Some(at) = self.stack.pop() {
            let node = &nodes[at as usize];
            let mut next = node.right;
            while next != NIL && (self.may_contain)(&nodes[next as usize].summary) {
                self.stack.push(next);
                next = nodes[next as usize].left;
            }
            if (self.matches)(&node.value) {
                return Some((node.seq, &node.value));
            }
        }
        None
    }
}

/// Walks in seq order with distinct seqs (the lists of several policies'
/// tokens), merged into one in seq order.
pub fn merged_by_seq<I, X>(walks: Vec<I>) -> impl Iterator<Item = (u64, X)>
where
    I: Iterator<Item = (u64, X)>,
{
    let mut walks: Vec<Peekable<I>> = walks.into_iter().map(Iterator::peekable).collect();
    // The next seq of each walk not yet finished, the smallest on top.
    let mut heads: BinaryHeap<Reverse<(u64, usize)>> = walks
        .iter_mut()
        .enumerate()
        .filter_map(|(i, walk)| walk.peek().map(|(seq, _)| Reverse((*seq, i))))
        .collect();
    std::iter::from_fn(move || {
        let Reverse((_, i)) = heads.pop()?;
        let item = walks[i].next()?;
        if let Some((seq, _)) = walks[i].peek() {
            heads.push(Reverse((*seq, i)));
        }
        Some(item)
    })
}

fn alloc<T: Summarize>(nodes: &mut Vec<Node<T>>, free: &mut Vec<u32>, node: Node<T>) -> u32 {
    match free.pop() {
        Some(slot) => {
            nodes[slot as usize] = node;
            slot
        }
        None => {
            let slot = u32::try_from(nodes.len()).expect("fewer than 2^32 list entries");
            assert!(slot != NIL, "fewer than 2^32 list entries");
            nodes.push(node);
            slot
        }
    }
}

/// Recomputes the summary of `at` from its children.
fn refresh<T: Summarize>(nodes: &mut [Node<T>], at: u32) {
    let node = &nodes[at as usize];
    let mut summary = node.value.summary();
    if node.left != NIL {
        summary = T::merge(nodes[node.left as usize].summary, summary);
    }
    if node.right != NIL {
        summary = T::merge(summary, nodes[node.right as usize].summary);
    }
    nodes[at as usize].summary = summary;
}

/// Splits the tree at `at` into the nodes before `seq` and those from it on.
fn split<T: Summarize>(nodes: &mut [Node<T>], at: u32, seq: u64) -> (u32, u32) {
    if at == NIL {
        return (NIL, NIL);
    }
    if nodes[at as usize].seq < seq {
        let (left, right) = split(nodes, nodes[at as usize].right, seq);
        nodes[at as usize].right = left;
        refresh(nodes, at);
        (at, right)
    } else {
        let (left, right) = split(nodes, nodes[at as usize].left, seq);
        nodes[at as usize].left = right;
        refresh(nodes, at);
        (left, at)
    }
}

/// Splits a tree whose seqs are all `seq` or later into the node at `seq`
/// (or `NIL`) and the rest.
fn split_after<T: Summarize>(nodes: &mut [Node<T>], at: u32, seq: u64) -> (u32, u32) {
    match seq.checked_add(1) {
        Some(next) => split(nodes, at, next),
        None => (at, NIL),
    }
}

/// Joins two trees, every seq of `left` before every seq of `right`.
fn merge<T: Summarize>(nodes: &mut [Node<T>], left: u32, right: u32) -> u32 {
    if left == NIL {
        return right;
    }
    if right == NIL {
        return left;
    }
    if priority(nodes[left as usize].seq) > priority(nodes[right as usize].seq) {
        let joined = merge(nodes, nodes[left as usize].right, right);
        nodes[left as usize].right = joined;
        refresh(nodes, left);
        left
    } else {
        let joined = merge(nodes, left, nodes[right as usize].left);
        nodes[right as usize].left = joined;
        refresh(nodes, right);
        right
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// A number; a stretch is summed up by its smallest and largest.
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Number(u32);

    impl Summarize for Number {
        type Summary = (u32, u32);

        fn summary(&self) -> (u32, u32) {
            (self.0, self.0)
        }

        fn merge(left: (u32, u32), right: (u32, u32)) -> (u32, u32) {
            (left.0.min(right.0), left.1.max(right.1))
        }
    }

    /// Random inserts, replacements and removes across a few lists agree
    /// with a `BTreeMap` per list, for every walk from every kind of start.
    #[test]
    fn lists_agree_with_a_btreemap_under_random_changes() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut lists: SeqLists<u8, Number> = SeqLists::default();
        let mut oracle: BTreeMap<u8, BTreeMap<u64, u32>> = BTreeMap::new();
        for step in 0..4000 {
            let key = rng.gen_range(0..3u8);
            let seq = rng.gen_range(0..300u64);
            if rng.gen_bool(0.6) {
                let value = rng.gen_range(0..1000);
                lists.insert(key, seq, Number(value));
                oracle.entry(key).or_default().insert(seq, value);
            } else {
                let removed = oracle.get_mut(&key).and_then(|l| l.remove(&seq));
                assert_eq!(lists.remove(&key, seq), removed.is_some());
            }
            oracle.retain(|_, list| !list.is_empty());
            if step % 50 != 0 {
                continue;
            }
            assert_eq!(lists.list_count(), oracle.len());
            for key in 0..3u8 {
                let expected = oracle.get(&key).cloned().unwrap_or_default();
                assert_eq!(lists.len(&key), expected.len());
                let (low, high) = (rng.gen_range(0..1000), rng.gen_range(0..1000));
                let from = rng.gen_range(0..320u64);
                let found: Vec<(u64, u32)> = lists
                    .matching(
                        &key,
                        from,
                        |&(min, max)| max >= low && min <= high,
                        |n| (low..=high).contains(&n.0),
                    )
                    .map(|(seq, n)| (seq, n.0))
                    .collect();
                let wanted: Vec<(u64, u32)> = expected
                    .range(from..)
                    .filter(|(_, v)| (low..=high).contains(*v))
                    .map(|(s, v)| (*s, *v))
                    .collect();
                assert_eq!(found, wanted, "list {key} from {from}, {low}..={high}");
            }
        }
        // Removed slots are reused: the arena holds no more than the peak.
        assert!(lists.nodes.len() <= 3 * 300);
    }

    #[test]
    fn merged_walks_come_in_seq_order() {
        let walks = vec![
            vec![(1, 'a'), (4, 'b'), (9, 'c')].into_iter(),
            vec![].into_iter(),
            vec![(2, 'd'), (3, 'e'), (10, 'f')].into_iter(),
        ];
        let merged: Vec<(u64, char)> = merged_by_seq(walks).collect();
        assert_eq!(
            merged,
            vec![(1, 'a'), (2, 'd'), (3, 'e'), (4, 'b'), (9, 'c'), (10, 'f')]
        );
    }

    /// A walk for a value that is rare visits few nodes: a sign that
    /// stretches are skipped, not scanned.
    #[test]
    fn a_rare_value_is_found_without_a_scan() {
        let mut lists: SeqLists<(), Number> = SeqLists::default();
        for seq in 0..100_000u64 {
            let value = if seq % 25_000 == 7 { 1 } else { 0 };
            lists.insert((), seq, Number(value));
        }
        let visited = std::cell::Cell::new(0);
        let found: Vec<u64> = lists
            .matching(
                &(),
                0,
                |&(_, max)| {
                    visited.set(visited.get() + 1);
                    max >= 1
                },
                |n| n.0 == 1,
            )
            .map(|(seq, _)| seq)
            .collect();
        assert_eq!(found, vec![7, 25_007, 50_007, 75_007]);
        assert!(visited.get() < 1000, "visited {} stretches", visited.get());
    }
}
