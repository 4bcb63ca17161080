#!/usr/bin/env bash
# Install a real SLURM (slurmctld, slurmd, clients) and munge from Debian's
# packages, for tests/test_slurm.py.  Idempotent: does nothing when the
# binaries are already there.  Needs root (apt-get); never starts daemons and
# never touches /etc/slurm -- tests/slurm/cluster.sh writes its own config.
#
# Part of the README's test command: where SLURM cannot be installed (no
# root, no apt-get, no network) it says why and exits 0, so the rest of the
# suite runs and the slurm tests skip with their own message.
# NEQENT_REQUIRE_SLURM=1 makes those cases an error instead.
set -euo pipefail

cannot() {
    echo "install.sh: not installing SLURM: $1 (tests marked 'slurm' will skip)" >&2
    [[ ${NEQENT_REQUIRE_SLURM:-0} == 1 ]] && exit 1
    exit 0
}

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
[[ $(id -u) == 0 ]] || cannot "need root to apt-get install slurm-wlm munge"
command -v apt-get >/dev/null 2>&1 || cannot "no apt-get on this machine"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || cannot "apt-get update failed"
# The Debian postinst scripts try to start services; without systemd/init
# that fails harmlessly, and policy-rc.d keeps it from trying at all.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null \
    || cannot "apt-get install slurm-wlm munge failed"
have_all || cannot "binaries still missing after install"
echo "install.sh: installed slurm-wlm $(version)"
