//! The kernel axis: releases, fixes, kernels (a release plus its fixes), how they are
//! named on the command line and in traces, and what a scenario's `[expect]` says per
//! kernel.

use daxlab::release::{FixSet, KernelError};
use daxlab::scenario::{Covers, RunConfig, execute};
use daxlab::sim::DefaultScheduler;
use daxlab::trace::{RecordMode, Trace, replay_trace};
use daxlab::{Fix, Kernel, Release, Scenario};
use std::path::Path;

#[test]
fn each_release_has_the_fixes_of_the_one_before_plus_its_own() {
    let mut before = FixSet::EMPTY;
    for &r in Release::ALL {
        let k = Kernel::stock(r);
        for fix in before.iter() {
            assert!(k.has(fix), "{r} keeps {fix}");
        }
        for fix in r.own_fixes() {
            assert!(k.has(fix) && !before.contains(fix), "{r} adds {fix}");
        }
        let added = k.fixes.iter().filter(|f| !before.contains(*f)).count();
        assert_eq!(added, r.own_fixes().count(), "{r} adds only its own fixes");
        before = k.fixes;
    }
}

#[test]
fn the_seed_fix_lands_in_v4_11_and_unfixed_fixed_name_its_two_kernels() {
    let seed = Fix::RadixTreeInsertionRace;
    assert_eq!(seed.info().id, "e11f8b7b6c4e");
    assert_eq!(seed.info().release, Release::V4_11);
    assert!(!Kernel::stock(Release::V4_10).has(seed));
    assert!(!Kernel::UNFIXED.has(seed));
    assert!(Kernel::FIXED.has(seed));
    assert!(Kernel::stock(Release::V4_13).has(seed));
    assert_eq!(Kernel::UNFIXED.release, Release::V4_11Rc5);
    assert_eq!(Kernel::parse("unfixed"), Ok(Kernel::UNFIXED));
    assert_eq!(Kernel::parse("fixed"), Ok(Kernel::FIXED));
    assert_eq!(Kernel::UNFIXED.alias(), Some("unfixed"));
    assert_eq!(Kernel::stock(Release::V4_12).alias(), None);
}

#[test]
fn releases_parse_with_or_without_the_v() {
    assert_eq!(Release::parse("v4.12"), Ok(Release::V4_12));
    assert_eq!(Release::parse("4.12"), Ok(Release::V4_12));
    assert_eq!(Release::parse("V4.11-RC5"), Ok(Release::V4_11Rc5));
    assert!(matches!(Release::parse("v4.14"), Err(KernelError::UnknownRelease { .. })));
    assert!(matches!(Release::parse("4.1"), Err(KernelError::UnknownRelease { .. })));
}

#[test]
fn a_fix_is_named_by_its_id_a_unique_prefix_its_name_or_its_title() {
    let seed = Fix::RadixTreeInsertionRace;
    assert_eq!(Fix::parse("e11f8b7b6c4e"), Ok(seed));
    assert_eq!(Fix::parse("E11F8"), Ok(seed));
    assert_eq!(Fix::parse("insertion-race"), Ok(seed));
    assert_eq!(Fix::parse("dax: fix radix tree insertion race"), Ok(seed));
    // Three digits are too few to be a prefix; an unknown id is refused.
    assert!(matches!(Fix::parse("e11"), Err(KernelError::UnknownFix { .. })));
    assert!(matches!(Fix::parse("13e451fdc1af0"), Err(KernelError::UnknownFix { .. })));
}

#[test]
fn with_and_without_change_one_fix_and_refuse_what_changes_nothing() {
    let seed = Fix::RadixTreeInsertionRace;
    let k = Kernel::stock(Release::V4_12).without(seed).unwrap();
    assert!(!k.has(seed));
    assert!(!k.is_stock());
    assert_eq!(k.removed().collect::<Vec<_>>(), vec![seed]);
    assert_eq!(k.to_string(), "v4.12 without e11f8b7b6c4e");
    assert_eq!(Kernel::parse("v4.12 without e11f8b7b6c4e"), Ok(k));
    assert_eq!(Kernel::parse("4.12 -insertion-race"), Ok(k));
    let back = Kernel::UNFIXED.with(seed).unwrap();
    assert_eq!(back.to_string(), "v4.11-rc5 with e11f8b7b6c4e");
    assert_eq!(Kernel::parse("v4.11-rc5 +e11f8b7b6c4e"), Ok(back));
    let err = Kernel::UNFIXED.without(seed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "v4.11-rc5 does not have e11f8b7b6c4e dax: fix radix tree insertion race (it landed in v4.11), so there is nothing to remove"
    );
    assert!(matches!(Kernel::FIXED.with(seed), Err(KernelError::AlreadyHas { .. })));
    assert!(matches!(Kernel::parse("v4.12 without"), Err(KernelError::Syntax { .. })));
    assert!(matches!(Kernel::parse("v4.12 e11f8b7b6c4e"), Err(KernelError::Syntax { .. })));
    assert!(matches!(Kernel::parse(""), Err(KernelError::Syntax { .. })));
}

