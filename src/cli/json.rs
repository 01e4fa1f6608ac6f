//! A minimal JSON writer for the CLI's sidecar files (no external dependency).

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// A number; non-finite values are written as `null`.
    Num(f64),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// An array.
    Arr(Vec<Json>),
    /// An object with keys in insertion order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs.
    pub fn obj<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Serializes with two-space indentation.
    pub fn pretty(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, 0);
        s.push('\n');
        s
    }

    fn write(&self, s: &mut String, indent: usize) {
        match self {
            Json::Num(x) if x.is_finite() => s.push_str(&format!("{x:?}")),
            Json::Num(_) | Json::Null => s.push_str("null"),
            Json::Int(i) => s.push_str(&i.to_string()),
            Json::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
            Json::Str(t) => write_str(s, t),
            Json::Arr(items) => write_seq(s, indent, '[', ']', items.iter().map(|v| (None, v))),
            Json::Obj(pairs) => write_seq(s, indent, '{', '}', pairs.iter().map(|(k, v)| (Some(k.as_str()), v))),
        }
    }
}

fn write_seq<'a>(
    s: &mut String,
    indent: usize,
    open: char,
    close: char,
    items: impl ExactSizeIterator<Item = (Option<&'a str>, &'a Json)>,
) {
    let empty = items.len() == 0;
    s.push(open);
    for (i, (key, value)) in items.enumerate() {
        s.push_str(if i == 0 { "\n" } else { ",\n" });
        s.push_str(&"  ".repeat(indent + 1));
        if let Some(k) = key {
            write_str(s, k);
            s.push_str(": ");
        }
        value.write(s, indent + 1);
    }
    if !empty {
        s.push('\n');
        s.push_str(&"  ".repeat(indent));
    }
    s.push(close);
}

fn write_str(s: &mut String, t: &str) {
    s.push('"');
    for c in t.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_values_and_escapes() {
        let j = Json::obj([
            ("a", Json::Num(1.5)),
            ("b", Json::Arr(vec![Json::Int(2), Json::Num(f64::NAN)])),
            ("c", Json::Str("x\"y\n".into())),
            ("d", Json::Obj(vec![])),
        ]);
        let s = j.pretty();
        assert_eq!(
            s,
            "{\n  \"a\": 1.5,\n  \"b\": [\n    2,\n    null\n  ],\n  \"c\": \"x\\\"y\\n\",\n  \"d\": {}\n}\n"
        );
    }
}

impl Json {
    /// Parses one JSON document (RFC 8259; numbers become [`Json::Num`], `\u` escapes outside
    /// the basic plane are replaced by U+FFFD).
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] with the byte offset of the first syntax error.
    pub fn parse(text: &str) -> crate::Result<Json> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(p.err("trailing characters"));
        }
        Ok(v)
    }

    /// The value under `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A number as `f64` (integers too).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Json::Num(x) => Some(x),
            Json::Int(i) => Some(i as f64),
            _ => None,
        }
    }

    /// An array of numbers as `Vec<f64>` (`None` if any item is not a number).
    pub fn as_f64_vec(&self) -> Option<Vec<f64>> {
        match self {
            Json::Arr(items) => items.iter().map(Json::as_f64).collect(),
            _ => None,
        }
    }
}

/// Recursive-descent JSON parser over bytes.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> crate::Error {
        crate::Error::InvalidConfig {
            reason: format!("JSON: {what} at byte {}", self.i),
        }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> crate::Result<()> {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            Ok(())
        } else {
            Err(self.err(&format!("expected `{lit}`")))
        }
    }

    fn value(&mut self) -> crate::Result<Json> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => self
                .seq(b'}', |p| {
                    let k = p.string()?;
                    p.ws();
                    p.eat(":")?;
                    Ok(Some((k, p.value()?)))
                })
                .map(|pairs| Json::Obj(pairs.into_iter().flatten().collect())),
            Some(b'[') => self
                .seq(b']', |p| Ok(Some((String::new(), p.value()?))))
                .map(|items| Json::Arr(items.into_iter().flatten().map(|(_, v)| v).collect())),
            Some(b'"') => self.string().map(Json::Str),
            Some(b't') => self.eat("true").map(|_| Json::Bool(true)),
            Some(b'f') => self.eat("false").map(|_| Json::Bool(false)),
            Some(b'n') => self.eat("null").map(|_| Json::Null),
            Some(_) => self.number(),
            None => Err(self.err("unexpected end")),
        }
    }

    /// `open item (, item)* close` after the opening bracket.
    fn seq<T>(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> crate::Result<T>) -> crate::Result<Vec<T>> {
        self.i += 1;
        let mut out = vec![];
        self.ws();
        if self.s.get(self.i) == Some(&close) {
            self.i += 1;
            return Ok(out);
        }
        loop {
            self.ws();
            out.push(item(self)?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(&c) if c == close => {
                    self.i += 1;
                    return Ok(out);
                }
                _ => return Err(self.err("expected `,` or a closing bracket")),
            }
        }
    }

    fn string(&mut self) -> crate::Result<String> {
        self.ws();
        self.eat("\"")?;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i] != b'"' && self.s[self.i] != b'\\' {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).map_err(|_| self.err("invalid UTF-8"))?);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                _ => return Err(self.err("unterminated string")),
            }
        }
    }

    fn escape(&mut self) -> crate::Result<char> {
        let c = *self.s.get(self.i + 1).ok_or_else(|| self.err("bad escape"))?;
        self.i += 2;
        Ok(match c {
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' => {
                let hex = self
                    .s
                    .get(self.i..self.i + 4)
                    .ok_or_else(|| self.err("bad \\u escape"))?;
                let code = u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("x"), 16)
                    .map_err(|_| self.err("bad \\u escape"))?;
                self.i += 4;
                char::from_u32(code).unwrap_or('\u{fffd}')
            }
            other => other as char,
        })
    }

    fn number(&mut self) -> crate::Result<Json> {
        let start = self.i;
        while self.i < self.s.len() && matches!(self.s[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        text.parse::<f64>()
            .map(Json::Num)
            .map_err(|_| self.err("expected a value"))
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn parse_round_trips_what_pretty_writes() {
        let v = Json::obj([
            ("a", Json::Num(0.1 + 0.2)),
            ("b", Json::Arr(vec![Json::Num(-1.5e-300), Json::Null, Json::Bool(true)])),
            ("c \"q\"\n", Json::Str("x\\y\u{e9}".into())),
            ("d", Json::obj([("e", Json::Arr(vec![]))])),
        ]);
        let back = Json::parse(&v.pretty()).unwrap();
        assert_eq!(back.get("a").and_then(Json::as_f64), Some(0.1 + 0.2));
        assert_eq!(back.get("c \"q\"\n"), Some(&Json::Str("x\\y\u{e9}".into())));
        assert_eq!(back.get("d").and_then(|d| d.get("e")), Some(&Json::Arr(vec![])));
        assert_eq!(back.get("b").unwrap().as_f64_vec(), None);
        for bad in ["{", "[1,]", "{\"a\" 1}", "nul", "1 2", "\"abc"] {
            assert!(Json::parse(bad).is_err(), "{bad}");
        }
    }
}
