//! Ordered lists of one collection, each keyed by what its members share (a
//! filter value): every list keeps its members in creation order (by seq,
//! as the keyset cursor does) and, for each stretch of it, a summary of
//! what the stretch holds, so that a walk from a cursor skips every stretch
//! the summary rules out. A filtered page then costs what its matches cost,
//! not what the collection holds.
//!
//! A list of more than [`LEAF_CAPACITY`] members is a tree of fixed height,
//! laid out for the cache: groups of up to that many leaves, each leaf up
//! to as many members in one contiguous run, every group and leaf with the
//! summary of its members. A walk checks the summaries of the groups from
//! the cursor on, of the leaves of each group not ruled out, and the
//! members of each leaf not ruled out. Members are mostly added at the end
//! (a new seq is the largest), which fills leaves and groups whole. A
//! shorter list (most of them: one policy's tokens) is one run without
//! summaries.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;
use std::iter::Peekable;

/// What a list keeps of a member, and how a stretch of members is summed up.
pub trait Summarize {
    type Summary: Copy;
    /// The summary of this member alone.
    fn summary(&self) -> Self::Summary;
    /// The summary of the union of two stretches, in either order.
    fn merge(a: Self::Summary, b: Self::Summary) -> Self::Summary;
}

/// The most members of a leaf, and the most leaves of a group; small in
/// tests, so that their small lists grow into trees too.
pub const LEAF_CAPACITY: usize = if cfg!(test) { 4 } else { 64 };

/// Members in seq order, never empty.
struct Leaf<T: Summarize> {
    members: Vec<(u64, T)>,
    summary: T::Summary,
}

/// Leaves in seq order, never empty.
struct Group<T: Summarize> {
    leaves: Vec<Leaf<T>>,
    summary: T::Summary,
}

/// A list: up to a leaf's worth of members in one run, without summaries
/// (most lists are short: one policy's tokens, mostly); a tree beyond.
enum List<T: Summarize> {
    Short(Vec<(u64, T)>),
    Tree(Tree<T>),
}

struct Tree<T: Summarize> {
    groups: Vec<Group<T>>,
    len: usize,
}

/// Lists of members `T` keyed by `K`; a member may be in several lists.
pub struct SeqLists<K, T: Summarize> {
    lists: HashMap<K, List<T>>,
}

impl<K, T: Summarize> Default for SeqLists<K, T> {
    fn default() -> Self {
        SeqLists {
            lists: HashMap::new(),
        }
    }
}

/// Sizes only: the members are the collection's, shown with it.
impl<K, T: Summarize> std::fmt::Debug for SeqLists<K, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeqLists")
            .field("lists", &self.lists.len())
            .field(
                "members",
                &self.lists.values().map(List::len).sum::<usize>(),
            )
            .finish()
    }
}

fn fold<T: Summarize>(summaries: impl Iterator<Item = T::Summary>) -> Option<T::Summary> {
    summaries.reduce(T::merge)
}

impl<T: Summarize> Leaf<T> {
    fn new(members: Vec<(u64, T)>) -> Self {
        let summary = fold::<T>(members.iter().map(|(_, m)| m.summary())).expect("not empty");
        Leaf { members, summary }
    }

    fn last_seq(&self) -> u64 {
        self.members.last().expect("not empty").0
    }
}

impl<T: Summarize> Group<T> {
    fn new(leaves: Vec<Leaf<T>>) -> Self {
        let summary = fold::<T>(leaves.iter().map(|l| l.summary)).expect("not empty");
        Group { leaves, summary }
    }

    fn last_seq(&self) -> u64 {
        self.leaves.last().expect("not empty").last_seq()
    }

    fn refresh(&mut self) {
        self.summary = fold::<T>(self.leaves.iter().map(|l| l.summary)).expect("not empty");
    }
}

impl<T: Summarize> List<T> {
    fn len(&self) -> usize {
        match self {
            List::Short(members) => members.len(),
            List::Tree(tree) => tree.len,
        }
    }

