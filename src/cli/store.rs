//! Resumable sweeps: every finished configuration appended to a JSONL file as it completes
//! ([`JsonlStore`], a [`PointStore`]), so a killed sweep resumes where it stopped (`--resume`)
//! and shards of one sweep merge into the same result as an unsharded run (`randmid merge`).
//!
//! File layout: the first line is a header `{"randmid_sweep": 1, "claim": …, "config": …}`;
//! every further line is one [`Record`]. Numbers are written in shortest round-trip form (and
//! non-finite ones as strings), so a replayed record is bit for bit the measured one. A line cut
//! short by a kill is ignored on reading; appending starts a fresh line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};

use super::json::Json;
use crate::error::{Error, Result};
use crate::sweep::{MemoryStore, PointStore, Record};
use crate::tv::TvEstimate;
use crate::tv::nested::NestedTv;

/// A [`PointStore`] backed by a JSONL file (appended and flushed after every record) and an
/// in-memory index.
pub struct JsonlStore {
    path: String,
    file: File,
    mem: MemoryStore,
}

fn io(path: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.to_string(),
        message: e.to_string(),
    }
}

/// One line: the compact form of `j` (no newline inside: strings escape theirs).
pub fn compact(j: &Json) -> String {
    j.pretty().lines().map(str::trim_start).collect()
}

/// Whether two headers describe the same sweep (compared after a parse round trip, since parsing
/// turns integers into numbers).
fn same_header(stored: &Json, head: &Json) -> bool {
    Json::parse(&compact(head)).is_ok_and(|h| compact(&h) == compact(stored))
}

fn num(x: f64) -> Json {
    if x.is_finite() {
        Json::Num(x)
    } else {
        Json::Str(x.to_string())
    }
}

fn get_num(j: &Json, key: &str) -> Option<f64> {
    match j.get(key)? {
        Json::Str(s) => s.parse().ok(),
        v => v.as_f64(),
    }
}

fn estimate_json(e: &TvEstimate) -> Json {
    Json::obj([
        ("tv", num(e.tv)),
        ("se", num(e.se)),
        ("ci_low", num(e.ci_low)),
        ("ci_high", num(e.ci_high)),
        ("estimator", Json::Str(e.estimator.clone())),
    ])
}

fn estimate_of(j: &Json) -> Option<TvEstimate> {
    let estimator = match j.get("estimator")? {
        Json::Str(s) => s.clone(),
        _ => return None,
    };
    Some(TvEstimate {
        tv: get_num(j, "tv")?,
        se: get_num(j, "se")?,
        ci_low: get_num(j, "ci_low")?,
        ci_high: get_num(j, "ci_high")?,
        estimator,
    })
}

/// A record as one JSON object.
pub fn record_json(r: &Record) -> Json {
    let tv = r.tv.as_ref().map_or(Json::Null, |t| {
        Json::obj([
            ("richardson", estimate_json(&t.richardson)),
            ("plain", estimate_json(&t.plain)),
            ("half", num(t.half)),
            ("blocks", Json::Arr(t.blocks.iter().map(|&b| num(b)).collect())),
        ])
    });
    Json::obj([
        ("sampler", Json::Str(r.sampler.clone())),
        ("d", Json::Int(r.d as i64)),
        ("steps", Json::Int(r.steps as i64)),
        ("nfe", Json::Int(r.nfe as i64)),
        ("tv", tv),
    ])
}

/// The record stored in `j` (`None` if it is not one).
pub fn record_of(j: &Json) -> Option<Record> {
    let sampler = match j.get("sampler")? {
        Json::Str(s) => s.clone(),
        _ => return None,
    };
    let int = |k: &str| j.get(k).and_then(Json::as_f64).map(|v| v as u64);
    let tv = match j.get("tv")? {
        Json::Null => None,
        t => {
            let blocks = match t.get("blocks")? {
                Json::Arr(items) => items
                    .iter()
                    .map(|b| match b {
                        Json::Str(s) => s.parse().ok(),
                        v => v.as_f64(),
                    })
                    .collect::<Option<Vec<f64>>>()?,
                _ => return None,
            };
            Some(NestedTv {
                richardson: estimate_of(t.get("richardson")?)?,
                plain: estimate_of(t.get("plain")?)?,
                half: get_num(t, "half")?,
                blocks,
            })
        }
    };
    Some(Record {
        sampler,
        d: int("d")? as usize,
        steps: int("steps")? as usize,
        nfe: int("nfe")?,
        tv,
    })
}

