"""Time the kernel stage inside one MPI job (run by benchmarks/run.py under mpiexec).

Prints one JSON line on rank 0: seconds spent in ``sweep.kernel_grid`` (from
a barrier after start-up to the gathered dataset), excluding interpreter and
import start-up, which ``run.py`` measures separately as whole-process time.
"""

import json
import sys
import time

from mpi4py import MPI

from neqent.pipeline.config import load_config
from neqent.pipeline.io import write_dataset
from neqent.pipeline.stages import kernel_grid

config_path, scan, output = sys.argv[1:4]
comm = MPI.COMM_WORLD
config = load_config(config_path)
comm.Barrier()
t0 = time.perf_counter()
c0 = time.process_time()
ds = kernel_grid(config, scan, comm=comm, progress=False)
elapsed = time.perf_counter() - t0
# CPU seconds per rank: shows the split is balanced independently of other
# load on the machine (which inflates wall times of the 2-rank run first).
cpu = comm.gather(time.process_time() - c0, root=0)
if comm.Get_rank() == 0:
    write_dataset(ds, output, config)
    print(json.dumps({"kernel_grid_s": elapsed, "ranks": comm.Get_size(), "cpu_s_per_rank": cpu}))
