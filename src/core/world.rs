//! The world: what every vendor shares (ids, the clock, the run's seed) and
//! one section per vendor. The core knows a section only as "some vendor's
//! state": each vendor's folder adds typed accessors for its own
//! (`world.sections.grafana()`), and the vendor list builds the sections.

use std::any::Any;
use std::fmt;

use super::changes::Changes;
use super::clock::Clock;
use super::ids::Ids;

/// A vendor's part of the world.
pub trait Section: Any + Send + Sync + fmt::Debug {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + Send + Sync + fmt::Debug> Section for T {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The vendors' sections, one of each type.
#[derive(Debug, Default)]
pub struct Sections(Vec<Box<dyn Section>>);

impl Sections {
    /// Adds `section`, replacing the one of its type.
    pub fn insert<T: Section>(&mut self, section: T) {
        match self.find_mut::<T>() {
            Some(existing) => *existing = section,
            None => self.0.push(Box::new(section)),
        }
    }

    fn find_mut<T: Section>(&mut self) -> Option<&mut T> {
        self.0
            .iter_mut()
            .find_map(|section| (**section).as_any_mut().downcast_mut::<T>())
    }

    /// The section of type `T`. The vendor list builds every vendor's
    /// section with the world, so a missing one is a bug.
    pub fn get<T: Section>(&self) -> &T {
        self.0
            .iter()
            .find_map(|section| (**section).as_any().downcast_ref::<T>())
            .unwrap_or_else(|| panic!("no {} in the world", std::any::type_name::<T>()))
    }

    pub fn get_mut<T: Section>(&mut self) -> &mut T {
        self.find_mut::<T>()
            .unwrap_or_else(|| panic!("no {} in the world", std::any::type_name::<T>()))
    }
}

/// Everything mockcloud knows at one instant.
#[derive(Debug)]
pub struct World {
    pub ids: Ids,
    pub clock: Clock,
    /// The run's seed: synthetic usage is a pure function of it.
    pub seed: u64,
    pub sections: Sections,
    /// What the current write guard changed, for the state file's log.
    pub changes: Changes,
}

impl World {
    /// A world with no vendor sections yet.
    pub fn new(seed: u64, clock: Clock) -> World {
        World {
            ids: Ids::new(seed),
            clock,
            seed,
            sections: Sections::default(),
            changes: Changes::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct One(u32);
    #[derive(Debug, PartialEq)]
    struct Two(&'static str);

    #[test]
    fn each_section_is_found_by_its_type_and_replaced_whole() {
        let mut sections = Sections::default();
        sections.insert(One(1));
        sections.insert(Two("a"));
        sections.get_mut::<One>().0 += 1;
        assert_eq!(sections.get::<One>(), &One(2));
        sections.insert(Two("b"));
        assert_eq!(sections.get::<Two>(), &Two("b"));
        assert_eq!(sections.0.len(), 2);
    }
}
