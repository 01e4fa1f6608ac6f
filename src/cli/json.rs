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
