//! What the planners' property tests share: a tiny deterministic generator, so that one
//! proptest seed makes one whole estate, and a configuration that keeps failing seeds.

use proptest::test_runner::{Config, FileFailurePersistence};

/// `cases` cases, and a failing seed once found kept in `file` (in the repository) and
/// replayed for ever.
pub fn persisted(cases: u32, file: &'static str) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..Config::default()
    }
}

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
