//! [`NamespaceCluster`]: several "hosts" on this one machine, each a Linux
//! network namespace with its own network stack and address, joined by a
//! virtual bridge — so an [`MpiPool`](super::MpiPool) can really run across
//! hosts, with MPI's messages crossing a network, in a notebook or a test.
//!
//! Invariant: everything a cluster makes (namespaces, their `/etc/netns`
//! files, Open MPI's session directories, the processes inside) goes when it
//! is dropped; a cluster whose owner died without dropping it (a kernel that
//! was restarted) is torn down by the next [`NamespaceCluster::up`]. Its
//! traffic stays between its namespaces (addresses 10.213.X.0/24 that exist
//! nowhere else). The work is done by `scripts/netns-cluster`, which the
//! tests use too, so there is one way to build a cluster.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::launch::MpiPoolBuilder;
use crate::error::{Error, Result};

/// The script that makes and removes clusters, in this repository.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/netns-cluster");

/// A cluster of `hosts` network-namespace hosts on this machine (Linux, root).
///
/// ```no_run
/// # fn main() -> parlab_core::prelude::Result<()> {
/// use parlab_core::prelude::*;
/// fn square(x: u64) -> u64 { x * x }
/// let cluster = NamespaceCluster::up(2)?; // needs root
/// let pool = cluster.pool(2).build()?;    // one rank on each host
/// assert_eq!(pool.map(square, 0..4u64)?, [0, 1, 4, 9]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct NamespaceCluster {
    dir: PathBuf,
    hosts: Vec<String>,
}

impl NamespaceCluster {
    /// Make a cluster of `hosts` hosts (2 to 8). Needs root (`ip netns`) and
    /// this repository's `scripts/netns-cluster`; without them, a clear error.
    pub fn up(hosts: usize) -> Result<NamespaceCluster> {
        if !(2..=8).contains(&hosts) {
            return Err(Error::InvalidArgument(format!(
                "a namespace cluster has 2 to 8 hosts, not {hosts} (one host is this machine: MpiPool::new)"
            )));
        }
        // SAFETY: getuid has no preconditions.
        if unsafe { libc::getuid() } != 0 {
            return Err(Error::Unsupported(
                "a cluster of network namespaces needs root (it runs `ip netns add`): run the kernel as root, \
                 or use one host (MpiPool::new) and a real cluster's hostfile (MpiPool::builder(n).hostfile(..))"
                    .into(),
            ));
        }
        if !Path::new(SCRIPT).exists() {
            return Err(Error::Unsupported(format!("{SCRIPT} is missing: NamespaceCluster needs parlab's repository")));
        }
        let out = Command::new(SCRIPT)
            .args(["up", &hosts.to_string(), "--owner", &std::process::id().to_string()])
            .output()
            .map_err(|e| Error::Os(format!("could not run {SCRIPT}: {e}")))?;
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if !out.status.success() || !dir.join("hostfile").exists() {
            return Err(Error::Os(format!("could not make a namespace cluster of {hosts} hosts: {said}")));
        }
        let names = std::fs::read_to_string(dir.join("names")).unwrap_or_default();
        // The first name is the bridge's namespace, not a host.
        let hosts = names.split_whitespace().skip(1).map(String::from).collect();
        Ok(NamespaceCluster { dir, hosts })
    }

    /// The hosts' names, the first one where `mpirun` and the relay run.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The cluster's hostfile (two slots per host).
    pub fn hostfile(&self) -> PathBuf {
        self.dir.join("hostfile")
    }

    /// A pool builder for `ranks` worker ranks on this cluster, placed round
    /// robin over the hosts (`--map-by node`): the relay on the first host,
    /// rank 1 on the second, and so on.
    pub fn pool(&self, ranks: usize) -> MpiPoolBuilder {
        MpiPoolBuilder::new(ranks)
            .mpirun(self.dir.join("mpirun"))
            .hostfile(self.hostfile())
            .mpirun_args(["--map-by", "node"])
    }

    /// Tear the cluster down now (dropping it does the same, quietly).
    pub fn down(mut self) -> Result<()> {
        self.teardown()
    }

    fn teardown(&mut self) -> Result<()> {
        if self.hosts.is_empty() {
            return Ok(());
        }
        self.hosts.clear();
        let out = Command::new(SCRIPT)
            .arg("down")
            .arg(&self.dir)
            .output()
            .map_err(|e| Error::Os(format!("could not run {SCRIPT}: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::Os(format!("tearing the cluster down: {}", String::from_utf8_lossy(&out.stderr).trim())))
        }
    }
}

impl Drop for NamespaceCluster {
    fn drop(&mut self) {
        let _ = self.teardown();
    }
}
