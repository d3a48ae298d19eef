//! `loaxa segment add|list|show|rm`.

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Subcommand;

use super::backend::Backend;
use super::fmt;
use crate::model::{Priority, SegmentId};
use crate::service::{AddOutcome, SegmentMeta};

#[derive(Debug, Subcommand)]
pub enum SegmentCmd {
    /// Import audio files (MP3, WAV, OGG, FLAC, M4A) into the library
    Add {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Title (default: the file name)
        #[arg(long)]
        title: Option<String>,
        /// Topic slug from [topics], e.g. nq57
        #[arg(long)]
        topic: String,
        /// Responsible unit (đơn vị thực hiện)
        #[arg(long)]
        unit: Option<String>,
        /// First day it may air (YYYY-MM-DD)
        #[arg(long, value_parser = fmt::parse_date)]
        valid_from: Option<NaiveDate>,
        /// Last day it may air (YYYY-MM-DD)
        #[arg(long, value_parser = fmt::parse_date)]
        valid_until: Option<NaiveDate>,
        /// normal | priority (front of the next program) | emergency
        #[arg(long, default_value = "normal")]
        priority: Priority,
    },
    /// List segments
    List {
        #[arg(long)]
        topic: Option<String>,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
    /// Show one segment
    Show {
        id: SegmentId,
        #[arg(long)]
        json: bool,
    },
    /// Record that the commune leadership approved a segment (đã duyệt)
    Approve {
        id: SegmentId,
        /// Who approved it
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// Remove a segment (refused while it is queued or in a playlist, unless --force)
    Rm {
        id: SegmentId,
        #[arg(long)]
        force: bool,
    },
}

pub fn segment(station: &Backend, cmd: SegmentCmd) -> Result<i32> {
    match cmd {
        SegmentCmd::Add {
            files,
            title,
            topic,
            unit,
            valid_from,
            valid_until,
            priority,
        } => {
            let meta = SegmentMeta {
                title,
                topic,
                unit,
                valid_from,
                valid_until,
                priority,
                original_name: None,
            };
            let mut failed = 0;
            for (file, result) in files.iter().zip(station.add_segments(&files, &meta)?) {
                match result {
                    Ok(AddOutcome::Added(seg)) => outln!(
                        "{}\tadded «{}» ({}, {} Hz, {} ch, {})",
                        seg.id,
                        seg.title,
                        seg.codec,
                        seg.sample_rate,
                        seg.channels,
                        fmt::duration(seg.duration_ms)
                    ),
                    Ok(AddOutcome::AlreadyPresent(seg)) => outln!(
                        "{}\talready in the library as «{}» (same file content): not added again",
                        seg.id,
                        seg.title
                    ),
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {}: {e:#}", file.display());
                    }
                }
            }
            Ok(if failed > 0 { 1 } else { 0 })
        }
        SegmentCmd::List { topic, json } => {
            let segments = station.segments(topic.as_deref())?;
            if json {
                fmt::json_lines(&segments)?;
            } else {
                outln!("ID\tDURATION\tTOPIC\tVALID\tTITLE");
                for s in &segments {
                    outln!(
                        "{}\t{}\t{}\t{}..{}\t{}",
                        s.id,
                        fmt::duration(s.duration_ms),
                        s.topic,
                        fmt::date_opt(s.valid_from),
                        fmt::date_opt(s.valid_until),
                        s.title
                    );
                }
            }
            Ok(0)
        }
        SegmentCmd::Show { id, json } => {
            let s = station.segment(id)?;
            if json {
                fmt::json_lines(&[&s])?;
                return Ok(0);
            }
            let topic_label = station
                .config()
                .topics
                .get(&s.topic)
                .cloned()
                .unwrap_or_default();
            outln!("id:          {}", s.id);
            outln!("title:       {}", s.title);
            outln!("topic:       {} ({topic_label})", s.topic);
            outln!("unit:        {}", s.unit.as_deref().unwrap_or("-"));
            outln!(
                "valid:       {} .. {}",
                fmt::date_opt(s.valid_from),
                fmt::date_opt(s.valid_until)
            );
            outln!(
                "duration:    {} ({} ms, measured by full decode)",
                fmt::duration(s.duration_ms),
                s.duration_ms
            );
            outln!(
                "format:      {} / {} {} Hz {} ch",
                s.container,
                s.codec,
                s.sample_rate,
                s.channels
            );
            outln!("sha256:      {}", s.sha256);
            outln!(
                "file:        {}",
                station.media_path(&s.media_file).display()
            );
            outln!("imported as: {}", s.original_name);
            outln!("added:       {}", fmt::time(&station.local(s.added_at)));
            Ok(0)
        }
        SegmentCmd::Approve { id, by } => {
            let seg = station.approve_segment(id, &by)?;
            outln!("segment {} «{}» approved by {by}", seg.id, seg.title);
            Ok(0)
        }
        SegmentCmd::Rm { id, force } => {
            let seg = station.remove_segment(id, force)?;
            outln!("removed segment {} «{}»", seg.id, seg.title);
            Ok(0)
        }
    }
}
