//! docs/lesson.md shows the model's grab_mapping_entry() beside the patch; the excerpt must
//! stay the model's own code (each line, in order, as in engine/src/dax/grab.rs).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The lines of the lesson's ```rust blocks.
fn rust_excerpts(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut cur, line.trim_start().strip_prefix("```")) {
            (None, Some("rust")) => cur = Some(Vec::new()),
            (Some(_), Some(_)) => out.push(cur.take().unwrap_or_default()),
            (Some(lines), None) => lines.push(line.trim().to_string()),
            (None, _) => {}
        }
    }
    out
}

#[test]
fn the_lessons_excerpt_of_grab_mapping_entry_is_the_models_code() {
    let lesson = std::fs::read_to_string(root().join("docs/lesson.md")).unwrap();
    let source = std::fs::read_to_string(root().join("engine/src/dax/grab.rs")).unwrap();
    let source: Vec<&str> = source.lines().map(str::trim).collect();
    let excerpts = rust_excerpts(&lesson);
    assert_eq!(excerpts.len(), 1, "the lesson has one Rust excerpt");
    let mut at = 0;
    for line in excerpts[0].iter().filter(|l| !l.is_empty()) {
        match source[at..].iter().position(|s| s == line) {
            Some(k) => at += k + 1,
            None => {
                panic!("the lesson's excerpt line `{line}` is not in grab.rs (in this order); update docs/lesson.md")
            }
        }
    }
}

/// A step the lesson's prose cites: in trace `trace`, thread `thread` has an event of kind
/// `kind` at step `step`, and the lesson says so with the words `says` (which carry the
/// number). When a model change renumbers a trace, this names the sentence to update.
struct Cited {
    trace: &'static str,
    step: u32,
    thread: usize,
    kind: &'static str,
    says: &'static str,
}

const UNFIXED: &str = "seed-race.unfixed.bug-pte-under-huge-pmd";
const FIXED: &str = "seed-race.fixed.same-interleaving";

const fn cited(trace: &'static str, step: u32, thread: usize, kind: &'static str, says: &'static str) -> Cited {
    Cited { trace, step, thread, kind, says }
}

const CITED: &[Cited] = &[
    cited(UNFIXED, 4, 1, "lock_acquire", "1. Step 4: `spin_lock_irq(tree_lock)`."),
    cited(UNFIXED, 5, 1, "lookup", "2. Step 5: `get_unlocked_mapping_entry()` looks up 0x200"),
    cited(UNFIXED, 6, 1, "lock_release", "3. Step 6: `spin_unlock_irq(tree_lock)`."),
    cited(UNFIXED, 7, 1, "preload", "4. Step 7: `radix_tree_preload()`."),
    cited(UNFIXED, 24, 1, "lock_acquire", "5. Later (step 24 in this trace), T1 retakes `tree_lock`"),
    cited(UNFIXED, 9, 2, "pmd_check", "T2 runs the same dance (steps 9–16)"),
    cited(UNFIXED, 16, 2, "lock_acquire", "T2 runs the same dance (steps 9–16)"),
    cited(UNFIXED, 17, 2, "insert", "At step 17 it inserts\n  the locked empty PMD entry `0x2E`"),
    cited(UNFIXED, 21, 2, "replace", "`dax_insert_mapping_entry()` (steps 19–23) replaces"),
    cited(UNFIXED, 25, 1, "insert", "- Step 25: `__radix_tree_insert(0x200, order 9, 0x2E)` → **-EEXIST**"),
    cited(UNFIXED, 26, 1, "fallback", "- Step 26: for a 4 KiB request, v4.11-rc5 would restart"),
    cited(UNFIXED, 29, 1, "pmd_check", "- Step 29: the 4 KiB path (`handle_pte_fault()`) reads the PMD slot"),
    cited(UNFIXED, 33, 1, "wait_begin", "- Step 33: `grab_mapping_entry(0x205, 4 KiB)`"),
    cited(UNFIXED, 36, 2, "pmd_install", "- Step 36: T2 maps the 2 MiB range"),
    cited(UNFIXED, 39, 2, "entry_unlock", "- Step 39: T2 unlocks the entry. Step 41: it wakes T1."),
    cited(UNFIXED, 41, 2, "wake", "- Step 39: T2 unlocks the entry. Step 41: it wakes T1."),
    cited(UNFIXED, 47, 1, "entry_lock", "- Steps 45–48: T1 finds the unlocked PMD entry."),
    cited(UNFIXED, 52, 1, "pmd_check", "- Step 52: T1 reads the PMD slot again"),
    cited(UNFIXED, 53, 1, "bug", "- Step 53: **BUG**."),
    cited(FIXED, 18, 2, "insert", "back to T2's insert at 18"),
    cited(FIXED, 26, 1, "relookup", "- Step 26: T1's re-lookup of 0x200 finds `0x4000E`."),
    cited(FIXED, 27, 1, "restart", "- Step 27: T1 ends the preload, drops `tree_lock` and restarts."),
    cited(FIXED, 29, 1, "wait_begin", "- Step 29: the restarted lookup finds the entry locked"),
    cited(FIXED, 37, 2, "wake", "- Step 37: T2 wakes T1."),
    cited(FIXED, 48, 1, "pmd_install", "- Step 48: T1 maps the same 2 MiB"),
    cited("pte-vs-pmd.fixed.bug-pte-under-huge-pmd", 0, 1, "pmd_check", "T1 reads an empty PMD slot at step 0"),
    cited("pte-vs-pmd.fixed.bug-pte-under-huge-pmd", 12, 2, "relookup", "Its re-lookup (step 12) finds nothing"),
    cited("drop-caches-mapped-entry.unfixed.livelock", 107, 1, "delete", "At step 107, `drop_caches`"),
    cited("drop-caches-mapped-entry.unfixed.livelock", 122, 1, "lookup", "(steps 122, 134, 146, …)"),
    cited("drop-caches-mapped-entry.unfixed.livelock", 134, 1, "lookup", "(steps 122, 134, 146, …)"),
    cited("drop-caches-mapped-entry.unfixed.livelock", 146, 1, "lookup", "(steps 122, 134, 146, …)"),
];

