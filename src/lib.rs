//! loaxa — the daemon and operator tools of a commune loudspeaker station.
//!
//! Data flow: `config` (validated station config) and `playlist` files describe what may air;
//! `schedule` turns cron rules into fire times; the `daemon` sleeps until the next fire, builds
//! the program (intro, queued items, playlist items, outro) with the one planner every preview
//! uses (`service::Station::plan_program` over the store and playlist files as they are at
//! that moment, the rules in `program`) and hands it to the `player`,
//! whose events the `asrun` recorder turns into durable records in the `store`. Every operator
//! action goes through `service`. While the daemon runs, `api` serves those actions and the
//! daemon's live controls over HTTP, and the CLI (`cli`) becomes its client.

pub mod alerts;
pub mod api;
pub mod asrun;
pub mod audio;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod hooks;
pub mod inbox;
pub mod library;
pub mod live;
pub mod model;
pub mod player;
pub mod playlist;
pub mod program;
pub mod province;
pub mod relay;
pub mod report;
pub mod schedule;
pub mod service;
pub mod store;
pub mod stream;
pub mod text;
pub mod tts;
pub mod version;
pub mod words;