    /// Puts `value` at `seq` (replacing what was there).
    fn insert(&mut self, seq: u64, value: T) {
        match self {
            List::Tree(tree) => tree.insert(seq, value),
            List::Short(members) => {
                match members.binary_search_by_key(&seq, |(s, _)| *s) {
                    Ok(at) => members[at].1 = value,
                    Err(at) => members.insert(at, (seq, value)),
                }
                if members.len() > LEAF_CAPACITY {
                    *self = List::Tree(Tree::of(std::mem::take(members)));
                }
            }
        }
    }

    /// Takes `seq` out; false if it was not there.
    fn remove(&mut self, seq: u64) -> bool {
        match self {
            List::Short(members) => match members.binary_search_by_key(&seq, |(s, _)| *s) {
                Ok(at) => {
                    members.remove(at);
                    true
                }
                Err(_) => false,
            },
            List::Tree(tree) => {
                let removed = tree.remove(seq);
                if tree.len <= LEAF_CAPACITY / 2 {
                    *self = List::Short(tree.take_members());
                }
                removed
            }
        }
    }
}

impl<T: Summarize> Tree<T> {
    /// A tree of `members`, in seq order: full leaves and groups.
    fn of(mut members: Vec<(u64, T)>) -> Self {
        let len = members.len();
        let mut leaves = Vec::new();
        while !members.is_empty() {
            let rest = members.split_off(members.len().min(LEAF_CAPACITY));
            leaves.push(Leaf::new(std::mem::replace(&mut members, rest)));
        }
        let mut groups = Vec::new();
        while !leaves.is_empty() {
            let rest = leaves.split_off(leaves.len().min(LEAF_CAPACITY));
            groups.push(Group::new(std::mem::replace(&mut leaves, rest)));
        }
        Tree { groups, len }
    }

    /// Every member, in seq order, leaving the tree empty.
    fn take_members(&mut self) -> Vec<(u64, T)> {
        self.len = 0;
        std::mem::take(&mut self.groups)
            .into_iter()
            .flat_map(|group| group.leaves)
            .flat_map(|leaf| leaf.members)
            .collect()
    }

    /// The group and leaf where `seq` is or would go: the first whose last
    /// seq is `seq` or later, or the last one.
    fn locate(&self, seq: u64) -> (usize, usize) {
        let g = self
            .groups
            .partition_point(|g| g.last_seq() < seq)
            .min(self.groups.len() - 1);
        let leaves = &self.groups[g].leaves;
        let l = leaves
            .partition_point(|l| l.last_seq() < seq)
            .min(leaves.len() - 1);
        (g, l)
    }

    fn insert(&mut self, seq: u64, value: T) {
        let (g, l) = self.locate(seq);
        let last_group = g + 1 == self.groups.len();
        let group = &mut self.groups[g];
        let leaf = &mut group.leaves[l];
        let at = leaf.members.partition_point(|(s, _)| *s < seq);
        if leaf.members.get(at).is_some_and(|(s, _)| *s == seq) {
            leaf.members[at].1 = value;
            *leaf = Leaf::new(std::mem::take(&mut leaf.members));
            group.refresh();
            return;
        }
        self.len += 1;
        let summary = value.summary();
        let at_the_end = at == leaf.members.len() && seq > leaf.last_seq();
        if at_the_end && leaf.members.len() == LEAF_CAPACITY {
            // Past a full leaf: a new leaf, so that appends fill leaves whole.
            group.leaves.insert(l + 1, Leaf::new(vec![(seq, value)]));
        } else {
            leaf.members.insert(at, (seq, value));
            leaf.summary = T::merge(leaf.summary, summary);
            if leaf.members.len() > LEAF_CAPACITY {
                let upper = leaf.members.split_off(LEAF_CAPACITY / 2);
                // The lower half keeps the room it grew to: half of it is enough.
                leaf.members.shrink_to(LEAF_CAPACITY);
                *leaf = Leaf::new(std::mem::take(&mut leaf.members));
                group.leaves.insert(l + 1, Leaf::new(upper));
            }
        }
        group.summary = T::merge(group.summary, summary);
        if group.leaves.len() > LEAF_CAPACITY {
            // Past a full group likewise.
            let full = last_group && l + 1 == LEAF_CAPACITY;
            let upper = group.leaves.split_off(if full {
                LEAF_CAPACITY
            } else {
                LEAF_CAPACITY / 2
            });
            group.refresh();
            self.groups.insert(g + 1, Group::new(upper));
        }
    }

