//! The province's central database (PostgreSQL): every commune station pushes its broadcast
//! log there, store-and-forward ([`push`]), and the province reads all of them at once
//! ([`tools`]: `loaxa province report`, `loaxa province status`). The schema is
//! `docs/province-schema.sql` ([`db::SCHEMA`]).

pub mod db;
pub mod push;
pub mod tools;

pub use db::{DbError, DbFault, DbUrl, DbUrlProblem};
pub use push::{Heartbeat, LinkState, Phase, Pushed, Pusher, Target};
