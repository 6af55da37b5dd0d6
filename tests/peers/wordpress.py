"""Debian's WordPress, the real oEmbed consumer, on loopback: a throwaway MariaDB from
the machine's binaries (mariadb-install-db / mariadbd), WordPress installed into it by
its own ``wp_install()``, and PHP's built-in server serving it.

Debian's ``/usr/share/wordpress/wp-config.php`` reads its settings from
``/etc/wordpress/config-<host>.php``; so that nothing outside a temporary folder is
written, the site is a folder of its own: WordPress's top-level PHP files copied (PHP
resolves symlinks in ``__DIR__``, and ``wp-load.php`` looks for ``wp-config.php``
beside itself), ``wp-admin`` and ``wp-includes`` linked, a generated ``wp-config.php``
and a ``wp-content`` holding Debian's theme and the test's must-use plugin. Posts are
written with WordPress's own ``wp_insert_post()`` as the user who writes them, so
WordPress's filters for that user's capabilities apply as in its editor.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .ports import free_port

WORDPRESS = Path("/usr/share/wordpress")
THEME = "twentytwentythree"  # Debian's wordpress-theme-twentytwentythree

# The test's must-use plugin. WordPress fetches discovery links and oEmbed responses
# through its safe HTTP API (wp_safe_remote_get), which refuses loopback addresses
# and any port but 80, 443 and 8080; the drive's service runs on 127.0.0.1 at a free
# port. Only that host is let through, nothing else.
LOOPBACK_PLUGIN = """<?php
/* Plugin Name: Donation Drive tests: the drive's service on loopback is external */
add_filter( 'http_request_host_is_external', function ( $external, $host ) {
\treturn $external || '127.0.0.1' === $host;
}, 10, 2 );
add_filter( 'http_allowed_safe_ports', function ( $ports, $host, $url ) {
\tif ( '127.0.0.1' === $host ) {
\t\t$ports[] = (int) wp_parse_url( $url, PHP_URL_PORT );
\t}
\treturn $ports;
}, 10, 3 );
"""

CONFIG = """<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '127.0.0.1:{db_port}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
{keys}
$table_prefix = 'wp_';
define( 'WP_HOME', '{home}' );
define( 'WP_SITEURL', '{home}' );
define( 'WP_CONTENT_DIR', __DIR__ . '/wp-content' );
define( 'WP_CONTENT_URL', '{home}/wp-content' );
// No cron, no update checks, and no HTTP but to the site itself and to 127.0.0.1.
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_DEBUG_LOG', '{log}' );
define( 'ABSPATH', __DIR__ . '/' );
require_once ABSPATH . 'wp-settings.php';
"""

# Run with the PHP CLI: installs the site, adds users (login => role), then prints
# {"users": {login: {"id": ..., "unfiltered_html": ...}}} as JSON.
INSTALL = """<?php
define( 'WP_INSTALLING', true );
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$users = json_decode( $argv[2], true );
$result = wp_install( 'A blog', 'admin', 'admin@blog.test', true, '', wp_generate_password() );
if ( is_wp_error( $result ) ) { fwrite( STDERR, $result->get_error_message() ); exit( 1 ); }
switch_theme( '{theme}' );
$out = array();
foreach ( $users as $login => $role ) {
\t$id = 'admin' === $login ? (int) $result['user_id'] : wp_insert_user( array(
\t\t'user_login' => $login, 'user_pass' => wp_generate_password(),
\t\t'user_email' => $login . '@blog.test', 'role' => $role,
\t) );
\tif ( is_wp_error( $id ) ) { fwrite( STDERR, $id->get_error_message() ); exit( 1 ); }
\t$out[ $login ] = array( 'id' => $id, 'unfiltered_html' => user_can( $id, 'unfiltered_html' ) );
}
echo wp_json_encode( array( 'users' => $out ) );
"""

# Run with the PHP CLI: as user $argv[2], publishes a post (title $argv[3], body
# $argv[4]) and prints {"id": ..., "url": ..., "content": <as stored>} as JSON.
POST = """<?php
require $argv[1] . '/wp-load.php';
$user = get_user_by( 'login', $argv[2] );
wp_set_current_user( $user->ID );
kses_init();  // the content filters for this user, as the editor's save would apply
$id = wp_insert_post( array(
\t'post_title' => $argv[3], 'post_content' => $argv[4],
\t'post_status' => 'publish', 'post_author' => $user->ID,
), true );
if ( is_wp_error( $id ) ) { fwrite( STDERR, $id->get_error_message() ); exit( 1 ); }
echo wp_json_encode( array(
\t'id' => $id, 'url' => get_permalink( $id ), 'content' => get_post( $id )->post_content,
) );
"""


def binary(name: str, *folders: str) -> str:
    found = shutil.which(name) or next(
        (f"{folder}/{name}" for folder in folders if os.access(f"{folder}/{name}", os.X_OK)),
        None,
    )
    if found is None:
        raise RuntimeError(f"{name} not found: run scripts/install-system-deps")
    return found


class MariaDB:
    """mariadb-install-db + mariadbd in a temporary folder, on a free loopback port,
    root without a password (nothing but this machine can reach it)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        # mariadbd refuses to run as root unless told to.
        self._user = ["--user=root"] if os.geteuid() == 0 else []
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> MariaDB:
        subprocess.run(
            [
                binary("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.data}",
                *self._user,
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.process = subprocess.Popen(
            [
                binary("mariadbd", "/usr/sbin"),
                "--no-defaults",
                f"--datadir={self.data}",
                *self._user,
                "--bind-address=127.0.0.1",
                f"--port={self.port}",
                f"--socket={self.root / 'mariadb.sock'}",
                f"--pid-file={self.root / 'mariadb.pid'}",
                f"--log-error={self.root / 'mariadb.log'}",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-flush-log-at-trx-commit=0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._sql("CREATE DATABASE wordpress CHARACTER SET utf8mb4", wait=30)
        return self

    def _sql(self, statement: str, wait: float = 0) -> None:
        client = [binary("mariadb"), "--no-defaults", "-uroot", "-h127.0.0.1"]
        deadline = time.monotonic() + wait
        while True:
            done = subprocess.run(
                [*client, f"-P{self.port}", "-e", statement], capture_output=True, timeout=30
            )
            if done.returncode == 0:
                return
            assert self.process is not None
            if time.monotonic() > deadline or self.process.poll() is not None:
                log = (self.root / "mariadb.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"mariadb: {done.stderr.decode()}\n{log}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class WordPressSite:
    """Debian's WordPress on ``http://localhost:<port>`` (another host name than the
    drive's 127.0.0.1, as a blog is another site), with users of the given roles."""

    def __init__(self, users: dict[str, str]) -> None:
        self.php = binary("php")
        self.users_wanted = users
        self.root = Path(tempfile.mkdtemp(prefix="dd-wp-"))
        self.site = self.root / "site"
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.database = MariaDB(self.root)
        self.users: dict[str, dict[str, object]] = {}
        self.server: subprocess.Popen[bytes] | None = None

    def start(self) -> WordPressSite:
        if not (WORDPRESS / "wp-settings.php").exists():
            raise RuntimeError(f"{WORDPRESS} not found: run scripts/install-system-deps")
        try:
            self._start()
        except BaseException:
            self.stop()  # no MariaDB or PHP left running after a failed start
            raise
        return self

    def _start(self) -> None:
        self.database.start()
        self._lay_out_site()
        done = self._php(INSTALL.replace("{theme}", THEME), json.dumps(self.users_wanted))
        self.users = json.loads(done)["users"]
        # Two workers: Chromium asks for the theme's files while a page renders. The
        # workers are the server's children: in a session of their own, so that stop()
        # ends them with it.
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "2"}
        with open(self.root / "php-server.log", "wb") as log:
            self.server = subprocess.Popen(
                [self.php, "-S", f"127.0.0.1:{self.port}", "-t", str(self.site)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self._wait_serving()

    def _lay_out_site(self) -> None:
        self.site.mkdir()
        for path in WORDPRESS.glob("*.php"):
            if path.name not in ("wp-config.php", "wp-config-sample.php"):
                shutil.copy(path, self.site / path.name)
        for folder in ("wp-admin", "wp-includes"):
            (self.site / folder).symlink_to(WORDPRESS / folder)
        content = self.site / "wp-content"
        (content / "themes").mkdir(parents=True)
        (content / "themes" / THEME).symlink_to(WORDPRESS / "wp-content" / "themes" / THEME)
        (content / "mu-plugins").mkdir()
        (content / "mu-plugins" / "loopback-embeds.php").write_text(LOOPBACK_PLUGIN)
        keys = "\n".join(
            f"define( '{name}', '{secrets.token_hex(32)}' );"
            for name in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        (self.site / "wp-config.php").write_text(
            CONFIG.replace("{db_port}", str(self.database.port))
            .replace("{keys}", keys)
            .replace("{home}", self.url)
            .replace("{log}", str(self.root / "wordpress-debug.log"))
        )

    def _php(self, script: str, *args: str) -> str:
        path = self.root / "script.php"
        path.write_text(script)
        done = subprocess.run(
            [self.php, str(path), str(self.site), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"php {script.splitlines()[1]}: {done.stderr}{done.stdout}")
        return done.stdout

    def _wait_serving(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=5).close()  # noqa: S310 - http, ours
                return
            except (urllib.error.URLError, ConnectionError):
                assert self.server is not None
                if time.monotonic() > deadline or self.server.poll() is not None:
                    raise RuntimeError(
                        "php -S did not serve WordPress: "
                        + (self.root / "php-server.log").read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.1)

    def publish(self, author: str, title: str, content: str) -> dict[str, object]:
        """A published post by ``author``: its id, URL and content as WordPress stored it."""
        return json.loads(self._php(POST, author, title, content))

    def debug_log(self) -> str:
        """WordPress's error log, less the deprecation notices WordPress 6.1 logs on
        PHP 8.2 on every request."""
        path = self.root / "wordpress-debug.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return "\n".join(line for line in lines if "PHP Deprecated:" not in line)

    def stop(self) -> None:
        try:
            if self.server is not None and self.server.poll() is None:
                os.killpg(self.server.pid, signal.SIGTERM)
                self.server.wait(timeout=10)
        finally:
            try:
                self.database.stop()
            finally:
                shutil.rmtree(self.root, ignore_errors=True)
