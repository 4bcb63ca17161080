#!/usr/bin/env bash
# Install a real SLURM (slurmctld, slurmd, clients) and munge from Debian's
# packages, for tests/test_slurm.py.  Idempotent: does nothing when the
# binaries are already there.  Needs root (apt-get); never starts daemons and
# never touches /etc/slurm -- tests/slurm/cluster.sh writes its own config.
set -euo pipefail

version() { dpkg-query -W -f '${Version}' slurm-wlm 2>/dev/null || echo '?'; }

have_all() {
    local b
    for b in munged munge slurmctld slurmd sinfo srun sbatch squeue scontrol scancel; do
        command -v "$b" >/dev/null 2>&1 || return 1
    done
}

if have_all; then
    echo "install.sh: slurm and munge already installed (slurm-wlm $(version))"
    exit 0
fi
if [[ $(id -u) != 0 ]]; then
    echo "install.sh: need root to apt-get install slurm-wlm munge" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The Debian postinst scripts try to start services; without systemd/init
# that fails harmlessly, and policy-rc.d keeps it from trying at all.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends slurm-wlm munge
have_all || { echo "install.sh: binaries still missing after install" >&2; exit 1; }
echo "install.sh: installed slurm-wlm $(version)"