/// The header line of a sweep's JSONL file.
pub fn header(claim: &str, config: &Json) -> Json {
    Json::obj([
        ("randmid_sweep", Json::Int(1)),
        ("claim", Json::Str(claim.into())),
        ("config", config.clone()),
    ])
}

/// Reads a JSONL file: its header line and every complete record (unparsable lines, such as one
/// cut short by a kill, are skipped).
///
/// # Errors
/// I/O failures; a file whose first line is not a sweep header.
pub fn read(path: &str) -> Result<(Json, Vec<Record>)> {
    let f = File::open(path).map_err(io(path))?;
    let mut lines = BufReader::new(f).lines();
    let bad = || Error::InvalidConfig {
        reason: format!("{path}: the first line is not a randmid sweep header"),
    };
    let head = lines.next().ok_or_else(bad)?.map_err(io(path))?;
    let head = Json::parse(&head).map_err(|_| bad())?;
    if head.get("randmid_sweep").is_none() {
        return Err(bad());
    }
    let mut records = vec![];
    for line in lines {
        let line = line.map_err(io(path))?;
        if let Some(r) = Json::parse(&line).ok().as_ref().and_then(record_of) {
            records.push(r);
        }
    }
    Ok((head, records))
}

impl JsonlStore {
    /// Opens the store at `path` for a sweep whose header is `head`. A new file gets the header.
    /// An existing file is resumed when `resume` is set (its header must equal `head`: same claim
    /// and configuration) and refused otherwise, so that finished results are never overwritten.
    ///
    /// # Errors
    /// I/O failures; an existing file without `resume`; a header that differs.
    pub fn open(path: &str, head: &Json, resume: bool) -> Result<Self> {
        let mut mem = MemoryStore::default();
        let exists = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
        if exists && !resume {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "{path} exists and holds a sweep's finished points: pass --resume to continue it, or \
                     choose another --out"
                ),
            });
        }
        if exists {
            let (h, records) = read(path)?;
            if !same_header(&h, head) {
                return Err(Error::InvalidConfig {
                    reason: format!("{path} was written by a different claim or configuration; cannot resume it"),
                });
            }
            for r in &records {
                mem.store(r)?;
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(io(path))?;
        if exists {
            // a kill can leave a partial last line: start the next record on a fresh line
            let len = file.seek(SeekFrom::End(0)).map_err(io(path))?;
            file.seek(SeekFrom::Start(len - 1)).map_err(io(path))?;
            let mut last = [0u8; 1];
            file.read_exact(&mut last).map_err(io(path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io(path))?;
            }
        } else {
            writeln!(file, "{}", compact(head)).map_err(io(path))?;
        }
        file.flush().map_err(io(path))?;
        Ok(JsonlStore {
            path: path.to_string(),
            file,
            mem,
        })
    }

    /// Records loaded from the file when it was opened plus those stored since.
    pub fn len(&self) -> usize {
        self.mem.len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.mem.is_empty()
    }
}

impl PointStore for JsonlStore {
    fn lookup(&self, sampler: &str, d: usize, steps: usize) -> Option<Record> {
        self.mem.lookup(sampler, d, steps)
    }
    fn store(&mut self, record: &Record) -> Result<()> {
        let line = compact(&record_json(record));
        writeln!(self.file, "{line}").map_err(io(&self.path))?;
        self.file.flush().map_err(io(&self.path))?;
        self.mem.store(record)
    }
}

/// The records of several shards' JSONL files, all written for `head`, as one in-memory store.
///
/// # Errors
/// I/O failures; a file whose header differs from `head`.
pub fn merge(paths: &[String], head: &Json) -> Result<MemoryStore> {
    let mut mem = MemoryStore::default();
    for p in paths {
        let (h, records) = read(p)?;
        if !same_header(&h, head) {
            return Err(Error::InvalidConfig {
                reason: format!("{p} was written by a different claim or configuration than the one to merge"),
            });
        }
        for r in &records {
            mem.store(r)?;
        }
    }
    Ok(mem)
}
