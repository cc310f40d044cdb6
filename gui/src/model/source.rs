//! The engine's own source, embedded at build time, and the function around a line.

include!(concat!(env!("OUT_DIR"), "/engine_sources.rs"));

/// The text of an engine source file by the path events record (`engine/src/...`).
pub fn file(path: &str) -> Option<&'static str> {
    let norm = path.replace('\\', "/");
    ENGINE_SOURCES.iter().find(|(p, _)| norm.ends_with(p) || p.ends_with(norm.as_str())).map(|(_, t)| *t)
}

/// A function in a source file: its name and 1-based line span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnSpan {
    pub name: String,
    pub first: usize,
    pub last: usize,
}

fn fn_name(line: &str) -> Option<String> {
    let t = line.trim_start();
    let at = t.find("fn ")?;
    let head = &t[..at];
    let ok = head.split_whitespace().all(|w| {
        matches!(w, "pub" | "async" | "const" | "unsafe" | "extern") || w.starts_with("pub(") || w.starts_with("\"")
    });
    if !ok {
        return None;
    }
    let rest = &t[at + 3..];
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].to_string())
}

/// The innermost `fn` whose body contains `line` (1-based), found by reading upwards for a
/// signature and matching braces downwards: good enough for rustfmt-formatted code.
pub fn enclosing_fn(text: &str, line: usize) -> Option<FnSpan> {
    let lines: Vec<&str> = text.lines().collect();
    let target = line.checked_sub(1)?;
    if target >= lines.len() {
        return None;
    }
    for start in (0..=target).rev() {
        let Some(name) = fn_name(lines[start]) else { continue };
        let last = body_end(&lines, start)?;
        if last >= target {
            return Some(FnSpan { name, first: start + 1, last: last + 1 });
        }
    }
    None
}

/// The 0-based line of the brace closing the body that opens at or after `start`.
fn body_end(lines: &[&str], start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut opened = false;
    for (k, l) in lines.iter().enumerate().skip(start) {
        let code = l.split("//").next().unwrap_or("");
        for c in code.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                ';' if !opened && depth == 0 => return Some(k),
                _ => {}
            }
        }
        if opened && depth <= 0 {
            return Some(k);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_sources_are_embedded_and_functions_found() {
        let text = file("engine/src/dax/grab.rs").expect("grab.rs is embedded");
        let line =
            text.lines().position(|l| l.contains("cx.radix_tree_preload().await")).expect("grab calls preload") + 1;
        let span = enclosing_fn(text, line).expect("inside a function");
        assert_eq!(span.name, "grab");
        assert!(span.first < line && line <= span.last);
    }
}