#[test]
fn every_kernel_name_parses_back_to_the_same_kernel() {
    for k in Kernel::releases() {
        assert_eq!(Kernel::parse(&k.to_string()), Ok(k));
        for &fix in Fix::ALL {
            let changed = if k.has(fix) { k.without(fix) } else { k.with(fix) }.unwrap();
            assert_eq!(Kernel::parse(&changed.to_string()), Ok(changed), "{changed}");
            assert!(!changed.slug().contains(' '));
        }
    }
}

#[test]
fn the_counterpart_of_a_kernel_is_the_one_a_diff_compares_with() {
    assert_eq!(Kernel::UNFIXED.counterpart(), Kernel::FIXED);
    assert_eq!(Kernel::FIXED.counterpart(), Kernel::UNFIXED);
    assert_eq!(Kernel::stock(Release::V4_12).counterpart(), Kernel::FIXED, "the release before");
    assert_eq!(Kernel::stock(Release::V4_10).counterpart(), Kernel::UNFIXED, "the oldest: the one after");
    let changed = Kernel::stock(Release::V4_13).without(Fix::RadixTreeInsertionRace).unwrap();
    assert_eq!(changed.counterpart(), Kernel::stock(Release::V4_13), "as shipped");
}

#[test]
fn the_model_runs_the_code_of_the_fixes_a_kernel_has() {
    // The seed race's witness fails without the seed fix, whichever release it is on.
    let sc = daxlab::scenario::builtin("seed-race").unwrap().unwrap();
    let witness =
        daxlab::explore::explore(&sc, &daxlab::explore::ExploreConfig::exhaustive(Kernel::UNFIXED, 2), &mut |_| {});
    let row = witness.failures().next().expect("v4.11-rc5 fails");
    let without = Kernel::stock(Release::V4_13).without(Fix::RadixTreeInsertionRace).unwrap();
    let with = Kernel::UNFIXED.with(Fix::RadixTreeInsertionRace).unwrap();
    let (ex, _) = daxlab::explore::replay(&sc, without, &row.witness.schedule);
    assert_eq!(ex.outcome.class(), "bug(pte-under-huge-pmd)");
    let (ex, _) = daxlab::explore::replay(&sc, with, &row.witness.schedule);
    assert!(!ex.outcome.is_failure(), "{}", ex.outcome);
}

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

#[test]
fn a_trace_names_its_kernel_and_replays_on_exactly_that() {
    let sc = daxlab::scenario::builtin("seed-race").unwrap().unwrap();
    let kernel = Kernel::stock(Release::V4_12).without(Fix::RadixTreeInsertionRace).unwrap();
    let ex = execute(&sc, &RunConfig::new(kernel), &mut DefaultScheduler);
    let trace = Trace::from_execution(&sc, kernel, RecordMode::Interactive, &ex);
    for bytes in [trace.encode_binary(), trace.encode_json()] {
        let back = Trace::decode(&bytes, "test").unwrap();
        assert_eq!(back.kernel, kernel);
        assert!(replay_trace(&back, &sc, back.kernel, None).divergence.is_none());
    }
    let json = String::from_utf8(trace.encode_json()).unwrap();
    assert!(json.contains("\"version\": 4"));
    assert!(json.contains("\"release\": \"v4.12\""), "the release by name");
    assert!(json.contains("\"fixes\": []"), "the exact fix set, by commit id");
}

#[test]
fn a_trace_naming_an_unknown_fix_or_release_is_refused() {
    let sc = daxlab::scenario::builtin("seed-race").unwrap().unwrap();
    let ex = execute(&sc, &RunConfig::new(Kernel::FIXED), &mut DefaultScheduler);
    let json = String::from_utf8(Trace::from_execution(&sc, Kernel::FIXED, RecordMode::Interactive, &ex).encode_json())
        .unwrap();
    let bad_fix = json.replace("\"e11f8b7b6c4e\"", "\"0123456789ab\"");
    let e = Trace::decode(bad_fix.as_bytes(), "t.json").unwrap_err().to_string();
    assert!(e.contains("unknown fix `0123456789ab`"), "{e}");
    let bad_release = json.replace("\"v4.11\"", "\"v4.15\"");
    let e = Trace::decode(bad_release.as_bytes(), "t.json").unwrap_err().to_string();
    assert!(e.contains("unknown kernel release `v4.15`"), "{e}");
}

