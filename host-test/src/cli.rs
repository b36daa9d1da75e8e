//! Command-line pieces shared by the binaries that run modules (`host-test`, and the scanner's
//! `aks-scan`): the evaluation limits and engine options.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use crate::{Harness, HarnessConfig, Limits};

/// Evaluation limits and engine options shared by the commands that run modules.
#[derive(Args, Clone)]
pub struct LimitArgs {
    /// Wall-clock deadline of one evaluation, in seconds (policy-server's --policy-timeout).
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub timeout: f64,
    /// Meter fuel and stop an evaluation after N units (roughly wasm instructions). Off by
    /// default, as in policy-server and kwctl: the deadline (--timeout) bounds every
    /// evaluation; metering slows every call down.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Cap on a guest's linear memory, in MiB.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub memory_mib: usize,
    /// Do not read or write the on-disk cache of compiled modules.
    #[arg(long)]
    pub no_cache: bool,
    /// Use wasmtime's pooling instance allocator (the default of `scan`).
    #[arg(long, overrides_with = "no_pooling")]
    pub pooling: bool,
    /// Allocate every instance on demand, as policy-server does (the default, except for `scan`).
    #[arg(long, overrides_with = "pooling")]
    pub no_pooling: bool,
    /// Seed WASI random_get for reproducible runs.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

impl LimitArgs {
    /// The harness with these limits (on-demand allocation unless `--pooling`).
    pub fn harness(&self, cache_root: &Path) -> Result<Harness> {
        self.harness_with(cache_root, self.pooling)
    }

    /// The harness with the pooling allocator unless `--no-pooling` was given: `scan` runs
    /// thousands of short evaluations, where reusing pooled slots saves a memory mapping and
    /// its page faults per evaluation (the answers are the same either way).
    pub fn pooled_harness(&self, cache_root: &Path) -> Result<Harness> {
        self.harness_with(cache_root, !self.no_pooling)
    }

    /// The harness with these limits and the given allocator.
    pub fn harness_with(&self, cache_root: &Path, pooling: bool) -> Result<Harness> {
        if !self.timeout.is_finite() || self.timeout <= 0.0 {
            bail!("--timeout must be a positive number of seconds");
        }
        let memory_bytes = self
            .memory_mib
            .checked_mul(1024 * 1024)
            .context("--memory-mib is too large")?;
        let config = HarnessConfig {
            limits: Limits {
                timeout: Duration::from_secs_f64(self.timeout),
                fuel: self.fuel,
                memory_bytes,
            },
            cache_dir: if self.no_cache {
                None
            } else {
                HarnessConfig::default_cache_dir(cache_root)
            },
            pooling,
            random_seed: self.seed,
        };
        Ok(Harness::new(config)?)
    }
}
