//! `--cpus`, `--preload-pool`: the machine a command runs the threads on, and how it is
//! said in one line.

use daxlab::Scenario;
use daxlab::scenario::PreloadPool;

/// `--preload-pool`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PoolArg {
    /// Every CPU's radix-tree preload pool empty at the start: a first preload allocates
    /// (it may sleep, and may fail).
    Cold,
    /// Every pool full: a preload only disables preemption.
    Warm,
}

#[derive(clap::Args, Clone, Debug, Default)]
pub struct MachineArgs {
    /// Run the threads on N CPUs (default: the scenario's `cpus`, else one per thread). With
    /// fewer CPUs than threads, a thread with preemption off or a spin lock held keeps its
    /// CPU, and another thread gets one only when a thread sleeps, finishes, or is preempted
    /// where the kernel allows it (preemption on: CONFIG_PREEMPT).
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// What every CPU's radix-tree preload pool holds at the start (default: the
    /// scenario's `preload_pool`, else cold).
    #[arg(long, value_enum, value_name = "POOL")]
    pub preload_pool: Option<PoolArg>,
}

impl MachineArgs {
    /// Whether the flags ask for another machine than the scenario describes.
    pub fn changes(&self, sc: &Scenario) -> bool {
        let cpus = self.cpus.is_some_and(|n| Some(n) != sc.cpus.map(|c| c.get()));
        let pool = self.preload_pool.is_some_and(|p| pool(p) != sc.preload_pool);
        cpus || pool
    }

    /// The scenario on the machine the flags ask for.
    pub fn apply(&self, mut sc: Scenario) -> Result<Scenario, String> {
        if self.cpus.is_some() {
            sc = sc.with_cpus(self.cpus).map_err(|e| format!("--cpus: {e}"))?;
        }
        if let Some(p) = self.preload_pool {
            sc = sc.with_preload_pool(pool(p)).map_err(|e| format!("--preload-pool: {e}"))?;
        }
        Ok(sc)
    }
}

fn pool(p: PoolArg) -> PreloadPool {
    match p {
        PoolArg::Cold => PreloadPool::Cold,
        PoolArg::Warm => PreloadPool::Warm,
    }
}