    /// Takes `seq` out; false if it was not there.
    fn remove(&mut self, seq: u64) -> bool {
        let (g, l) = self.locate(seq);
        let group = &mut self.groups[g];
        let leaf = &mut group.leaves[l];
        let Ok(at) = leaf.members.binary_search_by_key(&seq, |(s, _)| *s) else {
            return false;
        };
        leaf.members.remove(at);
        self.len -= 1;
        if leaf.members.is_empty() {
            group.leaves.remove(l);
        } else {
            *leaf = Leaf::new(std::mem::take(&mut leaf.members));
            // A leaf that has shrunk to a quarter joins a neighbour it fits in.
            let small = leaf.members.len() < LEAF_CAPACITY / 4;
            if small {
                join_small(
                    &mut group.leaves,
                    l,
                    |leaf| leaf.members.len(),
                    |a, b| {
                        a.members.append(&mut b.members);
                        *a = Leaf::new(std::mem::take(&mut a.members));
                    },
                );
            }
        }
        if group.leaves.is_empty() {
            self.groups.remove(g);
            return true;
        }
        group.refresh();
        if group.leaves.len() < LEAF_CAPACITY / 4 {
            join_small(
                &mut self.groups,
                g,
                |group| group.leaves.len(),
                |a, b| {
                    a.leaves.append(&mut b.leaves);
                    a.refresh();
                },
            );
        }
        true
    }
}

/// Joins `items[i]` with the neighbour after it (or before it) when the
/// two fit in one: `join(a, b)` moves all of `b` into `a`.
fn join_small<X>(
    items: &mut Vec<X>,
    i: usize,
    size: impl Fn(&X) -> usize,
    join: impl Fn(&mut X, &mut X),
) {
    let pair = if i + 1 < items.len() {
        Some(i)
    } else {
        i.checked_sub(1)
    };
    let Some(first) = pair else { return };
    if size(&items[first]) + size(&items[first + 1]) > LEAF_CAPACITY {
        return;
    }
    let mut second = items.remove(first + 1);
    join(&mut items[first], &mut second);
}

impl<K: Hash + Eq, T: Summarize> SeqLists<K, T> {
    /// Puts `value` at `seq` in the list `key` (replacing what was there).
    pub fn insert(&mut self, key: K, seq: u64, value: T) {
        self.lists
            .entry(key)
            .or_insert_with(|| List::Short(Vec::new()))
            .insert(seq, value);
    }

    /// Takes `seq` out of the list `key`; a list left empty is dropped.
    pub fn remove(&mut self, key: &K, seq: u64) -> bool {
        let Some(list) = self.lists.get_mut(key) else {
            return false;
        };
        let removed = list.remove(seq);
        if list.len() == 0 {
            self.lists.remove(key);
        }
        removed
    }

    /// How many members the list `key` has.
    pub fn len(&self, key: &K) -> usize {
        self.lists.get(key).map_or(0, List::len)
    }

    /// How many lists are not empty.
    #[cfg(test)]
    pub fn list_count(&self) -> usize {
        self.lists.len()
    }

