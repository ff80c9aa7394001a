"""Where a run executes: the device, the tf.distribute strategy and multi-worker start-up.

`preflight(cfg)` runs before the run folder is made, so a refusal here writes nothing: it
checks TF_CONFIG (whatever the strategy: a malformed one is refused, not a traceback), the
device (`--device gpu` where TensorFlow sees none), and for `--strategy multiworker` waits,
with a deadline and Ctrl-C/SIGTERM working, until every other worker answers on its port.

Why a wait of our own: TensorFlow's multi-worker start-up blocks in C++ while holding the
GIL until every worker has joined, and installs a SIGTERM handler for its preemption
notices; a missing peer there means a process that never ends and ignores Ctrl-C and
SIGTERM. So the peers are first polled from Python (each worker listens on its own port
meanwhile, so two waiting workers see each other), and TensorFlow's start-up itself runs
under a watchdog process (`_watchdog`) that ends it after the same deadline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from training.config import ConfigError, TrainConfig

COLLECTIVE_JOBS = ("chief", "worker")  # the tasks that train together; an evaluator does not
_POLL_S = 0.25  # between rounds of connection attempts to the peers that have not answered yet


@dataclass(frozen=True)
class ClusterTask:
    """This process's place in TF_CONFIG: its cluster ({job: ["host:port", ...]}) and task."""

    cluster: dict[str, list[str]]
    task_type: str
    task_index: int

    @property
    def is_chief(self) -> bool:
        return self.task_type == "chief" or (self.task_type == "worker" and self.task_index == 0
                                             and "chief" not in self.cluster)

    @property
    def name(self) -> str:
        return f"{self.task_type} {self.task_index}"

    def address(self) -> str:
        return self.cluster[self.task_type][self.task_index]

    def peers(self) -> list[str]:
        """The addresses of every other task that trains together with this one."""
        own = (self.task_type, self.task_index)
        return [addr for job in COLLECTIVE_JOBS for i, addr in enumerate(self.cluster.get(job, []))
                if (job, i) != own]

    def chief_name(self) -> str:
        return "chief 0" if "chief" in self.cluster else "worker 0"


def read_tf_config(environ=os.environ) -> ClusterTask | None:
    """TF_CONFIG, checked: None when unset or empty; a ConfigError (one sentence) when malformed."""
    text = environ.get("TF_CONFIG", "")
    if not text.strip():
        return None
    if len(text) > 1_000_000:
        raise ConfigError("TF_CONFIG is over 1 MB; it should name a small cluster and this task (see README)")
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ConfigError(f"TF_CONFIG is not valid JSON ({_short(e)}); fix it or unset it (see README)") from None
    if not isinstance(config, dict):
        raise ConfigError(f"TF_CONFIG must be a JSON object with \"cluster\" and \"task\", not {type(config).__name__}")
    cluster, task = config.get("cluster"), config.get("task")
    if not config or (cluster is None and task is None):
        return None  # "{}": TensorFlow's own reading of it is "no cluster" too
    if not isinstance(cluster, dict) or not cluster:
        raise ConfigError("TF_CONFIG's \"cluster\" must be an object of job names and address lists, "
                          "e.g. {\"worker\": [\"host-a:12345\", \"host-b:12345\"]}")
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses or not all(isinstance(a, str) for a in addresses):
            raise ConfigError(f"TF_CONFIG's cluster job {_shown(job)} must be a non-empty list of "
                              "\"host:port\" strings")
        for address in addresses:
            split_address(address)
    if not isinstance(task, dict):
        raise ConfigError("TF_CONFIG needs a \"task\" object naming this process, "
                          "e.g. {\"type\": \"worker\", \"index\": 0}")
    task_type, index = task.get("type"), task.get("index", 0)
    if not isinstance(task_type, str) or task_type not in cluster:
        raise ConfigError(f"TF_CONFIG's task type {_shown(task_type)} is not a job of its cluster "
                          f"({', '.join(_shown(j) for j in cluster)})")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cluster[task_type]):
        raise ConfigError(f"TF_CONFIG's task index {_shown(index)} is not one of the "
                          f"{len(cluster[task_type])} {_shown(task_type)} addresses (0-based)")
    return ClusterTask({k: list(v) for k, v in cluster.items()}, task_type, index)


