//! Cache hints: start loading a value that will be used soon, without waiting for it, so that
//! its cache miss overlaps with other work. A hint changes timing only, never a result; off
//! x86-64 it does nothing.

/// Starts loading the cache line holding `value`, for reading.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(value);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Starts loading the cache line holding `value`, for writing.
#[inline(always)]
pub fn prefetch_write<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_et0(value);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
