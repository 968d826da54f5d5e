"""The embedded PostgreSQL + PostGIS cluster in the project's data folder.

With no ``DATABASE_URL`` the service runs its own private cluster: initialised on first use,
listening on a free loopback port with a generated password, and run by an unprivileged system
user when we are root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "geoservice"
SUPERUSER = "geo"
DATABASE = "geo_service"
REQUIRED_PACKAGES = "postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting"


class ClusterError(RuntimeError):
    """The embedded cluster cannot be set up or started; the message says what to do."""


@dataclass(frozen=True)
class ClusterStatus:
    """What ``db status`` reports."""

    initialised: bool
    running: bool
    url: str | None
    data_dir: Path


def find_bindir() -> Path:
    """Return the folder holding ``initdb`` and ``pg_ctl`` (newest installed PostgreSQL)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        f"PostgreSQL server binaries not found; install them: apt-get install {REQUIRED_PACKAGES}"
    )


def check_postgis_installed(bindir: Path) -> None:
    """Fail with the package name to install when PostGIS is missing from this PostgreSQL."""
    share = ""
    if (bindir / "pg_config").exists():
        share = subprocess.run([str(bindir / "pg_config"), "--sharedir"],
                               capture_output=True, text=True).stdout.strip()
    ext_dir = Path(share or f"/usr/share/postgresql/{bindir.parent.name}") / "extension"
    missing = [
        name for name in ("postgis", "pgrouting") if not (ext_dir / f"{name}.control").exists()
    ]
    if missing:
        raise ClusterError(
            f"PostgreSQL extensions missing: {', '.join(missing)}; "
            f"install them: apt-get install {REQUIRED_PACKAGES}"
        )


class EmbeddedCluster:
    """A private cluster under ``<data_dir>/pg``.

    Parameters
    ----------
    data_dir:
        The project's data folder (``var/`` by default).
    """

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir).resolve() / "pg"
        self.pgdata = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.secret_file = self.root / "cluster.json"

    # -- running commands as the right user -------------------------------------------------
    def _as_owner(self, argv: list[str]) -> list[str]:
        """Prefix a command so it runs as the unprivileged service user when we are root."""
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", SERVICE_USER, "--", *argv]

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self._as_owner(argv), capture_output=True, text=True)
        if check and result.returncode != 0:
            detail = result.stderr.strip() or result.stdout.strip()
            raise ClusterError(f"{Path(argv[0]).name} failed: {detail}")
        return result

    def _ensure_service_user(self) -> None:
        """Create the system user that owns the cluster, and let it reach the data folder."""
        if os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                 SERVICE_USER],
                check=True,
            )
        # PostgreSQL must traverse every folder above its data directory.
        for parent in reversed(self.root.parents):
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root, SERVICE_USER, SERVICE_USER)

    # -- state ---------------------------------------------------------------------------------
    @property
    def initialised(self) -> bool:
        """True once ``initdb`` has run here."""
        return (self.pgdata / "PG_VERSION").exists()

    def _secret(self) -> dict[str, str | int]:
        return json.loads(self.secret_file.read_text())

    def _running_port(self) -> int | None:
        """Port of the running postmaster, read from its pid file, or None when stopped."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
            os.kill(pid, 0)
        except (IndexError, ValueError, ProcessLookupError, PermissionError):
            return None
        return port

    def url(self, database: str = DATABASE, port: int | None = None) -> str:
        """SQLAlchemy URL for a database of this cluster."""
        secret = self._secret()
        port = port or self._running_port() or int(secret["port"])
        return (
            f"postgresql+psycopg://{SUPERUSER}:{secret['password']}@127.0.0.1:{port}/{database}"
        )

    def status(self) -> ClusterStatus:
        """Report whether the cluster exists and runs, with its URL when it does."""
        running = self.initialised and self._running_port() is not None
        return ClusterStatus(self.initialised, running, self.url() if running else None, self.root)

    # -- life cycle ----------------------------------------------------------------------------
    def init(self) -> None:
        """Run ``initdb`` with a generated superuser password (once)."""
        if self.initialised:
            return
        bindir = find_bindir()
        check_postgis_installed(bindir)
        self.root.mkdir(parents=True, exist_ok=True)
        self._ensure_service_user()
        password = secrets.token_urlsafe(24)
        pwfile = self.root / "pwfile"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, SERVICE_USER, SERVICE_USER)
        pwfile.chmod(0o600)
        try:
            self._run([
                str(bindir / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER,
                f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
                "--locale=C.UTF-8",
            ])
        finally:
            pwfile.unlink(missing_ok=True)
        self.secret_file.write_text(json.dumps({"password": password, "port": free_port()}))
        self.secret_file.chmod(0o600)

    def start(self) -> str:
        """Start the cluster if it is not running; create the database; return its URL."""
        self.init()
        self._ensure_service_user()
        if self._running_port() is None:
            port = int(self._secret()["port"])
            if not port_is_free(port):
                port = free_port()
                secret = self._secret() | {"port": port}
                self.secret_file.write_text(json.dumps(secret))
            options = (
                f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                "-c max_connections=200 -c fsync=on"
            )
            self._run([
                str(find_bindir() / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.logfile),
                "-o", options, "-w", "-t", "60", "start",
            ])
        self._create_database(DATABASE)
        return self.url()

    def stop(self) -> bool:
        """Stop the cluster; return False when it was not running."""
        if not self.initialised or self._running_port() is None:
            return False
        self._run([str(find_bindir() / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w",
                   "stop"])
        return True

    def _create_database(self, name: str) -> None:
        """Create a database with PostGIS and pgRouting unless it exists."""
        import psycopg

        admin = self.url("postgres").replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(admin, autocommit=True) as conn:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            exists = conn.execute(query, (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(self.url(name).replace("postgresql+psycopg", "postgresql"),
                             autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")


def free_port() -> int:
    """Ask the kernel for a free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on this loopback port.

    Connections the server closed linger in TIME_WAIT after a stop; PostgreSQL binds with
    SO_REUSEADDR and can listen there again, so the check does the same (without it a restart
    would move the cluster to another port and strand every engine pointing at the old one).
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main_status_line(status: ClusterStatus) -> str:
    """One line for ``db status``."""
    if not status.initialised:
        return f"embedded PostGIS: not initialised ({status.data_dir})"
    state = "running" if status.running else "stopped"
    return f"embedded PostGIS: {state} ({status.data_dir})" + (
        f"\n{status.url}" if status.url else ""
    )


if __name__ == "__main__":  # pragma: no cover - manual use
    print(EmbeddedCluster(Path(sys.argv[1])).start())