/// The lesson's sentences with their line breaks and list indentation folded, so a cited
/// phrase matches however the paragraph is wrapped.
fn folded(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_steps_the_lesson_cites_are_the_traces_steps() {
    let lesson = folded(&std::fs::read_to_string(root().join("docs/lesson.md")).unwrap());
    for c in CITED {
        let path = root().join("traces").join(format!("{}.daxtrace", c.trace));
        let t = daxlab::trace::Trace::load(&path).unwrap();
        let found =
            t.events.iter().any(|e| e.step == c.step && e.tid.index() + 1 == c.thread && e.kind.name() == c.kind);
        let at: Vec<String> = t
            .events
            .iter()
            .filter(|e| e.step == c.step)
            .map(|e| format!("T{} {}", e.tid.index() + 1, e.kind.name()))
            .collect();
        assert!(
            found,
            "{}: no T{} {} at step {} (there: {at:?}); update docs/lesson.md: {:?}",
            c.trace, c.thread, c.kind, c.step, c.says
        );
        assert!(lesson.contains(&folded(c.says)), "docs/lesson.md no longer says {:?}", c.says);
    }
}

#[test]
fn the_counts_the_lesson_cites_are_the_traces_counts() {
    let lesson = folded(&std::fs::read_to_string(root().join("docs/lesson.md")).unwrap());
    let load =
        |stem: &str| daxlab::trace::Trace::load(&root().join("traces").join(format!("{stem}.daxtrace"))).unwrap();
    let (unfixed, fixed) = (load(UNFIXED), load(FIXED));
    assert_eq!(unfixed.steps, 54);
    assert!(lesson.contains("The seed race on v4.11-rc5, all 54 steps"));
    assert_eq!((unfixed.preemptions, fixed.preemptions), (2, 4));
    assert!(lesson.contains("The unfixed crash takes two; its carried-over run on the fixed kernel counts four."));
    assert_eq!(load("pte-vs-pmd.fixed.bug-pte-under-huge-pmd").preemptions, 1);
    assert!(lesson.contains("and T2's CPU runs ahead (the only preemption)"));
}

/// The outputs the lesson shows: a ```text block right after a ```sh block of one command
/// is what that command prints (its first lines; a closing summary with a timing may be left
/// out).
fn shown_outputs(text: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    let mut cur: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        match (&mut cur, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) => cur = Some((info.trim().to_string(), Vec::new())),
            (Some(_), Some(_)) => blocks.push(cur.take().unwrap_or_default()),
            (Some((_, lines)), None) => lines.push(line.to_string()),
            (None, None) if !line.trim().is_empty() => blocks.push(("prose".into(), Vec::new())),
            (None, None) => {}
        }
    }
    let mut out = Vec::new();
    for pair in blocks.windows(2) {
        let [(kind, cmd), (next, shown)] = pair else { continue };
        if kind == "sh" && next == "text" && cmd.len() == 1 {
            out.push((cmd[0].split(" #").next().unwrap_or("").trim().to_string(), shown.clone()));
        }
    }
    out
}

#[test]
fn the_outputs_the_lesson_shows_are_what_daxlab_prints() {
    let lesson = std::fs::read_to_string(root().join("docs/lesson.md")).unwrap();
    let shown = shown_outputs(&lesson);
    assert!(shown.len() >= 2, "the lesson shows `daxlab kernels` and `daxlab matrix …`");
    let bin = Path::new(env!("CARGO_BIN_EXE_daxlab"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    for (command, lines) in shown {
        let o =
            std::process::Command::new("sh").arg("-c").arg(&command).env("PATH", &path).current_dir(root()).output();
        let printed = String::from_utf8_lossy(&o.unwrap().stdout).into_owned();
        let printed: Vec<&str> = printed.lines().collect();
        let shown: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert!(
            printed.len() >= shown.len() && printed[..shown.len()] == shown[..],
            "docs/lesson.md shows for `{command}`:\n{}\nbut it prints:\n{}",
            shown.join("\n"),
            printed.join("\n")
        );
    }
}