def split_address(address: str) -> tuple[str, int]:
    """("host", port) of a TF_CONFIG address "host:port" or "[v6]:port"; ConfigError if malformed."""
    host, sep, port = address.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    ok = (sep and host and len(host) <= 253 and port.isascii() and port.isdigit()
          and all(c.isprintable() and not c.isspace() for c in host))
    if not ok or not 1 <= int(port) <= 65535:
        raise ConfigError(f"TF_CONFIG address {_shown(address)} is not \"host:port\" with a port in 1..65535")
    return host, int(port)


def is_chief(strategy: str = "multiworker") -> bool:
    """False only on the non-chief workers of a multi-worker run, which write no files.

    Outside `--strategy multiworker` the process trains alone and always writes.
    """
    if strategy != "multiworker":
        return True
    task = read_tf_config()
    return task is None or task.is_chief


def preflight(cfg: TrainConfig) -> None:
    """Every check that needs no run folder, before one is made (see the module docstring)."""
    task = read_tf_config()
    if cfg.strategy == "multiworker" and task is None:
        raise ConfigError("--strategy multiworker needs TF_CONFIG (the cluster and this worker's index; see README)")
    if cfg.strategy == "multiworker" and task.task_type not in COLLECTIVE_JOBS:
        raise ConfigError(f"--strategy multiworker trains on chief and worker tasks; TF_CONFIG names this "
                          f"process {_shown(task.task_type)}")
    if task is not None and cfg.strategy != "multiworker":
        _say(f"note: TF_CONFIG is set but --strategy is {cfg.strategy}, so this process trains alone "
             "(use --strategy multiworker to train with the cluster)")
    if cfg.backend in (None, "tensorflow"):  # JAX's devices: training.backends.check
        check_device(cfg.device)
    if cfg.strategy == "multiworker":
        wait_for_peers(task, cfg.peer_timeout)


def check_device(device: str) -> None:
    """`--device gpu` needs a GPU TensorFlow can see (imports TensorFlow only then)."""
    if device != "gpu":
        return
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        raise ConfigError("--device gpu, but TensorFlow sees no GPU (is tensorflow[and-cuda] installed? "
                          "try --device cpu); nothing was written")


def wait_for_peers(task: ClusterTask, timeout_s: float) -> None:
    """Return once every other worker accepts a TCP connection; ConfigError after `timeout_s`.

    Meanwhile this worker listens on its own port, so that two workers waiting for each
    other both see an answer. Ctrl-C and SIGTERM end the wait (KeyboardInterrupt).
    """
    pending = task.peers()
    if not pending:
        return
    with _sigterm_interrupts(), _listening(task) as listener:  # before the line that says it may be stopped
        _say(f"waiting up to {timeout_s:g} s for the other workers in TF_CONFIG to answer: {', '.join(pending)} "
             f"({_how_to_stop()})")
        deadline = time.monotonic() + timeout_s
        while pending:
            _turn_away(listener)
            pending = [a for a in pending if not _answers(a, deadline)]
            if pending and time.monotonic() >= deadline:
                raise ConfigError(f"no answer within {timeout_s:g} s from {', '.join(pending)} (TF_CONFIG's other "
                                  "workers); start the same command there, check the addresses and firewall, "
                                  "or raise --peer-timeout; nothing was written")
            if pending:
                time.sleep(min(_POLL_S, max(0.0, deadline - time.monotonic())))


def _how_to_stop() -> str:
    """Ctrl-C, unless this process was started with SIGINT ignored (a background job), where
    only SIGTERM reaches it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return f"`kill {os.getpid()}` stops"
    return "Ctrl-C stops"


def _answers(address: str, deadline: float) -> bool:
    host, port = split_address(address)
    seconds = min(2.0, deadline - time.monotonic())
    if seconds <= 0:
        return False
    try:
        with socket.create_connection((host, port), timeout=seconds):
            return True
    except OSError:  # refused, unreachable, unknown host, timed out: not yet
        return False


@contextmanager
def _listening(task: ClusterTask):
    """A listening socket on this task's port for the wait (None when it cannot bind)."""
    _, port = split_address(task.address())
    try:
        if socket.has_dualstack_ipv6():
            listener = socket.create_server(("", port), family=socket.AF_INET6, dualstack_ipv6=True)
        else:
            listener = socket.create_server(("", port))
    except OSError as e:
        import errno

        if e.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} of this worker's TF_CONFIG address {task.address()} is in use by "
                              "another program; free it or change the address; nothing was written") from None
        listener = None  # e.g. no permission for a low port: the peers wait for TensorFlow's server instead
    try:
        if listener is not None:
            listener.setblocking(False)
        yield listener
    finally:
        if listener is not None:
            listener.close()


