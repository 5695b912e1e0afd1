//! A parsed query: its condition ([`Clause`]) and its sort keys.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Clause {
    Project {
        negate: bool,
        values: Vec<String>,
    },
    Key {
        values: Vec<String>,
    },
    Id {
        values: Vec<String>,
    },
    /// `parent = X` / `parent in (…)`: sub-tasks of the named issues (keys or ids).
    Parent {
        values: Vec<String>,
    },
    Time {
        field: TimeField,
        cmp: Cmp,
        at: DateTime<Utc>,
    },
    /// Every part holds.
    All(Vec<Clause>),
    /// Some part holds.
    Any(Vec<Clause>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimeField {
    Created,
    Updated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SortField {
    Created,
    Updated,
    Key,
    Id,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Jql {
    /// The whole condition (`All(vec![])` matches everything).
    pub(super) clauses: Clause,
    /// Sort keys, each with whether it is ascending.
    pub(super) order: Vec<(SortField, bool)>,
}
