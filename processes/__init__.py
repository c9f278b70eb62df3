"""Running the project's services as local processes, for the demo, the benchmarks and the tests.

- `processes.ports`: a free loopback port, and whether a given one is free;
- `processes.proc`: what Linux's /proc says about a process or a process group (state,
  command line, CPU seconds, resident memory, children);
- `processes.service`: start a command in its own session with its output in a log file,
  wait until a URL answers, stop its process group (SIGTERM, then SIGKILL after a grace);
- `processes.servers`: the model server and the gateway started that way on free ports.

Standard library only (and the standard-library parts of `contract`): `scripts/demo.py stop`
runs with the system python, without the venv.
"""