def _turn_away(listener) -> None:
    """Close the connections the other workers' polls made to us: they only test the port."""
    if listener is None:
        return
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:  # BlockingIOError: none waiting
            return
        conn.close()


def start_multiworker(timeout_s: float):
    """tf.distribute.MultiWorkerMirroredStrategy(), ended with one sentence if it has not
    started within `timeout_s` and ended at once by Ctrl-C; SIGTERM works again afterwards."""
    import tensorflow as tf

    message = (f"digit-train: error: TensorFlow did not join the workers in TF_CONFIG within {timeout_s:g} s "
               "although each answered on its port (is every address a worker of this run, started with "
               "the same command?); stopped")
    with _watchdog(timeout_s, message):
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    # TensorFlow's start-up installed a SIGTERM handler for preemption notices, which this
    # program does not use and which would swallow SIGTERM for the rest of the run.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)
    return strategy


# Run by `_watchdog` as a child process: it ends the parent (SIGKILL; nothing else reaches
# a process whose main thread holds the GIL in C++) at the deadline or on Ctrl-C/SIGTERM,
# and exits quietly when the parent closes the pipe (start-up done) or dies.
_WATCHDOG = """
import os, select, signal, sys
parent, seconds, message = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
def end(text):
    try:
        os.kill(parent, 0)
    except OSError:
        os._exit(0)
    sys.stderr.write(text + "\\n"); sys.stderr.flush()
    try:
        os.kill(parent, signal.SIGKILL)
    except OSError:
        pass
    os._exit(0)
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, lambda *_: end("digit-train: interrupted while TensorFlow joined the workers; "
                                    "no epoch had finished"))
ready, _, _ = select.select([sys.stdin], [], [], seconds)
if not ready:
    end(message)
"""


@contextmanager
def _watchdog(timeout_s: float, message: str):
    """While the body runs: Ctrl-C ends this process at once, and a watchdog process ends it
    with `message` after `timeout_s` (POSIX; elsewhere the body runs unwatched)."""
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        yield
        return
    from training.quiet import real_stderr

    # Its message goes to the real stderr: this process's own (a filter's pipe) dies with it.
    child = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(timeout_s), message],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=real_stderr())
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)  # Python's handler never runs while C++ holds the GIL
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        child.stdin.close()  # EOF: the watchdog exits
        child.wait()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


@contextmanager
def _sigterm_interrupts():
    """SIGTERM raises KeyboardInterrupt (as Ctrl-C does) inside the block, in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def select_strategy(device: str, strategy: str = "auto", peer_timeout: float = 300.0):
    """The tf.distribute strategy for --device and --strategy (hides GPUs for --device cpu).

    auto: MirroredStrategy across several GPUs, else one device. one: one device.
    mirrored: MirroredStrategy over every GPU, or every logical CPU device where there is
    no GPU (how the CPU-only tests prove the multi-device path). multiworker:
    MultiWorkerMirroredStrategy across the machines that TF_CONFIG lists (README).
    """
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if device == "gpu" and not gpus:
        raise ConfigError("--device gpu, but TensorFlow sees no GPU (is tensorflow[and-cuda] installed? try --device cpu)")
    if device == "cpu" and gpus:
        tf.config.set_visible_devices([], "GPU")
        gpus = []
    if strategy == "multiworker":
        if read_tf_config() is None:
            raise ConfigError("--strategy multiworker needs TF_CONFIG (the cluster and this worker's index; see README)")
        return start_multiworker(peer_timeout)
    if strategy == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU" if gpus else "CPU")]
        if len(devices) < 2:
            _say(f"note: --strategy mirrored, but TensorFlow sees one {'GPU' if gpus else 'CPU'} device "
                 f"({', '.join(devices) or 'none'}), so this runs one replica")
        return tf.distribute.MirroredStrategy(devices)
    if strategy == "auto" and len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def _say(line: str) -> None:
    print(f"digit-train: {line}", file=sys.stderr, flush=True)


def _shown(value) -> str:
    """A value from TF_CONFIG for a message: short, quoted, control characters escaped."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _short(e: Exception) -> str:
    return str(e).splitlines()[0][:80] if str(e) else type(e).__name__