#[test]
fn format_1_traces_still_open_as_the_seed_kernels_and_replay() {
    for (file, kernel) in [
        ("format-v1/fault-vs-write.unfixed.data-loss.daxtrace", Kernel::UNFIXED),
        ("format-v1/fault-vs-write.fixed.data-loss.json", Kernel::FIXED),
    ] {
        let trace = Trace::load(&data(file)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(trace.kernel, kernel, "{file}");
        let sc = trace.scenario().unwrap();
        let r = replay_trace(&trace, &sc, trace.kernel, None);
        assert!(r.divergence.is_none(), "{file} replays");
        assert_eq!(r.execution.outcome.class(), "data-loss");
    }
}

fn expect_of(keys: &str) -> Result<daxlab::scenario::Expect, String> {
    let sc = daxlab::scenario::builtin("seed-race").unwrap().unwrap();
    let head = sc.source.split("[expect]").next().unwrap().to_string();
    Scenario::from_toml(&format!("{head}[expect]\n{keys}"), "test")
        .map(|s| s.expect.unwrap())
        .map_err(|e| e.to_string())
}

#[test]
fn expect_says_what_each_kernel_or_range_of_releases_must_show() {
    let e = expect_of(
        "preemptions = 1\n[expect.kernels]\n\"v4.10..v4.11-rc5\" = [\"bug(x)\"]\n\"v4.11\" = []\n\"v4.12..\" = [\"oom\"]\n\"v4.13 without e11f8b7b6c4e\" = [\"bug(y)\"]\n",
    )
    .unwrap();
    assert_eq!(e.preemptions, 1);
    let classes = |k: Kernel| e.for_kernel(k).map(|s| s.iter().cloned().collect::<Vec<_>>());
    assert_eq!(classes(Kernel::stock(Release::V4_10)), Some(vec!["bug(x)".to_string()]));
    assert_eq!(classes(Kernel::UNFIXED), Some(vec!["bug(x)".to_string()]));
    assert_eq!(classes(Kernel::FIXED), Some(vec![]));
    assert_eq!(classes(Kernel::stock(Release::V4_13)), Some(vec!["oom".to_string()]));
    let changed = Kernel::stock(Release::V4_13).without(Fix::RadixTreeInsertionRace).unwrap();
    assert_eq!(classes(changed), Some(vec!["bug(y)".to_string()]));
    let unnamed = Kernel::stock(Release::V4_12).without(Fix::RadixTreeInsertionRace).unwrap();
    assert_eq!(classes(unnamed), None, "a range covers the releases as shipped only");
}

#[test]
fn the_old_unfixed_and_fixed_keys_keep_working() {
    let e = expect_of("unfixed = [\"bug(x)\"]\nfixed = []\n").unwrap();
    assert_eq!(e.preemptions, 2);
    assert_eq!(e.for_kernel(Kernel::UNFIXED).map(|s| s.len()), Some(1));
    assert_eq!(e.for_kernel(Kernel::FIXED).map(|s| s.len()), Some(0));
    assert_eq!(e.for_kernel(Kernel::stock(Release::V4_12)), None);
}

#[test]
fn two_keys_for_one_kernel_or_a_bad_key_are_refused_with_the_line() {
    let e = expect_of("unfixed = []\n[expect.kernels]\n\"v4.10..v4.11-rc5\" = []\n").unwrap_err();
    assert!(e.contains("`unfixed` and `v4.10..v4.11-rc5` both say what a kernel must show"), "{e}");
    assert!(e.contains("line"), "{e}");
    let e = expect_of("[expect.kernels]\n\"v4.10..v4.12\" = []\n\"v4.12..\" = []\n").unwrap_err();
    assert!(e.contains("both say"), "{e}");
    let e = expect_of("[expect.kernels]\n\"v4.99\" = []\n").unwrap_err();
    assert!(e.contains("unknown kernel release `v4.99`"), "{e}");
    assert!(expect_of("[expect.kernels]\n\"v4.10..v4.11-rc5\" = []\n\"v4.11..\" = []\n").is_ok());
}

#[test]
fn a_range_covers_its_releases_as_shipped() {
    let c = Covers::parse("v4.11-rc5..v4.12").unwrap();
    assert!(!c.contains(Kernel::stock(Release::V4_10)));
    assert!(c.contains(Kernel::UNFIXED) && c.contains(Kernel::FIXED) && c.contains(Kernel::stock(Release::V4_12)));
    assert!(!c.contains(Kernel::stock(Release::V4_13)));
    assert_eq!(c.to_string(), "v4.11-rc5..v4.12");
    assert_eq!(Covers::parse("v4.12").unwrap().to_string(), "v4.12");
}
