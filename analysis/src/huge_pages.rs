//! Transparent huge pages for the simulator's heap on Linux with glibc.
//!
//! A 10,000-peer run touches a few hundred MB in a scattered way (peer records, counts,
//! connections), so with 4 KiB pages most of its cache misses also miss the TLB. Where the
//! kernel gives huge pages only to memory that asks for them (`madvise` mode, the usual
//! default), `tokenswarm` re-executes itself once at start with glibc's tunable
//! `glibc.malloc.hugetlb=1`, which makes `malloc` ask for them (no reserved huge pages are
//! needed; the kernel falls back to small pages when it has no huge ones). Measured on
//! `flash-10k-tokens`: 2–7% less wall time, 3% more peak RSS (BENCHMARKS.md).
//!
//! Nothing else changes: results are identical with and without. `TOKENSWARM_HUGE_PAGES=0`
//! (any value, in fact: the re-executed process gets `1`) turns the re-execution off, and so
//! does a `GLIBC_TUNABLES` that already sets `glibc.malloc.hugetlb`.

/// glibc's tunable: back `malloc`'s memory with transparent huge pages via `madvise`.
pub const TUNABLE: &str = "glibc.malloc.hugetlb=1";

/// Set (to anything) to keep the process as started; the re-executed process gets `1`.
pub const SWITCH: &str = "TOKENSWARM_HUGE_PAGES";

/// The `GLIBC_TUNABLES` value to re-execute with, given the current one, or `None` when the
/// current one already decides about huge pages.
pub fn tunables_with_huge_pages(current: Option<&str>) -> Option<String> {
    match current {
        Some(t) if t.contains("glibc.malloc.hugetlb") => None,
        Some(t) if !t.is_empty() => Some(format!("{t}:{TUNABLE}")),
        _ => Some(TUNABLE.to_string()),
    }
}

/// Whether the kernel's THP mode (the text of
/// `/sys/kernel/mm/transparent_hugepage/enabled`) gives huge pages only to memory that asks.
pub fn huge_pages_on_request(thp_enabled: &str) -> bool {
    thp_enabled.contains("[madvise]")
}

/// Re-executes this binary with the same arguments and glibc asked for huge pages, when
/// that helps (see the module documentation). Returns only if it does not re-execute or the
/// re-execution fails (then the run goes on with small pages). Call first thing in `main`.
pub fn reexec_with_huge_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os(SWITCH).is_some() {
            return;
        }
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .unwrap_or_default();
        if !huge_pages_on_request(&mode) {
            return;
        }
        let current = std::env::var("GLIBC_TUNABLES").ok();
        let Some(tunables) = tunables_with_huge_pages(current.as_deref()) else {
            return;
        };
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            command.arg0(arg0);
        }
        // `exec` returns only on failure; the run then continues in this process.
        let _failed = command
            .args(args)
            .env("GLIBC_TUNABLES", tunables)
            .env(SWITCH, "1")
            .exec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_other_tunables_and_respects_an_explicit_choice() {
        assert_eq!(tunables_with_huge_pages(None).as_deref(), Some(TUNABLE));
        assert_eq!(tunables_with_huge_pages(Some("")).as_deref(), Some(TUNABLE));
        assert_eq!(
            tunables_with_huge_pages(Some("glibc.malloc.arena_max=2")).as_deref(),
            Some("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")
        );
        assert_eq!(
            tunables_with_huge_pages(Some("glibc.malloc.hugetlb=0")),
            None
        );
    }

    #[test]
    fn only_the_madvise_mode_asks() {
        assert!(huge_pages_on_request("always [madvise] never\n"));
        assert!(!huge_pages_on_request("[always] madvise never\n"));
        assert!(!huge_pages_on_request("always madvise [never]\n"));
        assert!(!huge_pages_on_request(""));
    }
}