    /// The members of the list `key` from `from_seq` on, in seq order, that
    /// `matches` accepts; groups and leaves whose summary `may_contain`
    /// rules out are skipped unseen. `may_contain` must not rule out a
    /// stretch holding a member `matches` accepts.
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
        let (short, groups): (&[(u64, T)], &[Group<T>]) = match self.lists.get(key) {
            None => (&[], &[]),
            Some(List::Short(members)) => (members, &[]),
            Some(List::Tree(tree)) => (&[], &tree.groups),
        };
        let mut walk = Matching {
            short,
            short_member: short.partition_point(|(s, _)| *s < from_seq),
            groups,
            group: groups.partition_point(|g| g.last_seq() < from_seq),
            leaf: 0,
            member: 0,
            group_checked: false,
            leaf_checked: false,
            may_contain,
            matches,
        };
        if let Some(group) = groups.get(walk.group) {
            walk.leaf = group.leaves.partition_point(|l| l.last_seq() < from_seq);
            let leaf = &group.leaves[walk.leaf];
            walk.member = leaf.members.partition_point(|(s, _)| *s < from_seq);
        }
        walk
    }
}

/// The members of one list that match, in seq order (see
/// [`SeqLists::matching`]).
pub struct Matching<'a, T: Summarize, P, M> {
    /// A short list's members, and where the walk is in them.
    short: &'a [(u64, T)],
    short_member: usize,
    groups: &'a [Group<T>],
    /// Where the walk is.
    group: usize,
    leaf: usize,
    member: usize,
    /// Whether the summary of the current group (leaf) was checked.
    group_checked: bool,
    leaf_checked: bool,
    may_contain: P,
    matches: M,
}

/// What a walk given a number of steps came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<X> {
    Found(X),
    /// The steps ran out first: call again to go on.
    Paused,
    Done,
}

impl<'a, T, P, M> Matching<'a, T, P, M>
where
    T: Summarize,
    P: Fn(&T::Summary) -> bool,
    M: Fn(&T) -> bool,
{
    /// The next match, if found within `steps` (each summary and member
    /// looked at is one; what is used is taken off).
    pub fn next_within(&mut self, steps: &mut usize) -> Step<(u64, &'a T)> {
        let short = self.short;
        while let Some((seq, member)) = short.get(self.short_member) {
            if *steps == 0 {
                return Step::Paused;
            }
            *steps -= 1;
            self.short_member += 1;
            if (self.matches)(member) {
                return Step::Found((*seq, member));
            }
        }
        let groups = self.groups;
        while let Some(group) = groups.get(self.group) {
            if !self.group_checked {
                if *steps == 0 {
                    return Step::Paused;
                }
                *steps -= 1;
                self.group_checked = (self.may_contain)(&group.summary);
            }
            if self.group_checked {
                while let Some(leaf) = group.leaves.get(self.leaf) {
                    if !self.leaf_checked {
                        if *steps == 0 {
                            return Step::Paused;
                        }
                        *steps -= 1;
                        self.leaf_checked = (self.may_contain)(&leaf.summary);
                    }
                    if self.leaf_checked {
                        while let Some((seq, member)) = leaf.members.get(self.member) {
                            if *steps == 0 {
                                return Step::Paused;
                            }
                            *steps -= 1;
                            self.member += 1;
                            if (self.matches)(member) {
                                return Step::Found((*seq, member));
                            }
                        }
                    }
                    (self.leaf, self.member, self.leaf_checked) = (self.leaf + 1, 0, false);
                }
            }
            (self.group, self.leaf, self.member) = (self.group + 1, 0, 0);
            (self.group_checked, self.leaf_checked) = (false, false);
        }
        Step::Done
    }
}

