//! `--key value` / `--flag` argument parsing with typed errors (no external dependency).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Parsed options of one subcommand. Every option must be consumed by the command; leftovers are
/// reported by [`Args::finish`] so typos never pass silently.
#[derive(Debug, Clone, Default)]
pub struct Args {
    values: BTreeMap<String, String>,
    flags: Vec<String>,
}

/// Options that take no value.
const FLAGS: &[&str] = &["exact-start", "quick", "json", "resume"];

impl Args {
    /// Parses `--key value` pairs and the known value-less flags.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] on a positional argument, a repeated option or a missing value.
    pub fn parse(tokens: &[String]) -> Result<Self> {
        let mut args = Args::default();
        let mut it = tokens.iter();
        while let Some(tok) = it.next() {
            let key = tok
                .strip_prefix("--")
                .ok_or_else(|| bad(format!("unexpected argument `{tok}`")))?;
            if FLAGS.contains(&key) {
                args.flags.push(key.to_string());
                continue;
            }
            let value = it.next().ok_or_else(|| bad(format!("option --{key} needs a value")))?;
            if args.values.insert(key.to_string(), value.clone()).is_some() {
                return Err(bad(format!("option --{key} given twice")));
            }
        }
        Ok(args)
    }

    /// Takes a string option.
    pub fn str(&mut self, key: &str) -> Option<String> {
        self.values.remove(key)
    }

    /// Looks at a string option without taking it.
    pub fn peek(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Takes a string option or the default.
    pub fn str_or(&mut self, key: &str, default: &str) -> String {
        self.str(key).unwrap_or_else(|| default.to_string())
    }

    /// Takes a required string option.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if absent.
    pub fn required(&mut self, key: &str) -> Result<String> {
        self.str(key)
            .ok_or_else(|| bad(format!("missing required option --{key}")))
    }

    /// Takes a floating-point option or the default.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the value does not parse as a number.
    pub fn f64_or(&mut self, key: &str, default: f64) -> Result<f64> {
        self.str(key).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| bad(format!("--{key} expects a number, got `{v}`")))
        })
    }

    /// Takes an optional floating-point option.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if present and not a number.
    pub fn f64_opt(&mut self, key: &str) -> Result<Option<f64>> {
        self.str(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| bad(format!("--{key} expects a number, got `{v}`")))
            })
            .transpose()
    }

    /// Takes an unsigned integer option or the default.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the value is not a non-negative integer.
    pub fn u64_or(&mut self, key: &str, default: u64) -> Result<u64> {
        self.str(key).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| bad(format!("--{key} expects a non-negative integer, got `{v}`")))
        })
    }

    /// Takes a `usize` option or the default.
    ///
    /// # Errors
    /// As [`Args::u64_or`].
    pub fn usize_or(&mut self, key: &str, default: usize) -> Result<usize> {
        let v = self.u64_or(key, default as u64)?;
        usize::try_from(v).map_err(|_| bad(format!("--{key} = {v} does not fit this platform's usize")))
    }

    /// Whether a flag was given (consumes it).
    pub fn flag(&mut self, key: &str) -> bool {
        let before = self.flags.len();
        self.flags.retain(|f| f != key);
        self.flags.len() != before
    }

    /// Fails if any option was not consumed.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the unknown options.
    pub fn finish(self) -> Result<()> {
        let left: Vec<String> = self
            .values
            .keys()
            .chain(self.flags.iter())
            .map(|k| format!("--{k}"))
            .collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(bad(format!("unknown or unused option(s): {}", left.join(", "))))
        }
    }
}

/// An [`Error::InvalidConfig`] with the given message.
pub fn bad(reason: String) -> Error {
    Error::InvalidConfig { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_values_flags_and_reports_leftovers() {
        let mut a = Args::parse(&toks("--dim 4 --exact-start --var 2.5")).unwrap();
        assert_eq!(a.usize_or("dim", 1).unwrap(), 4);
        assert!(a.flag("exact-start"));
        assert_eq!(a.f64_or("var", 1.0).unwrap(), 2.5);
        assert_eq!(a.f64_or("mean", 0.5).unwrap(), 0.5);
        a.finish().unwrap();
        let a = Args::parse(&toks("--dimm 4")).unwrap();
        assert!(a.finish().unwrap_err().to_string().contains("--dimm"));
        assert!(Args::parse(&toks("--dim")).is_err());
        assert!(Args::parse(&toks("dim 4")).is_err());
        assert!(Args::parse(&toks("--dim 4 --dim 5")).is_err());
        let mut a = Args::parse(&toks("--dim four")).unwrap();
        assert!(a.usize_or("dim", 1).is_err());
    }
}