impl<'a, T, P, M> Iterator for Matching<'a, T, P, M>
where
    T: Summarize,
    P: Fn(&T::Summary) -> bool,
    M: Fn(&T) -> bool,
{
    type Item = (u64, &'a T);

    fn next(&mut self) -> Option<Self::Item> {
        let mut unlimited = usize::MAX;
        match self.next_within(&mut unlimited) {
            Step::Found(found) => Some(found),
            Step::Paused | Step::Done => None,
        }
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

        fn merge(a: (u32, u32), b: (u32, u32)) -> (u32, u32) {
            (a.0.min(b.0), a.1.max(b.1))
        }
    }

    /// The layout's rules: leaves and groups neither empty nor over
    /// capacity, seqs rising throughout, summaries and lengths right.
    fn check_layout(lists: &SeqLists<u8, Number>) {
        for list in lists.lists.values() {
            let list = match list {
                List::Short(members) => {
                    assert!((1..=LEAF_CAPACITY).contains(&members.len()));
                    assert!(members.windows(2).all(|w| w[0].0 < w[1].0));
                    continue;
                }
                List::Tree(tree) => tree,
            };
            assert!(list.len > LEAF_CAPACITY / 2);
            let mut seqs = Vec::new();
            assert!(!list.groups.is_empty());
            for group in &list.groups {
                assert!((1..=LEAF_CAPACITY).contains(&group.leaves.len()));
                let mut min_max = (u32::MAX, 0);
                for leaf in &group.leaves {
                    assert!((1..=LEAF_CAPACITY).contains(&leaf.members.len()));
                    let values = leaf.members.iter().map(|(_, n)| n.0);
                    let leaf_min_max = (values.clone().min().unwrap(), values.max().unwrap());
                    assert_eq!(leaf.summary, leaf_min_max);
                    min_max = Number::merge(min_max, leaf_min_max);
                    seqs.extend(leaf.members.iter().map(|(s, _)| *s));
                }
                assert_eq!(group.summary, min_max);
            }
            assert!(seqs.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(seqs.len(), list.len);
        }
    }

    /// Random inserts, replacements and removes across a few lists agree
    /// with a `BTreeMap` per list, for every walk from every kind of start.
    fn agree_with_a_btreemap(seqs: u64, steps: usize, appends: f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seqs);
        let mut lists: SeqLists<u8, Number> = SeqLists::default();
        let mut oracle: BTreeMap<u8, BTreeMap<u64, u32>> = BTreeMap::new();
        let mut next_seq = 0;
        for step in 0..steps {
            let key = rng.gen_range(0..3u8);
            let seq = if rng.gen_bool(appends) {
                next_seq += 1;
                next_seq % seqs
            } else {
                rng.gen_range(0..seqs)
            };
            if rng.gen_bool(0.6) {
                let value = rng.gen_range(0..1000);
                lists.insert(key, seq, Number(value));
                oracle.entry(key).or_default().insert(seq, value);
            } else {
                let removed = oracle.get_mut(&key).and_then(|l| l.remove(&seq));
                assert_eq!(lists.remove(&key, seq), removed.is_some());
            }
            oracle.retain(|_, list| !list.is_empty());
            if step % (steps / 80) != 0 {
                continue;
            }
            check_layout(&lists);
            assert_eq!(lists.list_count(), oracle.len());
            for key in 0..3u8 {
                let expected = oracle.get(&key).cloned().unwrap_or_default();
                assert_eq!(lists.len(&key), expected.len());
                let (low, high) = (rng.gen_range(0..1000), rng.gen_range(0..1000));
                let from = rng.gen_range(0..seqs + 20);
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
    }

    #[test]
    fn small_lists_agree_with_a_btreemap() {
        agree_with_a_btreemap(300, 4000, 0.0);
    }

    /// Lists of thousands of members: leaves and groups split and join.
    #[test]
    fn large_lists_agree_with_a_btreemap() {
        agree_with_a_btreemap(20_000, 150_000, 0.0);
        agree_with_a_btreemap(50_000, 150_000, 0.7);
    }

    /// Appending fills leaves and groups whole.
    #[test]
    fn appends_fill_leaves_and_groups() {
        let mut lists: SeqLists<(), Number> = SeqLists::default();
        let count = LEAF_CAPACITY * LEAF_CAPACITY * 3;
        for seq in 0..count as u64 {
            lists.insert((), seq, Number(0));
        }
        let List::Tree(list) = &lists.lists[&()] else {
            panic!("a tree");
        };
        assert_eq!(list.groups.len(), 3);
        assert!(list.groups.iter().all(|g| g.leaves.len() == LEAF_CAPACITY));
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
        assert!(
            visited.get() < 100_000 / 8,
            "visited {} stretches",
            visited.get()
        );
    }
}
